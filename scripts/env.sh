# shellcheck shell=bash
# Source this file (". scripts/env.sh") to work with ROS 2 Jazzy from the repo's .venv.
# It is also what the Makefile and tests use. Safe to source more than once.

_aether_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export AETHER_ROOT="$_aether_root"
export AETHER_VENV="$_aether_root/.venv"
_py_site="$(ls -d "$AETHER_VENV"/lib/python3*/site-packages 2>/dev/null | head -n1)"

export ROS_DISTRO=jazzy
export ROS_VERSION=2
export ROS_PYTHON_VERSION=3
export RMW_IMPLEMENTATION=rmw_fastrtps_cpp
# Keep DDS discovery on loopback: nothing leaves this machine. ROS_LOCALHOST_ONLY is deprecated
# since Jazzy (rcl warns on every start and then ignores the discovery range): unset it.
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
unset ROS_LOCALHOST_ONLY
export ROS_DOMAIN_ID="${ROS_DOMAIN_ID:-0}"

_aether_prepend() { # var dir
  case ":${!1:-}:" in *":$2:"*) ;; *) export "$1=$2${!1:+:${!1}}" ;; esac
}
_aether_prepend PATH "$AETHER_VENV/bin"
_aether_prepend PATH "$_aether_root/bin"
_aether_prepend LD_LIBRARY_PATH "$AETHER_VENV/lib"
_aether_prepend LD_LIBRARY_PATH "$AETHER_VENV/lib/ros-vendored"
_aether_prepend AMENT_PREFIX_PATH "$AETHER_VENV"
_aether_prepend CMAKE_PREFIX_PATH "$AETHER_VENV"
[ -n "$_py_site" ] && _aether_prepend PYTHONPATH "$_py_site"
# The repo's own interface package (aether_msgs), once built by `make msgs`.
if [ -d "$_aether_root/build/msgs/install" ]; then
  _aether_prepend AMENT_PREFIX_PATH "$_aether_root/build/msgs/install"
  _aether_prepend LD_LIBRARY_PATH "$_aether_root/build/msgs/install/lib"
  _py_msgs="$(ls -d "$_aether_root"/build/msgs/install/lib/python3*/site-packages 2>/dev/null | head -n1)"
  [ -n "$_py_msgs" ] && _aether_prepend PYTHONPATH "$_py_msgs"
fi

# cgo: headers of every ROS package in the venv, and an rpath so the built
# binaries find librcl & co. without LD_LIBRARY_PATH.
_cflags=""
for d in "$AETHER_VENV"/include/*/ "$_aether_root"/build/msgs/install/include/*/; do
  [ -d "$d" ] && _cflags="$_cflags -I${d%/}"
done
export CGO_CFLAGS="$_cflags -Wno-deprecated-declarations"
export CGO_LDFLAGS="-L$AETHER_VENV/lib -Wl,-rpath,$AETHER_VENV/lib -Wl,-rpath,$AETHER_VENV/lib/ros-vendored -Wl,-rpath-link,$AETHER_VENV/lib/ros-vendored"
# The wheels' librcl.so also links the Python generator libraries of a few interface packages
# (*__rosidl_generator_py.so); their references to the Python C API (PyExc_RuntimeError, …)
# must resolve when the dynamic loader maps them, even in a Go binary that never calls them.
# So link the shared libpython of the interpreter that made the venv (loaded, never started).
_pylibdir="$("$AETHER_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")' 2>/dev/null || true)"
_pyver="$("$AETHER_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_config_var("LDVERSION") or "")' 2>/dev/null || true)"
if [ -n "$_pylibdir" ] && [ -n "$_pyver" ]; then
  export CGO_LDFLAGS="$CGO_LDFLAGS -L$_pylibdir -Wl,-rpath,$_pylibdir -Wl,--no-as-needed -lpython$_pyver -Wl,--as-needed"
fi
# DT_RPATH (not RUNPATH) so that the rpath also serves librcl's own dependencies.
export CGO_LDFLAGS="$CGO_LDFLAGS -Wl,--disable-new-dtags"
if [ -d "$_aether_root/build/msgs/install/lib" ]; then
  export CGO_LDFLAGS="$CGO_LDFLAGS -L$_aether_root/build/msgs/install/lib -Wl,-rpath,$_aether_root/build/msgs/install/lib"
fi
unset _aether_root _py_site _py_msgs _cflags d _pylibdir _pyver
unset -f _aether_prepend
