#!/usr/bin/env bash
# Installs what the control panel's browser tests need, and nothing when it
# is already there: Debian's chromium (/usr/bin/chromium) and playwright-core
# at the exact version in package-lock.json. Run as root, or with sudo
# available, on Debian or Ubuntu.
set -euo pipefail
cd "$(dirname "$0")"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_install() {
	if [ -z "$apt_updated" ]; then
		as_root apt-get update -qq
		apt_updated=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if [ ! -x /usr/bin/chromium ]; then
	echo "install.sh: installing Debian's chromium"
	apt_install chromium
fi
if ! command -v npm >/dev/null; then
	echo "install.sh: installing node and npm"
	apt_install nodejs npm
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
	echo "install.sh: playwright-core needs Node.js 20 or newer, this is $(node --version); install a newer nodejs package" >&2
	exit 1
fi

# node_modules is up to date when it was installed from this very lock file.
stamp=node_modules/.installed-from-package-lock.json
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
	echo "install.sh: installing playwright-core from package-lock.json"
	npm ci --no-audit --no-fund --loglevel=error
	cp package-lock.json "$stamp"
fi
