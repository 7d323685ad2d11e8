"""How aether_bridge starts and fails to start, as a lab user sees it: the environment
scripts/env.sh gives it, one clear line (exit 2) for every start-up error, parameter files shared
with other nodes, its logs on /rosout and its parameters on /parameter_events."""

import os
import subprocess

import pytest
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from conftest import BIN, ROOT, start_bridge, start_controller, wait_connected


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


# --- clean start-up failures -------------------------------------------------------------------

@pytest.mark.parametrize("args,words", [
    (["--ros-args", "--log-level", "aether_bridge:=loud"],  # rcl itself rejects this one
     ['ROS argument "--log-level aether_bridge:=loud" is not valid', "--log-level LEVEL (debug, info"]),
    (["--ros-args", "--enclave"], ["--enclave needs a value"]),
    (["--ros-args", "-r", "foo"], ["-r foo"]),
    (["--ros-args", "-p", "controller_port:=70000"], ["controller_port"]),
    (["--ros-args", "--params-file", "/nonexistent/bridge.yaml"], ["/nonexistent/bridge.yaml"]),
    (["stray"], ['unexpected arguments ["stray"]']),
])
def test_start_up_failures_are_one_clean_line_and_exit_2(procs, args, words):
    p = procs.start("aether_bridge", [BIN / "aether_bridge", *args])
    assert p.p.wait(30) == 2
    p.stop()
    out = p.output()
    assert "\0" not in out, "NUL bytes in the output"
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("aether_bridge: "), out
    for w in words:
        assert w in out, out
    for bad in ("goroutine", "error not set", ".go:", "rcl_parse_arguments", "lexeme"):
        assert bad not in out, out


# --- parameters as ROS users expect, logs on /rosout --------------------------------------------

def test_foreign_and_misspelt_parameters_start_with_warnings_on_rosout(procs, peer, tmp_path):
    from rcl_interfaces.msg import Log
    port = start_controller(procs).port
    shared = tmp_path / "lab.yaml"  # one file for the whole lab: other nodes' keys under /**
    shared.write_text(f"/**:\n  ros__parameters:\n    robot_description: '<robot/>'\n    controller_port: {port}\n"
                      "aether_bridge:\n  ros__parameters:\n    controler_host: 127.0.0.1\n")
    logs = peer.collect(Log, "/rosout", QoSProfile(depth=100, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                                                   reliability=ReliabilityPolicy.RELIABLE))
    bridge = start_bridge(procs, "--params-file", str(shared), "-p", "clamp_to_workspce:=true")
    wait_connected(peer)  # it started, and took the shared file's controller_port
    bridge.wait_for_line("aether_bridge ready")
    out = bridge.output()
    warnings = [line for line in out.splitlines() if "level=WARN" in line]
    for typo, meant in (("controler_host", "controller_host"), ("clamp_to_workspce", "clamp_to_workspace")):
        assert any(typo in w and "did you mean" in w and meant in w for w in warnings), out
    assert "robot_description" not in out, "another node's key in a shared /** section is not worth a warning"
    assert out.count("aether_bridge ready") == 1, "rcl's console output would print each line twice"
    # The same lines on /rosout, with ROS severities, for rqt_console.
    warn = peer.spin_until(lambda: next((m for m in logs if "controler_host" in m.msg), None),
                           what="the warning on /rosout")
    assert warn.level == Log.WARN and warn.name == "aether_bridge"
    ready = peer.spin_until(lambda: next((m for m in logs if m.msg.startswith("aether_bridge ready")), None),
                            what="the ready line on /rosout")
    assert ready.level == Log.INFO and "mode=hardware" in ready.msg


def test_parameter_events_announce_start_up_values_and_changes(procs, peer):
    from rcl_interfaces.msg import ParameterEvent
    from rclpy.parameter import Parameter
    from rclpy.parameter_client import AsyncParameterClient
    events = peer.collect(ParameterEvent, "/parameter_events", QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE))
    start_bridge(procs, "-p", "mode:=gazebo", "-r", "__ns:=/lab")
    # (The start-up announcement of every parameter, as rclcpp makes one, is published before any
    # subscriber can have matched the new publisher, so it is not waited for here.)
    pc = AsyncParameterClient(peer.node, "/lab/aether_bridge")
    peer.spin_until(pc.services_are_ready, what="the parameter services")
    fut = pc.set_parameters([Parameter("clamp_to_workspace", Parameter.Type.BOOL, True)])
    peer.spin_until(fut.done, what="set_parameters")
    assert fut.result().results[0].successful
    changed = peer.spin_until(lambda: next((e for e in events if e.changed_parameters), None),
                              what="the change on /parameter_events")
    assert changed.node == "/lab/aether_bridge"
    assert [(p.name, p.value.bool_value) for p in changed.changed_parameters] == [("clamp_to_workspace", True)]
    # A refused set (read-only) announces nothing.
    fut = pc.set_parameters([Parameter("controller_port", Parameter.Type.INTEGER, 1234)])
    peer.spin_until(fut.done, what="set_parameters of a read-only parameter")
    assert not fut.result().results[0].successful
    assert all(p.name != "controller_port" for e in events for p in e.changed_parameters)
