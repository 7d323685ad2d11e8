"""Every bridge input through rclpy, every error case, and estop — against a real sim controller."""

import json
import math
import re

import pytest
from geometry_msgs.msg import PointStamped, PoseStamped
from std_msgs.msg import Bool, Float64

from aether_msgs.msg import CommandAck, HandState
from armwatch import ArmWatch
from conftest import start_bridge, start_controller, wait_connected

REACHABLE = (0.16, 0.0, 0.12)  # metres, inside the default arm's workspace
WIRE_IN = re.compile(r' msg=in .* line="(.*)"$')  # aether_controller -v log of a received line


@pytest.fixture
def bridge(procs, peer):
    """A sim controller and a connected bridge; returns a helper bound to the test's peer."""
    ctl = start_controller(procs, 0, "-v")
    port = ctl.port
    br = start_bridge(procs, "-p", "controller_host:=127.0.0.1", "-p", f"controller_port:={port}")
    wait_connected(peer)
    return Rig(peer, ctl, br, port)


class Rig:
    def __init__(self, peer, ctl, br, port):
        self.peer, self.ctl, self.br, self.port = peer, ctl, br, port
        self.acks = peer.collect(CommandAck, "/aether/ack", 100)
        self.pubs = {}

    def pub(self, msg_type, topic):
        if topic not in self.pubs:
            p = self.peer.node.create_publisher(msg_type, topic, 10)
            self.peer.spin_until(lambda: p.get_subscription_count() > 0, what=f"the bridge to subscribe to {topic}")
            self.pubs[topic] = p
        return self.pubs[topic]

    def send(self, msg_type, topic, msg, source=None):
        """Publish msg and return the next ack from source (default: topic)."""
        source = source or topic
        seen = len(self.acks)
        self.pub(msg_type, topic).publish(msg)
        return self.peer.spin_until(
            lambda: next((a for a in self.acks[seen:] if a.source == source), None),
            what=f"an ack from {source}")

    def target(self, x, y, z, frame="base_link"):
        m = PointStamped()
        m.header.frame_id = frame
        m.point.x, m.point.y, m.point.z = x, y, z
        return self.send(PointStamped, "/aether/target", m)

    def commands_received(self):
        """Commands the controller logged (-v) as received, i.e. what actually crossed the wire."""
        out = []
        for l in self.ctl.output().splitlines():
            m = WIRE_IN.search(l)
            if m:
                req = json.loads(json.loads('"' + m.group(1) + '"'))
                if req.get("type") == "command":
                    out.append(req)
        return out


def ok(ack):
    assert ack.status == CommandAck.STATUS_OK, f"{ack.code}: {ack.message}"
    return ack


def test_point_target(bridge):
    a = ok(bridge.target(*REACHABLE))
    assert a.message == "Command received"
    assert (a.target.x, a.target.y, a.target.z) == pytest.approx(REACHABLE)


def test_pose_target_uses_position(bridge):
    m = PoseStamped()
    m.header.frame_id = ""  # empty frame = base frame
    m.pose.position.x, m.pose.position.y, m.pose.position.z = 0.16, 0.02, 0.12
    m.pose.orientation.w = 1.0
    a = ok(bridge.send(PoseStamped, "/aether/target_pose", m))
    assert (a.target.x, a.target.y, a.target.z) == pytest.approx((0.16, 0.02, 0.12))


def test_gripper(bridge):
    ok(bridge.target(*REACHABLE))
    a = ok(bridge.send(Float64, "/aether/gripper", Float64(data=1.0)))
    # A gripper change carries no position: the controller keeps the arm's target.
    bridge.peer.spin_until(lambda: any(c.get("gripper") == 1 for c in bridge.commands_received()),
                           what="the controller to log the gripper command")
    last = [c for c in bridge.commands_received() if c.get("gripper") == 1][-1]
    assert not {"x", "y", "z"} & set(last), last
    assert 0 < last["ttl_ms"] <= 1000, last  # link.max_command_age_ms


@pytest.mark.parametrize("name,point,frame,code,words", [
    ("NaN", (math.nan, 0.0, 0.12), "base_link", "out_of_range", "x is NaN"),
    ("Inf", (0.16, math.inf, 0.12), "base_link", "out_of_range", "y is +Inf"),
    ("unknown frame", REACHABLE, "camera_link", "unknown_frame", 'transform the target into "base_link"'),
    ("outside workspace", (1.5, 0.0, 0.12), "base_link", "out_of_range", "workspace"),
    ("millimetres by mistake", (120.0, 35.5, 210.0), "base_link", "out_of_range", ""),
    ("unreachable", (0.115, 0.02, 0.12), "base_link", "joint_limit", "elbow"),
])
def test_bad_targets_get_an_error_ack_and_nothing_is_sent(bridge, name, point, frame, code, words):
    ok(bridge.target(*REACHABLE))
    bridge.peer.spin_until(lambda: bridge.commands_received(), what="the first command in the log")
    before = len(bridge.commands_received())
    a = bridge.target(*point, frame=frame)
    assert a.status == CommandAck.STATUS_ERROR
    assert a.code == code, a.message
    assert words in a.message
    assert a.id == "", "an error found by the bridge has no wire id: nothing was sent"
    # The same link still works, and the bad target never reached the controller.
    ok(bridge.target(*REACHABLE))
    bridge.peer.spin_until(lambda: len(bridge.commands_received()) >= before + 1, what="the probe command in the log")
    assert len(bridge.commands_received()) == before + 1, bridge.ctl.output()


def test_gripper_out_of_range(bridge):
    a = bridge.send(Float64, "/aether/gripper", Float64(data=1.5))
    assert a.status == CommandAck.STATUS_ERROR and a.code == "out_of_range" and "0..1" in a.message


def test_estop_refuses_motion_until_released(bridge):
    a = bridge.send(Bool, "/aether/estop", Bool(data=True))
    ok(a)  # the controller accepted stop
    refused = bridge.target(*REACHABLE)
    assert refused.status == CommandAck.STATUS_ERROR and refused.code == "estop"
    assert "/aether/estop" in refused.message
    ok(bridge.send(Bool, "/aether/estop", Bool(data=False)))  # reset
    ok(bridge.target(*REACHABLE))


def test_hand_pinch_closes_gripper_and_moves(bridge):
    ok(bridge.target(*REACHABLE))
    arm = ArmWatch(bridge.port)
    arm.at_rest()  # the hand anchors on the pose the controller reports: let it arrive first
    arm.close()
    seen = len(bridge.acks)
    pub = bridge.pub(HandState, "/aether/hand")
    now = bridge.peer.node.get_clock().now()
    n = [0]

    def next_frame():
        """A camera-like stream (best effort drops frames): open hand for 3 frames, then a
        pinch while the palm rises 2 mm a frame, up to 2 cm (identity axis map, scale 1)."""
        i = n[0]
        n[0] += 1
        m = HandState()
        m.header.frame_id = "camera"
        m.header.stamp = (now + rclpy_duration(i * 33_000_000)).to_msg()
        m.detected, m.confidence = True, 0.95
        m.pinch = 0.1 if i < 3 else 0.95
        m.palm.z = 0.5 + 0.002 * min(max(i - 3, 0), 10)
        pub.publish(m)

    from_hand = lambda: [a for a in bridge.acks[seen:] if a.source == "/aether/hand"]
    bridge.peer.spin_until(lambda: any(c.get("gripper") == 1 for c in bridge.commands_received()),
                           what="the pinch to close the gripper on the controller", every=next_frame)
    acks = bridge.peer.spin_until(lambda: [a for a in from_hand() if a.target.z > REACHABLE[2] + 0.005] or None,
                                  what="a hand target above the anchor", every=next_frame)
    bad = [(a.code, a.message) for a in from_hand() if a.status != CommandAck.STATUS_OK and a.code != "superseded"]
    assert not bad, bad
    assert max(a.target.z for a in from_hand()) <= REACHABLE[2] + 0.02 + 1e-6  # moved by the displacement, not to the palm
    assert acks[-1].target.z > REACHABLE[2] + 0.005


def test_hand_lost_holds(bridge):
    ok(bridge.target(*REACHABLE))
    seen = len(bridge.acks)
    m = HandState()
    m.detected = False
    bridge.pub(HandState, "/aether/hand").publish(m)
    bad = HandState()
    bad.detected, bad.confidence, bad.palm.x = True, 0.9, math.nan
    bridge.pub(HandState, "/aether/hand").publish(bad)
    # A probe target after the bad frames: its ack proves the frames were processed first.
    ok(bridge.target(*REACHABLE))
    assert not [a for a in bridge.acks[seen:] if a.source == "/aether/hand"], "a lost/NaN hand produced a command"


def rclpy_duration(ns):
    from rclpy.duration import Duration
    return Duration(nanoseconds=ns)
