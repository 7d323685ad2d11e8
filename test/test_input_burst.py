"""Bursts on the bridge's inputs, as `ros2 topic pub -r 1000` sends them (reliable): no discrete
command the bridge can see is lost, and a target burst ends on its newest target."""

import time

import pytest
from geometry_msgs.msg import PointStamped
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import Bool, Float64

from aether_msgs.msg import CommandAck
from conftest import start_bridge, start_controller, wait_connected

REACHABLE = (0.16, 0.0, 0.12)  # metres, inside the default arm's workspace


@pytest.fixture
def rig(procs, peer):
    port = start_controller(procs).port
    br = start_bridge(procs, "-p", "controller_host:=127.0.0.1", "-p", f"controller_port:={port}")
    wait_connected(peer)
    # Deep enough on our side that the test never loses an ack itself.
    acks = peer.collect(CommandAck, "/aether/ack", QoSProfile(depth=5000, reliability=ReliabilityPolicy.RELIABLE))
    return peer, br, acks


def publisher(peer, msg_type, topic, depth=10):
    p = peer.node.create_publisher(msg_type, topic, QoSProfile(depth=depth, reliability=ReliabilityPolicy.RELIABLE))
    peer.spin_until(lambda: p.get_subscription_count() > 0, what=f"the bridge to subscribe to {topic}")
    return p


def paced(n, rate, publish):
    """Call publish(k) for k in 0..n-1 at rate per second (like ros2 topic pub -r), without spinning."""
    t0 = time.perf_counter()
    for k in range(n):
        while time.perf_counter() < t0 + k / rate:
            pass  # pacing the stream, not waiting for anything
        publish(k)


def from_source(acks, source):
    return [a for a in acks if a.source == source]


def gripper_burst(peer, acks, n, rate, depth):
    """Publish n gripper commands at rate (0: back to back) from a publisher of the given depth;
    return the bridge's acks of them."""
    pub = publisher(peer, Float64, "/aether/gripper", depth)
    paced(n, rate or 1e9, lambda k: pub.publish(Float64(data=(k % 11) / 10)))
    try:
        peer.spin_until(lambda: len(from_source(acks, "/aether/gripper")) >= n, timeout=30, what=f"{n} gripper acks")
    except AssertionError:
        pass  # the assertion below says how many
    got = from_source(acks, "/aether/gripper")
    assert len(got) == n, f"{len(got)} acks for {n} gripper commands"
    assert len({a.id for a in got if a.id}) == len([a for a in got if a.id]), "every command sent has its own id"
    return got


def test_gripper_at_1khz_every_command_is_sent_and_acked(rig):
    # ros2 topic pub -r 1000 --qos-depth 1000 /aether/gripper std_msgs/msg/Float64 ... A publisher's
    # depth bounds what it can resend: a shallow one (ros2 topic pub keeps 1 by default, depth 10
    # measured here) drops a sample now and then itself when this 2-core machine starves the
    # bridge, before the bridge could see it.
    peer, _, acks = rig
    got = gripper_burst(peer, acks, 1000, 1000, depth=1000)
    failed = [(a.code, a.message) for a in got if a.status != CommandAck.STATUS_OK]
    assert not failed, failed[:5]


def test_gripper_back_to_back_every_command_gets_an_ack(rig):
    # Faster than the link's queue drains: the overflow is refused with queue_full, never dropped;
    # on a starved machine a command still queued past link.max_command_age_ms expires instead
    # of running late. Either way it has its ack.
    # The publisher is as deep as the bridge's input: a depth-10 publisher drops most of a
    # back-to-back burst itself (KEEP_LAST), before the bridge can see it.
    peer, _, acks = rig
    got = gripper_burst(peer, acks, 1000, 0, depth=1000)
    refused = {(a.code, a.message) for a in got if a.status != CommandAck.STATUS_OK}
    assert {code for code, _ in refused} <= {"queue_full", "expired"}, sorted(refused)[:5]
    assert any(a.status == CommandAck.STATUS_OK for a in got)


def test_target_burst_acts_on_the_newest(rig):
    peer, br, acks = rig
    n = 500
    pub = publisher(peer, PointStamped, "/aether/target")
    m = PointStamped()
    m.header.frame_id = "base_link"

    def one(k):
        m.point.x, m.point.y, m.point.z = REACHABLE[0], -0.05 + 0.1 * k / (n - 1), REACHABLE[2]
        pub.publish(m)

    paced(n, 1e9, one)
    last_y = 0.05
    newest = peer.spin_until(lambda: next((a for a in acks if a.source == "/aether/target" and
                                           abs(a.target.y - last_y) < 1e-9), None),
                             timeout=30, what="the ack of the newest target")
    assert newest.status == CommandAck.STATUS_OK, f"{newest.code}: {newest.message}"
    got = from_source(acks, "/aether/target")
    assert len(got) <= n
    # Older targets are dropped in the latest-wins slot or never taken; none is acted on after the newest.
    ys = [a.target.y for a in got if a.status == CommandAck.STATUS_OK]
    assert ys[-1] == pytest.approx(last_y), ys[-5:]


def test_estop_burst_every_message_gets_an_ack(rig):
    # Engage/release toggled back to back: each one is a stop or a reset the bridge must not drop.
    peer, _, acks = rig
    n = 200
    pub = publisher(peer, Bool, "/aether/estop", depth=1000)
    paced(n, 1e9, lambda k: pub.publish(Bool(data=k % 2 == 0)))
    try:
        peer.spin_until(lambda: len(from_source(acks, "/aether/estop")) >= n, timeout=30, what=f"{n} estop acks")
    except AssertionError:
        pass  # the assertion below says how many
    got = from_source(acks, "/aether/estop")
    assert len(got) == n, f"{len(got)} acks for {n} estop messages"
