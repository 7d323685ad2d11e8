#!/usr/bin/env bash
# Prepare the .venv's ROS 2 libraries for linking from Go (cgo), after pip has installed them.
#
# 1. The PyPI wheels vendor third-party libraries (tinyxml2, spdlog, ssl, …) under hashed
#    names in one site-packages/ros_*.libs/ directory per package; Python finds them through a
#    re-exec that sets LD_LIBRARY_PATH. Go binaries get one directory of symlinks instead, which
#    scripts/env.sh puts in the rpath, so they run without any environment.
# 2. The wheels link rcl straight to Fast DDS and ship no rmw_implementation proxy library,
#    but rclgo's cgo flags ask for -lrmw_implementation: a GNU ld linker script of that name
#    redirects the linker to librmw_fastrtps_cpp.so (nothing is needed at run time).
set -euo pipefail
venv="${1:?usage: venv-links.sh VENV}"
out="$venv/lib/ros-vendored"
rm -rf "$out" && mkdir -p "$out"
for dir in "$venv"/lib/python3*/site-packages/ros_*.libs; do
  for lib in "$dir"/*; do
    [ -e "$out/$(basename "$lib")" ] || ln -s "$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")" "$out/"
  done
done
cat > "$venv/lib/librmw_implementation.so" <<'LD'
/* GNU ld script, written by scripts/venv-links.sh: see there. */
INPUT(librmw_fastrtps_cpp.so)
LD
echo "venv-links: $(ls "$out" | wc -l) vendored libraries linked into $out"
