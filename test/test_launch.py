"""launch/aether.launch.xml, evaluated by test/launchxml.py (launch/launch_ros are not installable
here) against a fake install prefix, and the exact commands it produces run for real: mode:=sim
(controller + bridge), mode:=gazebo (bridge only, JointTrajectory out), mode:=hardware (bridge only,
to a controller started separately)."""

import math
import re

import pytest
import yaml
from geometry_msgs.msg import PointStamped
from trajectory_msgs.msg import JointTrajectory

from aether_msgs.msg import CommandAck
from conftest import ROOT, free_port, start_controller, wait_connected
from launchxml import LaunchError, LaunchFile, make_install_prefix, parse_substitutions

LAUNCH = ROOT / "launch" / "aether.launch.xml"
README_ARGS = ["mode", "controller_host", "controller_port", "params_file", "arm", "namespace"]


@pytest.fixture
def prefix(tmp_path):
    return make_install_prefix(tmp_path / "install", ROOT)


def evaluate(prefix, tmp_path, **args):
    return LaunchFile(LAUNCH).evaluate(args, [prefix], tmp_path)


def arm_joints():
    """(name, min rad, max rad) of each kinematic joint in config/arm.yaml, in the URDF frame."""
    arm = yaml.safe_load((ROOT / "config" / "arm.yaml").read_text())
    return [(j["name"], math.radians(j["min_deg"] - j["zero_deg"]), math.radians(j["max_deg"] - j["zero_deg"]))
            for j in arm["kinematics"]["joints"]]


def publish_target(peer, x, y, z):
    pub = peer.node.create_publisher(PointStamped, "/aether/target", 10)
    peer.spin_until(lambda: pub.get_subscription_count() > 0, what="the bridge's /aether/target subscription")
    m = PointStamped()
    m.header.frame_id = "base_link"
    m.point.x, m.point.y, m.point.z = x, y, z
    pub.publish(m)


def start_all(procs, launched):
    """Start every process the launch produced, at once and in file order, as launch does."""
    return {p.name: procs.start(p.name, p.cmd) for p in launched}


# --- the file itself ---------------------------------------------------------------------------

def test_launch_file_declares_the_readme_arguments():
    lf = LaunchFile(LAUNCH)  # also: well-formed, and only constructs launchxml models
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"Launch arguments:(.*?)\.\s", readme, re.S)
    assert m, "README.md lost its 'Launch arguments:' sentence"
    assert re.findall(r"`(\w+)`", m.group(1)) == README_ARGS
    for name in README_ARGS:
        assert name in lf.args, f"README names launch argument {name!r}; the launch file does not declare it"
        assert (lf.args[name].description or "").strip(), f"launch argument {name!r} has no description"
        assert lf.args[name].default is not None, f"launch argument {name!r} has no default"
    assert list(lf.args) == README_ARGS, "the launch file declares arguments the README does not list"


def test_readme_launch_lines_evaluate(prefix, tmp_path):
    lines = re.findall(r"^ros2 launch aether_bridge aether\.launch\.xml(.*?)(?:#.*)?$",
                       (ROOT / "README.md").read_text(), re.M)
    assert len(lines) >= 3, lines
    modes = set()
    for line in lines:
        args = dict(tok.split(":=", 1) for tok in line.split())
        launched = LaunchFile(LAUNCH).evaluate(args, [prefix], tmp_path)
        node = launched[-1]
        assert node.kind == "node" and node.params["mode"] == args.get("mode", "hardware")
        modes.add(node.params["mode"])
    assert modes == {"sim", "hardware", "gazebo"}


def test_node_params_are_bridge_parameters(prefix, tmp_path):
    declared = set()

    def flatten(d, pre=""):
        for k, v in d.items():
            if isinstance(v, dict):
                flatten(v, f"{pre}{k}.")
            else:
                declared.add(pre + k)

    flatten(yaml.safe_load((ROOT / "config" / "bridge.yaml").read_text())["/**"]["ros__parameters"])
    node = evaluate(prefix, tmp_path)[-1]
    assert set(node.params) <= declared, set(node.params) - declared


# --- what each mode produces -------------------------------------------------------------------

def test_sim_produces_controller_and_bridge_commands(prefix, tmp_path):
    ctl, node = evaluate(prefix, tmp_path, mode="sim", controller_port="5123")
    share = prefix / "share" / "aether_bridge"
    assert ctl.kind == "executable" and ctl.name == "aether_controller" and ctl.output == "screen"
    assert ctl.cmd == [str(prefix / "lib/aether_bridge/aether_controller"), "--listen", "127.0.0.1:5123",
                       "--backend", "sim", "--arm", str(share / "config/arm.yaml")]
    assert node.cmd[:4] == [str(prefix / "lib/aether_bridge/aether_bridge"), "--ros-args",
                            "-r", "__node:=aether_bridge"]
    assert node.cmd[4:] == ["--params-file", str(share / "config/bridge.yaml"), "--params-file", node.params_files[1]]
    written = yaml.safe_load(open(node.params_files[1]).read())
    # Typed like launch_ros: the port is an integer, the rest strings.
    assert written == {"/**": {"ros__parameters": {"mode": "sim", "controller_host": "127.0.0.1",
                                                   "controller_port": 5123, "arm": str(share / "config/arm.yaml")}}}


@pytest.mark.parametrize("mode", ["hardware", "gazebo"])
def test_hardware_and_gazebo_produce_no_controller(prefix, tmp_path, mode):
    launched = evaluate(prefix, tmp_path, mode=mode)
    assert [p.kind for p in launched] == ["node"]
    assert launched[0].params["mode"] == mode


def test_argument_values_stay_one_argv_element(prefix, tmp_path):
    ctl, node = evaluate(prefix, tmp_path, mode="sim", arm="/tmp/my arm.yaml", params_file="/tmp/p.yaml")
    assert ctl.cmd[-2:] == ["--arm", "/tmp/my arm.yaml"]
    assert node.params_files[0] == "/tmp/p.yaml" and node.params["arm"] == "/tmp/my arm.yaml"


# --- what the evaluator refuses ----------------------------------------------------------------

def variant(tmp_path, old, new):
    text = LAUNCH.read_text()
    assert old in text, f"test setup: {old!r} is not in the launch file any more"
    p = tmp_path / "variant.launch.xml"
    p.write_text(text.replace(old, new, 1))
    return p


def test_unknown_launch_argument_is_an_error(prefix, tmp_path):
    with pytest.raises(LaunchError, match=r"unknown launch argument\(s\) \['controller_prot'\].*declares"):
        evaluate(prefix, tmp_path, controller_prot="5000")


@pytest.mark.parametrize("old,new,error", [
    ("<launch>", "<launch><group/>", r"element <group> is not modelled"),
    ('exec="aether_bridge" name', 'exec="aether_bridge" respawn="true" name', r"attribute 'respawn' is not modelled"),
    ('<param from="$(var params_file)"/>', '<remap from="a" to="b"/>', r"child <remap> is not modelled"),
    ("$(var controller_host):", "$(env HOST):", r"substitution \$\(env \.\.\.\) is not modelled"),
    ("\\'$(var mode)\\' == \\'sim\\'", "\\'maybe\\'", r"evaluated to 'maybe'; launch accepts only true/false/1/0"),
    ('$(var arm)"/>\n  </node>', '$(var arm)"/>\n    <param name="arm" value="x"/>\n  </node>',
     r"param 'arm' is given twice"),
    ('output="screen">', 'output="loud">', r"output='loud'"),
    ("$(var controller_port)", "$(var controller_port", r"not closed"),
    ("$(var controller_port)", "$(var port)", r"no launch argument or configuration named 'port'"),
    ("</launch>", "", r"not well-formed XML"),
])
def test_unmodelled_or_bad_constructs_are_errors(prefix, tmp_path, old, new, error):
    path = variant(tmp_path, old, new)
    with pytest.raises(LaunchError, match=error):
        LaunchFile(path).evaluate({"mode": "sim"}, [prefix], tmp_path)


def test_missing_package_is_an_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LaunchError, match=r"package 'aether_bridge' not found"):
        LaunchFile(LAUNCH).evaluate({}, [empty], tmp_path)


def test_substitution_quoting():
    parts = parse_substitutions("$(eval '\\'$(var mode)\\' == \\'sim\\'')")
    assert len(parts) == 1 and parts[0].name == "eval"
    assert parts[0].args[0][0] == "'" and parts[0].args[0][1].name == "var" and parts[0].args[0][2] == "' == 'sim'"


# --- the commands, run ---------------------------------------------------------------------------

def test_sim_mode_runs_and_acks(procs, peer, prefix, tmp_path):
    launched = evaluate(prefix, tmp_path, mode="sim", controller_port=str(free_port()))
    assert [p.name for p in launched] == ["aether_controller", "aether_bridge"]
    running = start_all(procs, launched)
    running["aether_controller"].wait_for_line("listening on")
    wait_connected(peer)

    acks = peer.collect(CommandAck, "/aether/ack")
    publish_target(peer, 0.12, 0.0355, 0.21)
    ack = peer.spin_until(lambda: acks[0] if acks else None, what="an ack on /aether/ack")
    assert ack.status == CommandAck.STATUS_OK, (ack.code, ack.message)
    assert ack.source == "/aether/target" and ack.message == "Command received"


def test_gazebo_mode_runs_and_publishes_a_trajectory(procs, peer, prefix, tmp_path):
    launched = evaluate(prefix, tmp_path, mode="gazebo")
    trajs = peer.collect(JointTrajectory, "/arm_controller/joint_trajectory")
    acks = peer.collect(CommandAck, "/aether/ack")
    start_all(procs, launched)
    wait_connected(peer, "gazebo")

    x, y, z = 0.16, 0.02, 0.12
    publish_target(peer, x, y, z)
    tr = peer.spin_until(lambda: trajs[-1] if trajs else None,
                         what="a JointTrajectory on /arm_controller/joint_trajectory")
    joints = arm_joints()  # the arm file the launch passed: its joints, within its limits, then the gripper
    assert list(tr.joint_names) == [j[0] for j in joints] + ["gripper_joint"]
    assert len(tr.points) == 1 and len(tr.points[0].positions) == len(joints) + 1
    for (name, lo, hi), q in zip(joints, tr.points[0].positions):
        assert lo - 1e-6 <= q <= hi + 1e-6, f"{name}={q} outside [{lo}, {hi}]"
    assert tr.points[0].positions[0] == pytest.approx(math.atan2(y, x), abs=1e-3)
    ack = peer.spin_until(lambda: acks[-1] if acks else None, what="the gazebo ack")
    assert ack.status == CommandAck.STATUS_OK, (ack.code, ack.message)


def test_hardware_mode_runs_against_a_separate_controller(procs, peer, prefix, tmp_path):
    port = free_port()
    start_controller(procs, port)  # the arm side, not part of the launch in hardware mode
    launched = evaluate(prefix, tmp_path, mode="hardware", controller_port=str(port))
    start_all(procs, launched)
    st = wait_connected(peer)
    assert st.state_name == "connected"


def test_namespace_argument_moves_the_bridge(procs, peer, prefix, tmp_path):
    launched = evaluate(prefix, tmp_path, mode="sim", controller_port=str(free_port()), namespace="arm2")
    node = launched[-1]
    assert node.cmd[2:6] == ["-r", "__node:=aether_bridge", "-r", "__ns:=/arm2"]
    assert evaluate(prefix, tmp_path)[-1].cmd[2:4] == ["-r", "__node:=aether_bridge"]  # root by default
    assert "__ns:=/" not in " ".join(evaluate(prefix, tmp_path)[-1].cmd)
    running = start_all(procs, launched)
    running["aether_controller"].wait_for_line("listening on")
    acks = peer.collect(CommandAck, "/arm2/aether/ack")
    pub = peer.node.create_publisher(PointStamped, "/arm2/aether/target", 10)
    peer.spin_until(lambda: pub.get_subscription_count() > 0, what="/arm2/aether/target")
    m = PointStamped()
    m.header.frame_id = "base_link"
    m.point.x, m.point.y, m.point.z = 0.12, 0.0355, 0.21
    pub.publish(m)
    ack = peer.spin_until(lambda: acks[0] if acks else None, what="an ack on /arm2/aether/ack")
    assert ack.source == "/arm2/aether/target"
