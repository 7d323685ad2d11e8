"""Hand mapping as a lab user drives it through /aether/hand (issue 10 item 5): short dropouts
keep the mapping, and absolute mode puts a known palm position where the parameters say."""

import math

import pytest
from rclpy.duration import Duration

from aether_msgs.msg import CommandAck, HandState
from armwatch import ArmWatch, pose
from conftest import start_bridge, start_controller, wait_connected
from test_no_motion_on_its_own import REACHABLE, Inputs, ok

SHARP = ("-p", "hand.filter.min_cutoff_hz:=1000.0")  # the filter follows the palm almost at once


class Camera:
    """A 30 Hz hand tracker: stamped frames 33 ms apart, paced like a camera."""

    def __init__(self, peer):
        self.peer = peer
        self.pub = peer.node.create_publisher(HandState, "/aether/hand", 10)
        peer.spin_until(lambda: self.pub.get_subscription_count() > 0, what="the bridge's /aether/hand subscription")
        self.t0 = peer.node.get_clock().now()
        self.n = 0

    def frame(self, palm=None):
        m = HandState()
        m.header.frame_id = "camera"
        m.header.stamp = (self.t0 + Duration(nanoseconds=self.n * 33_000_000)).to_msg()
        self.n += 1
        if palm is not None:
            m.detected, m.confidence = True, 0.95
            m.palm.x, m.palm.y, m.palm.z = palm
        self.pub.publish(m)
        self.peer.executor.spin_once(timeout_sec=0.033)  # camera pacing, not synchronisation


def hand_acks(io, seen):
    """Acks of hand targets (a gripper change from the pinch has no target)."""
    return [a for a in io.acks[seen:] if a.source == "/aether/hand" and (a.target.x, a.target.y, a.target.z) != (0, 0, 0)]


def test_dropouts_of_a_third_of_a_second_do_not_shift_the_mapping(procs, peer):
    port = start_controller(procs).port
    start_bridge(procs, "-p", f"controller_port:={port}", *SHARP)
    wait_connected(peer)
    io = Inputs(peer)
    ok(io.target(*REACHABLE))
    arm = ArmWatch(port)
    anchor = tuple(v / 1000 for v in pose(arm.at_rest()))
    arm.close()

    cam = Camera(peer)
    seen = len(io.acks)
    first = peer.spin_until(lambda: hand_acks(io, seen) or None, what="the hand to engage",
                            every=lambda: cam.frame((0.0, 0.0, 0.5)))[0]
    assert ok(first).target.x == pytest.approx(anchor[0], abs=1e-4)
    for i in range(1, 4):
        for _ in range(9):  # 0.3 s without a hand
            cam.frame(None)
        seen = len(io.acks)
        want = anchor[0] + 0.01 * i
        a = peer.spin_until(lambda: hand_acks(io, seen) or None, what=f"a hand target after dropout {i}",
                            every=lambda: cam.frame((0.01 * i, 0.0, 0.5)))[0]
        shift = 1000 * math.dist((a.target.x, a.target.y, a.target.z), (want, anchor[1], anchor[2]))
        assert shift < 0.5, f"dropout {i} shifted the hand→arm mapping by {shift:.1f} mm"


def test_absolute_mode_maps_a_known_palm_position(procs, peer):
    port = start_controller(procs).port
    start_bridge(procs, "-p", f"controller_port:={port}", *SHARP, "-p", "hand.mode:=absolute",
                 "-p", "hand.axis_map:=['-z', 'x', '-y']", "-p", "hand.scale:=[0.5, 0.5, 0.5]",
                 "-p", "hand.offset:=[0.1, 0.0, 0.1]")
    wait_connected(peer)
    io = Inputs(peer)
    cam = Camera(peer)
    seen = len(io.acks)
    # A camera facing the user: palm 10 cm towards it, 2 cm to the right, 4 cm up.
    a = peer.spin_until(lambda: hand_acks(io, seen) or None, what="a hand target",
                        every=lambda: cam.frame((0.02, -0.04, -0.1)))[0]
    want = (0.1 + 0.5 * 0.1, 0.5 * 0.02, 0.1 + 0.5 * 0.04)  # (0.15, 0.01, 0.12) m
    assert ok(a).status == CommandAck.STATUS_OK
    assert (a.target.x, a.target.y, a.target.z) == pytest.approx(want, abs=1e-4)
    arm = ArmWatch(port)
    try:
        st = arm.wait(lambda st: not st["moving"] and math.dist(pose(st), [1000 * v for v in want]) < 0.5,
                      "the arm to reach the mapped position")
        assert st["control"] == "aether_bridge"
    finally:
        arm.close()


def test_out_of_workspace_hand_targets_warn_once_per_episode(procs, peer):
    port = start_controller(procs).port
    # Absolute mode with the palm mapped 1 m in front of the arm: every frame is out of reach.
    br = start_bridge(procs, "-p", f"controller_port:={port}", *SHARP, "-p", "hand.mode:=absolute",
                      "-p", "hand.offset:=[1.0, 0.0, 0.1]")
    wait_connected(peer)
    io = Inputs(peer)
    cam = Camera(peer)
    seen = len(io.acks)
    refused = lambda: [a for a in io.acks[seen:] if a.source == "/aether/hand" and a.status == CommandAck.STATUS_ERROR]
    peer.spin_until(lambda: len(refused()) >= 20, what="20 refused hand targets",
                    every=lambda: cam.frame((0.0, 0.0, 0.0)))
    assert {a.code for a in refused()} == {"out_of_range"}, {a.code for a in refused()}
    warns = [l for l in br.output().splitlines() if "level=WARN" in l and "source=/aether/hand" in l]
    assert len(warns) == 1, "\n".join(warns)
