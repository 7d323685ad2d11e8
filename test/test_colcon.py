"""`colcon build` of this repo (package aether_bridge: package.xml + CMakeLists.txt at the root) and
msgs/aether_msgs in a throw-away workspace, with colcon from requirements/test.txt and the ROS 2
Jazzy wheels of the .venv as the underlay; then the installed binaries are checked and launched.

Two workarounds belong to this machine's wheel layout, not to the packages, and are passed on the
colcon command line (a ROS install from debs needs neither):
- CMAKE_PROJECT_INCLUDE=build/msgs/wheel-compat.cmake (written by scripts/build-msgs.sh): the
  wheels' *__rosidl_generator_py CMake targets name the wheel builder's Python include dirs.
- AETHER_CGO_LDFLAGS: the wheels' librcl.so has DT_NEEDED entries for *__rosidl_generator_py.so
  libraries, which use the Python C API without naming libpython, so linking any executable
  against librcl needs -lpython; and the wheels' vendored libraries (tinyxml2, spdlog, …) live in
  .venv/lib/ros-vendored (scripts/venv-links.sh), which the binaries need in their rpath.
"""

import os
import shutil
import subprocess
import time

import pytest

from aether_msgs.msg import CommandAck
from conftest import ROOT, wait_connected
from launchxml import LaunchFile
from test_launch import publish_target, start_all

VENV = ROOT / ".venv"
WHEEL_COMPAT = ROOT / "build" / "msgs" / "wheel-compat.cmake"


def clean_env():
    """This environment minus the repo's own build outputs (bin/, build/msgs/install) and cgo
    flags, so that aether_msgs can only come from the workspace and CMakeLists.txt alone decides
    how Go links."""
    env = os.environ.copy()
    own = (str(ROOT / "build") + os.sep, str(ROOT / "bin"))
    for var in ("PATH", "AMENT_PREFIX_PATH", "CMAKE_PREFIX_PATH", "LD_LIBRARY_PATH", "PYTHONPATH"):
        if var in env:
            env[var] = os.pathsep.join(p for p in env[var].split(os.pathsep)
                                       if p and not (p + os.sep).startswith(own[0]) and p != own[1])
    for var in ("CGO_CFLAGS", "CGO_LDFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS"):
        env.pop(var, None)
    return env


def wheel_ldflags():
    """The extra link flags the wheel layout needs (see the module doc); the same as scripts/env.sh's."""
    out = subprocess.run([str(VENV / "bin" / "python"), "-c",
                          "import sysconfig as s; print(s.get_config_var('LIBDIR')); print(s.get_config_var('LDVERSION'))"],
                         capture_output=True, text=True, check=True).stdout.split()
    libdir, ver = out
    vendored = VENV / "lib" / "ros-vendored"
    return (f"-L{libdir} -Wl,-rpath,{libdir} -Wl,--no-as-needed -lpython{ver} -Wl,--as-needed "
            f"-Wl,-rpath,{vendored} -Wl,-rpath-link,{vendored}")


def copy_tracked(dst):
    """The repo's tracked files as they are in the work tree (no .venv, build/, bin/, msgs/gen):
    a copy, not a symlink, because the package's build writes msgs/gen into its source dir and
    `go build ./cmd/...` does not follow symlinked directories."""
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():  # tracked but deleted in the work tree: not part of the package now
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A colcon workspace, built once for this module: (workspace dir, build log text, seconds)."""
    assert (VENV / "bin" / "colcon").exists(), "no colcon in .venv: run `make venv` (requirements/test.txt)"
    assert (VENV / "share" / "ament_cmake").is_dir(), \
        "no ament_cmake in .venv: run `make msgs` (requirements/ros-jazzy-build.txt)"
    assert WHEEL_COMPAT.is_file(), f"no {WHEEL_COMPAT}: run `make msgs` (scripts/build-msgs.sh writes it)"
    ws = tmp_path_factory.mktemp("colcon_ws")
    src = ws / "src"
    (src / "aether_bridge").mkdir(parents=True)
    copy_tracked(src / "aether_bridge")
    # colcon does not look for packages inside a package, so aether_msgs is listed on its own.
    (src / "aether_msgs").symlink_to(ROOT / "msgs" / "aether_msgs", target_is_directory=True)

    cmd = [str(VENV / "bin" / "colcon"), "--log-base", str(ws / "log"), "build",
           "--base-paths", str(src), "--build-base", str(ws / "build"), "--install-base", str(ws / "install"),
           "--event-handlers", "console_direct+",
           # --no-warn-unused-cli: AETHER_CGO_LDFLAGS reaches aether_msgs too, which has no use for it.
           "--cmake-args", "--no-warn-unused-cli", "-DBUILD_TESTING=OFF",
           f"-DPython3_EXECUTABLE={VENV / 'bin' / 'python'}",
           f"-DCMAKE_PROJECT_INCLUDE={WHEEL_COMPAT}", f"-DAETHER_CGO_LDFLAGS={wheel_ldflags()}"]
    start = time.monotonic()
    r = subprocess.run(cmd, cwd=ws, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=900)
    took = time.monotonic() - start
    (ws / "colcon-build.log").write_text(r.stdout)
    assert r.returncode == 0, f"colcon build failed ({r.returncode}) after {took:.0f}s:\n" + "\n".join(
        r.stdout.splitlines()[-60:])
    print(f"colcon build of aether_msgs + aether_bridge: {took:.1f}s in {ws}")
    return ws, r.stdout, took


def test_colcon_build_installs_binaries_launch_and_config(workspace):
    ws, log, _ = workspace
    assert "Finished <<< aether_msgs" in log and "Finished <<< aether_bridge" in log, log[-3000:]
    inst = ws / "install" / "aether_bridge"
    for exe in ("aether_bridge", "aether_controller"):
        p = inst / "lib" / "aether_bridge" / exe
        assert p.is_file() and os.access(p, os.X_OK), f"{p} missing or not executable"
    assert (inst / "share" / "aether_bridge" / "launch" / "aether.launch.xml").read_text() == \
        (ROOT / "launch" / "aether.launch.xml").read_text()
    assert (inst / "share" / "aether_bridge" / "config" / "bridge.yaml").read_text() == \
        (ROOT / "config" / "bridge.yaml").read_text()
    assert (inst / "share" / "ament_index" / "resource_index" / "packages" / "aether_bridge").is_file()
    msgs = ws / "install" / "aether_msgs"
    assert sorted(p.name for p in (msgs / "share" / "aether_msgs" / "msg").glob("*.msg")) == \
        sorted(p.name for p in (ROOT / "msgs" / "aether_msgs" / "msg").glob("*.msg"))
    # No CMake warning from either package (the venv's missing local_setup files are colcon's note).
    assert "CMake Warning" not in log, log[log.index("CMake Warning"):][:2000]


@pytest.mark.parametrize("exe", ["aether_bridge", "aether_controller"])
def test_installed_binaries_start_without_a_ros_environment(workspace, exe):
    ws, _, _ = workspace
    p = ws / "install" / "aether_bridge" / "lib" / "aether_bridge" / exe
    # Nothing from scripts/env.sh: the rpath alone must find rcl, the vendored libraries and aether_msgs.
    r = subprocess.run([str(p), "--help"], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert "Usage" in r.stdout + r.stderr or "usage" in r.stdout + r.stderr, r.stdout + r.stderr
    if exe == "aether_bridge":
        ldd = subprocess.run(["ldd", str(p)], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True).stdout
        msgs_lib = str(ws / "install" / "aether_msgs" / "lib")
        assert f"libaether_msgs__rosidl_typesupport_c.so => {msgs_lib}/" in ldd, ldd
        assert "not found" not in ldd, ldd


def test_installed_package_launches(workspace, procs, peer, tmp_path, held):
    """The launch file as installed, evaluated against the real install prefix, mode:=sim."""
    ws, _, _ = workspace
    prefix = ws / "install" / "aether_bridge"
    launched = LaunchFile(prefix / "share" / "aether_bridge" / "launch" / "aether.launch.xml").evaluate(
        {"mode": "sim", "controller_port": str(held.getsockname()[1])}, [prefix], tmp_path)
    assert [p.cmd[0] for p in launched] == [str(prefix / "lib" / "aether_bridge" / e)
                                             for e in ("aether_controller", "aether_bridge")]
    running = start_all(procs, launched, held)
    running["aether_controller"].wait_for_line("listening on")
    wait_connected(peer)
    acks = peer.collect(CommandAck, "/aether/ack")
    publish_target(peer, 0.16, 0.0, 0.12)
    ack = peer.spin_until(lambda: acks[0] if acks else None, what="an ack from the colcon-built bridge")
    assert ack.status == CommandAck.STATUS_OK, (ack.code, ack.message)
