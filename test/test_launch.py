"""launch/aether.launch.xml, evaluated by test/launchxml.py (launch/launch_ros are not installable
here) against a fake install prefix, and the exact commands it produces run for real: mode:=sim
(controller + bridge), mode:=gazebo (bridge only, JointTrajectory out), mode:=hardware (bridge only,
to a controller started separately)."""

import math
import re
import subprocess

import pytest
import yaml
from rosgraph_msgs.msg import Clock

from aether_msgs.msg import CommandAck
from conftest import BIN, ROOT, publish_target, start_controller, wait_connected
from jtc_standin import TrajectoryControllerStandIn
from launchxml import LaunchError, LaunchFile, make_install_prefix, parse_substitutions
from standins import add_gazebo_packages

LAUNCH = ROOT / "launch" / "aether.launch.xml"
README_ARGS = ["mode", "controller_host", "controller_port", "params_file", "arm", "namespace", "world"]


@pytest.fixture
def prefix(tmp_path):
    """An install prefix with aether_bridge and the stand-ins of what mode:=gazebo starts."""
    return add_gazebo_packages(make_install_prefix(tmp_path / "install", ROOT))


def evaluate(prefix, tmp_path, **args):
    return LaunchFile(LAUNCH).evaluate(args, [prefix], tmp_path)


def arm_joints():
    """(name, min rad, max rad) of each kinematic joint in config/arm.yaml, in the URDF frame."""
    arm = yaml.safe_load((ROOT / "config" / "arm.yaml").read_text())
    return [(j["name"], math.radians(j["min_deg"] - j["zero_deg"]), math.radians(j["max_deg"] - j["zero_deg"]))
            for j in arm["kinematics"]["joints"]]



def start_all(procs, launched, sock=None):
    """Start every process the launch produced, at once and in file order, as launch does. sock, when
    given, is passed to aether_controller by socket activation: its command runs verbatim, and the
    port held by the test (in --listen too) can never be taken by anyone else before it serves it."""
    return {p.name: procs.start(p.name, p.cmd, sock=sock if p.name == "aether_controller" else None)
            for p in launched}


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
    declared.add("use_sim_time")  # every ROS 2 node's standard parameter; the bridge declares it too
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
    # Typed like launch_ros: the port is an integer, use_sim_time a bool, the rest strings.
    assert written == {"/**": {"ros__parameters": {"mode": "sim", "controller_host": "127.0.0.1",
                                                   "controller_port": 5123, "arm": str(share / "config/arm.yaml"),
                                                   "use_sim_time": False}}}


def test_hardware_produces_only_the_bridge(prefix, tmp_path):
    launched = evaluate(prefix, tmp_path, mode="hardware")
    assert [p.kind for p in launched] == ["node"]
    assert launched[0].params["mode"] == "hardware" and launched[0].params["use_sim_time"] is False


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
    ('value="$(var gazebo)"/>\n  </node>', 'value="$(var gazebo)"/>\n    <param name="arm" value="x"/>\n  </node>',
     r"param 'arm' is given twice"),
    ("<include if=", "<include unless=\"false\" foo=\"1\" if=", r"attribute 'foo' is not modelled"),
    ('<arg name="gz_args"', '<param name="gz_args"', r"child <param> is not modelled"),
    ("--namespace /$(var namespace)')", "--bogus')", r"\$\(command .*exited 1: flag provided but not defined: -bogus"),
    ("$(find-pkg-share ros_gz_sim)/launch/gz_sim.launch.py", "$(find-pkg-share ros_gz_sim)/launch/nope.launch.py",
     r"no such launch file"),
    ('output="screen">', 'output="loud">', r"output='loud'"),
    ("$(var controller_port)", "$(var controller_port", r"not closed"),
    ("$(var controller_port)", "$(var port)", r"no launch argument or configuration named 'port'"),
    ("</launch>", "", r"not well-formed XML"),
])
def test_unmodelled_or_bad_constructs_are_errors(prefix, tmp_path, old, new, error):
    path = variant(tmp_path, old, new)
    with pytest.raises(LaunchError, match=error):
        LaunchFile(path).evaluate({"mode": "gazebo" if "gz" in old or "namespace" in old else "sim"}, [prefix], tmp_path)


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

def test_sim_mode_runs_and_acks(procs, peer, prefix, tmp_path, held):
    launched = evaluate(prefix, tmp_path, mode="sim", controller_port=str(held.getsockname()[1]))
    assert [p.name for p in launched] == ["aether_controller", "aether_bridge"]
    running = start_all(procs, launched, held)
    running["aether_controller"].wait_for_line("listening on")
    wait_connected(peer)

    acks = peer.collect(CommandAck, "/aether/ack")
    publish_target(peer, 0.12, 0.0355, 0.21)
    ack = peer.spin_until(lambda: acks[0] if acks else None, what="an ack on /aether/ack")
    assert ack.status == CommandAck.STATUS_OK, (ack.code, ack.message)
    assert ack.source == "/aether/target" and ack.message == "Command received"


def test_gazebo_produces_simulator_model_controllers_and_bridge(prefix, tmp_path):
    launched = evaluate(prefix, tmp_path, mode="gazebo", namespace="arm2")
    share = prefix / "share" / "aether_bridge"
    controllers = str(share / "config" / "controllers.yaml")
    by = {p.name: p for p in launched}
    assert [p.name for p in launched] == [str(prefix / "share/ros_gz_sim/launch/gz_sim.launch.py"), "clock_bridge",
                                          "robot_state_publisher", "create", "spawner", "aether_bridge"]
    assert launched[0].kind == "include" and launched[0].params == {"gz_args": "-r empty.sdf"}
    assert by["clock_bridge"].cmd[1] == "/clock@rosgraph_msgs/msg/Clock[gz.msgs.Clock"
    rsp = by["robot_state_publisher"]
    assert "-r" in rsp.cmd and "__ns:=/arm2" in rsp.cmd and rsp.params["use_sim_time"] is True
    # robot_description is exactly what `aether_controller urdf` prints for the arm, with the
    # controllers file and the namespace for gz_ros2_control.
    urdf = subprocess.run([BIN / "aether_controller", "urdf", "--arm", share / "config/arm.yaml", "--controllers",
                           controllers, "--namespace", "/arm2"], capture_output=True, text=True, check=True).stdout
    assert rsp.params["robot_description"] == urdf
    assert by["create"].cmd[1:5] == ["-topic", "robot_description", "-name", "aether_armarm2"]
    assert by["spawner"].cmd[1:7] == ["joint_state_broadcaster", "arm_controller", "--param-file", controllers,
                                      "--controller-manager", "controller_manager"]
    bridge = by["aether_bridge"]
    assert bridge.params["mode"] == "gazebo" and bridge.params["use_sim_time"] is True


def test_controllers_yaml_matches_the_robot_model_and_the_bridge():
    ctl = yaml.safe_load((ROOT / "config" / "controllers.yaml").read_text())
    arm = ctl["/**/arm_controller"]["ros__parameters"]
    urdf = subprocess.run([BIN / "aether_controller", "urdf", "--arm", ROOT / "config/arm.yaml"],
                          capture_output=True, text=True, check=True).stdout
    in_urdf = re.findall(r'<joint name="([^"]+)">', urdf.split("<ros2_control", 1)[1])
    assert arm["joints"] == in_urdf, "controllers.yaml must drive every ros2_control joint of the URDF"
    bridge = yaml.safe_load((ROOT / "config" / "bridge.yaml").read_text())["/**"]["ros__parameters"]
    assert bridge["gazebo"]["trajectory_topic"] == "arm_controller/joint_trajectory"
    cm = ctl["/**/controller_manager"]["ros__parameters"]
    assert cm["arm_controller"]["type"] == "joint_trajectory_controller/JointTrajectoryController"
    assert cm["joint_state_broadcaster"]["type"] == "joint_state_broadcaster/JointStateBroadcaster"


def publish_clock(pub, sec):
    m = Clock()
    m.clock.sec = sec
    pub.publish(m)


def test_gazebo_mode_runs_and_drives_the_simulated_controller(procs, peer, prefix, tmp_path):
    launched = evaluate(prefix, tmp_path, mode="gazebo")
    jtc = TrajectoryControllerStandIn(joints=[j[0] for j in arm_joints()] + ["gripper_joint"])
    peer.executor.add_node(jtc.node)
    clock = peer.node.create_publisher(Clock, "/clock", 10)  # what the clock bridge relays from Gazebo
    acks = peer.collect(CommandAck, "/aether/ack")
    running = start_all(procs, [p for p in launched if p.kind != "include"])
    running["create"].wait_for_line("spawned aether_arm from /robot_description")
    running["spawner"].wait_for_line("arm_controller (joint_trajectory_controller/JointTrajectoryController) configured")
    wait_connected(peer, "gazebo")

    sim = 42
    peer.spin_until(lambda: jtc.now_ns() == sim * 1_000_000_000, every=lambda: publish_clock(clock, sim),
                    what="the simulated controller's clock at 42 s")
    x, y, z = 0.16, 0.02, 0.12
    publish_target(peer, x, y, z)
    tr = peer.spin_until(lambda: jtc.accepted[-1] if jtc.accepted else jtc.rejected, what="a trajectory at arm_controller")
    assert not jtc.rejected, jtc.rejected
    assert tr.start_ns == sim * 1_000_000_000
    for (name, lo, hi), q in zip(arm_joints(), tr.positions):
        assert lo - 1e-6 <= q <= hi + 1e-6, f"{name}={q} outside [{lo}, {hi}]"
    assert tr.positions[0] == pytest.approx(math.atan2(y, x), abs=1e-3)
    ack = peer.spin_until(lambda: acks[-1] if acks else None, what="the gazebo ack")
    assert ack.status == CommandAck.STATUS_OK, (ack.code, ack.message)
    assert ack.header.stamp.sec == sim, "use_sim_time: the bridge stamps with /clock"
    jtc.close()


def test_hardware_mode_runs_against_a_separate_controller(procs, peer, prefix, tmp_path):
    port = start_controller(procs).port  # the arm side, not part of the launch in hardware mode
    launched = evaluate(prefix, tmp_path, mode="hardware", controller_port=str(port))
    start_all(procs, launched)
    st = wait_connected(peer)
    assert st.state_name == "connected"


def test_namespace_argument_moves_the_bridge(procs, peer, prefix, tmp_path, held):
    launched = evaluate(prefix, tmp_path, mode="sim", controller_port=str(held.getsockname()[1]), namespace="arm2")
    node = launched[-1]
    assert node.cmd[2:6] == ["-r", "__node:=aether_bridge", "-r", "__ns:=/arm2"]
    assert evaluate(prefix, tmp_path)[-1].cmd[2:4] == ["-r", "__node:=aether_bridge"]  # root by default
    assert "__ns:=/" not in " ".join(evaluate(prefix, tmp_path)[-1].cmd)
    running = start_all(procs, launched, held)
    running["aether_controller"].wait_for_line("listening on")
    acks = peer.collect(CommandAck, "/arm2/aether/ack")
    publish_target(peer, 0.12, 0.0355, 0.21, topic="/arm2/aether/target")
    ack = peer.spin_until(lambda: acks[0] if acks else None, what="an ack on /arm2/aether/ack")
    assert ack.source == "/arm2/aether/target"


def test_package_xml_declares_everything_the_launch_and_controllers_use():
    import xml.etree.ElementTree as ET
    pkg = ET.parse(ROOT / "package.xml").getroot()
    declared = {e.text for e in pkg if e.tag in ("exec_depend", "depend")}
    text = LAUNCH.read_text()
    used = set(re.findall(r"\$\(find-pkg-(?:share|prefix) (\w+)\)", text)) | set(re.findall(r'pkg="(\w+)"', text))
    used.discard("aether_bridge")
    ctl = yaml.safe_load((ROOT / "config" / "controllers.yaml").read_text())
    used |= {c["type"].split("/")[0] for c in ctl["/**/controller_manager"]["ros__parameters"].values()
             if isinstance(c, dict)}
    urdf = subprocess.run([BIN / "aether_controller", "urdf"], capture_output=True, text=True, check=True).stdout
    used |= set(re.findall(r"<plugin>(\w+)/", urdf))  # the ros2_control hardware plugin's package
    assert used <= declared, f"package.xml lacks exec_depend for {sorted(used - declared)}"
    assert {"ros_gz_sim", "robot_state_publisher", "controller_manager", "gz_ros2_control"} <= used
