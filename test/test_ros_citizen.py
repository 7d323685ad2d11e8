"""The bridge as a ROS 2 lab expects a driver to behave: robot_description from the arm file,
/joint_states at a fixed rate also at rest (URDF frame and units, controller sample time), and in
Gazebo mode trajectories that start "now" in the simulated controller's clock, a node clock that
follows /clock, and a stop that latches."""

import math

import pytest
import yaml
import yourdfpy
from builtin_interfaces.msg import Time as TimeMsg
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from std_srvs.srv import Trigger

from aether_msgs.msg import CommandAck, LinkState
from conftest import LATCHED, ROOT, publish_target, start_bridge, start_controller, wait_connected
from jtc_standin import TrajectoryControllerStandIn

ARM = str(ROOT / "config" / "arm.yaml")


def load_urdf(text, tmp_path):
    path = tmp_path / "robot_description.urdf"
    path.write_text(text)
    return yourdfpy.URDF.load(str(path), load_meshes=False, build_collision_scene_graph=False)


def test_joint_states_at_rest_match_robot_description(procs, peer, tmp_path):
    port = start_controller(procs, 0, "--arm", ARM).port
    start_bridge(procs, "-p", f"controller_port:={port}", "-p", f"arm:={ARM}",
                 "-p", "publish_robot_description:=true", "-p", "joint_states_rate_hz:=50.0",
                 "-p", "diagnostics_period_s:=0.2")
    desc = peer.collect(String, "robot_description", LATCHED)
    diags = peer.collect(DiagnosticArray, "/diagnostics")
    states = peer.collect(JointState, "/joint_states")
    wait_connected(peer)
    text = peer.spin_until(lambda: desc[-1].data if desc else None, what="robot_description (latched)")
    robot = load_urdf(text, tmp_path)
    joints = {j.name: j for j in robot.robot.joints}

    # Nobody commands the arm: it rests, and /joint_states keeps coming.
    peer.spin_until(lambda: len(states) >= 25, timeout=10, what="25 /joint_states messages at rest")
    stamps = [m.header.stamp.sec * 1_000_000_000 + m.header.stamp.nanosec for m in states]
    assert all(b > a for a, b in zip(stamps, stamps[1:])), "stamps must increase (tf drops repeats)"
    m = states[-1]
    assert len(m.name) == len(m.position) == len(m.velocity) == 6
    assert all(v == 0 for v in m.velocity), "the arm rests"
    for name, q in zip(m.name, m.position):
        assert name in joints, f"/joint_states names {name!r}, which robot_description lacks"
        lim = joints[name].limit
        assert lim.lower - 1e-9 <= q <= lim.upper + 1e-9, f"{name}={q} outside the URDF's [{lim.lower}, {lim.upper}]"
    # The sim controller starts at the park pose with the gripper open: URDF frame (model angle -
    # zero_deg) and units.
    arm = yaml.safe_load(open(ARM).read())
    park = [math.radians(d - j["zero_deg"]) for d, j in zip(arm["kinematics"]["park_deg"], arm["kinematics"]["joints"])]
    assert list(m.position[:5]) == pytest.approx(park, abs=1e-6)
    assert m.name[-1] == "gripper_joint" and m.position[-1] == pytest.approx(0.0)
    # /diagnostics says what the positions are: hobby servos report what was commanded.
    source = peer.spin_until(lambda: next((kv.value for arr in diags for st in arr.status for kv in st.values
                                           if kv.key == "joint_states"), None), what="joint_states in /diagnostics")
    assert source.startswith("commanded")


def publish_clock(pub, sec):
    msg = Clock()
    msg.clock = TimeMsg(sec=sec, nanosec=0)
    pub.publish(msg)


def test_gazebo_trajectory_starts_now_in_sim_time_and_stop_latches(procs, peer):
    jtc = TrajectoryControllerStandIn(joints=["base_yaw", "shoulder_pitch", "elbow_pitch", "wrist_pitch",
                                              "wrist_roll", "gripper_joint"])
    peer.executor.add_node(jtc.node)
    clock = peer.node.create_publisher(Clock, "/clock", 10)
    acks = peer.collect(CommandAck, "/aether/ack")
    start_bridge(procs, "-p", "mode:=gazebo", "-p", "use_sim_time:=true", "-p", f"arm:={ARM}")
    wait_connected(peer, "gazebo")
    # Simulation time runs from 500 s, far from wall time.
    sim = 500
    peer.spin_until(lambda: clock.get_subscription_count() >= 2, what="the bridge and the stand-in on /clock")
    peer.spin_until(lambda: jtc.now_ns() == sim * 1_000_000_000, every=lambda: publish_clock(clock, sim),
                    what="the stand-in's clock at 500 s")

    target = peer.node.create_publisher(PointStamped, "/aether/target", 10)
    peer.spin_until(lambda: target.get_subscription_count() > 0, what="the bridge's /aether/target")
    p = PointStamped()
    p.header.frame_id = "base_link"
    p.point.x, p.point.y, p.point.z = 0.16, 0.02, 0.12
    n_acks = len(acks)

    def send():
        publish_clock(clock, sim)
        target.publish(p)

    peer.spin_until(lambda: jtc.accepted or jtc.rejected, every=send, what="a trajectory at the stand-in")
    assert not jtc.rejected, jtc.rejected
    tr = jtc.accepted[-1]
    assert tr.start_ns == sim * 1_000_000_000, "a zero stamp starts now in the controller's clock"
    assert 0 < tr.end_ns - tr.start_ns < 10 * 1_000_000_000
    assert tr.positions[0] == pytest.approx(math.atan2(0.02, 0.16), abs=1e-3)
    ack = peer.spin_until(lambda: next((a for a in acks[n_acks:] if a.source == "/aether/target"), None),
                          what="the target's ack")
    assert ack.status == CommandAck.STATUS_OK, ack.message
    assert ack.header.stamp.sec == sim, "the bridge's clock follows /clock (use_sim_time)"

    # ~/stop: an empty trajectory, then motion is refused until ~/home.
    stop = peer.node.create_client(Trigger, "/aether_bridge/stop")
    assert stop.wait_for_service(timeout_sec=10)
    fut = stop.call_async(Trigger.Request())
    peer.spin_until(fut.done, what="~/stop reply")
    assert fut.result().success
    peer.spin_until(lambda: jtc.cancelled >= 1, what="the empty trajectory of ~/stop")
    taken = len(jtc.accepted)
    # Another point than the targets sent above, whose acks may still be on their way.
    p.point.y = 0.03
    target.publish(p)
    refused = peer.spin_until(lambda: next((a for a in acks if a.source == "/aether/target" and
                                            abs(a.target.y - 0.03) < 1e-9), None),
                              what="the ack of a target sent while stopped")
    assert refused.status == CommandAck.STATUS_ERROR and refused.code == "estop", refused
    assert len(jtc.accepted) == taken, "a trajectory went out while the stop was latched"
    jtc.close()


def test_two_arms_in_one_graph_never_move_each_other(procs, peer):
    """Two sim controllers and two bridges as /arm1 and /arm2: only the namespace differs."""
    for ns in ("arm1", "arm2"):
        port = start_controller(procs, 0, "--arm", ARM).port
        start_bridge(procs, "-r", f"__ns:=/{ns}", "-p", f"controller_port:={port}", "-p", f"arm:={ARM}")
    states = {ns: peer.collect(JointState, f"/{ns}/joint_states") for ns in ("arm1", "arm2")}
    acks = {ns: peer.collect(CommandAck, f"/{ns}/aether/ack") for ns in ("arm1", "arm2")}
    for ns in ("arm1", "arm2"):
        links = peer.collect(LinkState, f"/{ns}/aether/link_state", LATCHED)
        peer.spin_until(lambda: any(s.state_name == "connected" for s in links), what=f"/{ns} connected")
        peer.spin_until(lambda: states[ns], what=f"/{ns}/joint_states")
    rest2 = list(states["arm2"][-1].position)
    # Nothing of the bridge is left at the root: every topic and service moved.
    names = {n for n, _ in peer.node.get_topic_names_and_types()}
    assert not {"/aether/target", "/aether/ack", "/joint_states"} & names, names
    services = {n for n, _ in peer.node.get_service_names_and_types()}
    assert {"/arm1/aether_bridge/home", "/arm2/aether_bridge/get_parameters"} <= services, services

    publish_target(peer, 0.16, 0.05, 0.12, topic="/arm1/aether/target")
    ack = peer.spin_until(lambda: acks["arm1"][-1] if acks["arm1"] else None, what="/arm1's ack")
    assert ack.status == CommandAck.STATUS_OK and ack.source == "/arm1/aether/target", (ack.source, ack.message)
    want = math.atan2(0.05, 0.16)
    peer.spin_until(lambda: abs(states["arm1"][-1].position[0] - want) < 1e-3, timeout=15,
                    what="arm1's base to turn to the target")
    # By now arm2 has published many more samples: all at rest where it was, and no ack.
    n2 = len(states["arm2"])
    peer.spin_until(lambda: len(states["arm2"]) >= n2 + 10, what="more /arm2/joint_states")
    assert all(list(m.position) == pytest.approx(rest2) for m in states["arm2"]), "arm2 moved"
    assert not acks["arm2"], [a.source for a in acks["arm2"]]
