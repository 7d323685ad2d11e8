"""How aether_bridge starts and fails to start, as a lab user sees it in a terminal: the
environment scripts/env.sh gives it, and one clear line (exit 2) for every start-up error."""

import os
import subprocess

from conftest import BIN, ROOT


def env_sh(parent=None):
    """The environment a user gets after `source scripts/env.sh` in a shell with parent's variables."""
    out = subprocess.run(["bash", "-c", "source scripts/env.sh && env -0"], cwd=ROOT, env=parent, check=True,
                         capture_output=True, timeout=60).stdout.decode()
    return dict(kv.split("=", 1) for kv in out.split("\0") if "=" in kv)


def test_env_sh_keeps_discovery_local_without_the_deprecated_variable(procs):
    parent = dict(os.environ, ROS_LOCALHOST_ONLY="1")  # set by an older env.sh in the user's shell
    env = env_sh(parent)
    assert env.get("ROS_AUTOMATIC_DISCOVERY_RANGE") == "LOCALHOST"
    assert "ROS_LOCALHOST_ONLY" not in env

    env["ROS_DOMAIN_ID"] = os.environ["ROS_DOMAIN_ID"]
    bridge = procs.start("aether_bridge", [BIN / "aether_bridge", "--ros-args", "-p", "mode:=gazebo"], env=env)
    bridge.wait_for_line("aether_bridge ready")
    assert "deprecated" not in bridge.output(), bridge.output()
    assert "localhost_only" not in bridge.output(), bridge.output()
