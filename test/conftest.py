"""Shared fixtures for the ROS 2 integration tests.

Everything here is real: the built binaries (bin/aether_controller,
bin/aether_bridge), rclpy peers on a DDS domain of their own, TCP on
127.0.0.1. Nothing waits by sleeping: every wait polls a condition until a
deadline and fails with what it was waiting for.
"""

import os
import random
import re
import time

import pytest

from harness import BIN, ROOT, Proc, held_port  # noqa: F401  (re-exported for the tests)

# One DDS domain per test run, so parallel runs on one machine never see
# each other's topics (scripts/env.sh's ROS_DOMAIN_ID is deliberately
# overridden; AETHER_TEST_DOMAIN_ID pins one). Set before rclpy is imported.
os.environ["ROS_DOMAIN_ID"] = os.environ.get("AETHER_TEST_DOMAIN_ID") or str(random.SystemRandom().randint(10, 100))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.pop("ROS_LOCALHOST_ONLY", None)  # deprecated: rcl warns and ignores the range

import rclpy  # noqa: E402  (after the environment is set)
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402

LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     reliability=ReliabilityPolicy.RELIABLE)


@pytest.fixture
def held():
    """held_port() for one test: closed after the test's processes are stopped."""
    with held_port() as s:
        yield s


@pytest.fixture
def procs():
    """Start processes with procs.start(...); all are stopped at teardown."""
    started = []

    class Starter:
        def start(self, name, argv, env=None, sock=None):
            p = Proc(name, argv, env, sock)
            started.append(p)
            return p

    yield Starter()
    for p in reversed(started):
        p.stop()


def start_controller(procs, port=0, *extra):
    """The sim controller on 127.0.0.1:port; 0 lets the kernel pick a port (no check-then-use race);
    a socket (held_port) is passed to it by socket activation, for a port the test holds before and
    across controllers. c.port is the port it listens on, read back from its "listening on" line."""
    argv = [BIN / "aether_controller", "--backend", "sim", *extra]
    if isinstance(port, int):
        c = procs.start("aether_controller", argv + ["--listen", f"127.0.0.1:{port}"])
    else:
        c = procs.start("aether_controller", argv, sock=port)
    c.port = int(re.search(r"listening on \S*:(\d+)", c.wait_for_line("listening on")).group(1))
    return c


def start_bridge(procs, *ros_args, env=None):
    return procs.start("aether_bridge", [BIN / "aether_bridge", "--ros-args", *ros_args], env=env)


@pytest.fixture(scope="session")
def ros_context():
    rclpy.init()
    yield
    rclpy.shutdown()


class Peer:
    """An rclpy node for one test, with a helper to spin until a condition holds."""

    def __init__(self, name):
        self.node = rclpy.create_node(name)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)

    def spin_until(self, cond, timeout=10.0, what="condition", every=None):
        """Spin until cond() is truthy; call every() between spins (e.g. to re-publish)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = cond()
            if v:
                return v
            if every:
                every()
            self.executor.spin_once(timeout_sec=0.05)
        v = cond()
        if v:
            return v
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def collect(self, msg_type, topic, qos=10):
        """Subscribe and return the list messages are appended to."""
        got = []
        self.node.create_subscription(msg_type, topic, got.append, qos)
        return got

    def close(self):
        self.executor.remove_node(self.node)
        self.node.destroy_node()


@pytest.fixture
def peer(ros_context, request):
    p = Peer("test_" + request.node.name.replace("[", "_").replace("]", "").replace("-", "_")[:50])
    yield p
    p.close()


def publish_target(peer, x, y, z, topic="/aether/target", frame="base_link"):
    """Publish one PointStamped target (metres) once the bridge subscribes; returns the publisher."""
    from geometry_msgs.msg import PointStamped
    pub = peer.node.create_publisher(PointStamped, topic, 10)
    peer.spin_until(lambda: pub.get_subscription_count() > 0, what=f"the bridge's {topic} subscription")
    m = PointStamped()
    m.header.frame_id = frame
    m.point.x, m.point.y, m.point.z = x, y, z
    pub.publish(m)
    return pub


def wait_connected(peer, state_name="connected", timeout=20.0):
    """Wait for /aether/link_state to report state_name (it is latched)."""
    from aether_msgs.msg import LinkState
    states = peer.collect(LinkState, "/aether/link_state", LATCHED)
    return peer.spin_until(lambda: next((s for s in reversed(states) if s.state_name == state_name), None),
                           timeout, f"/aether/link_state {state_name!r} (saw {[s.state_name for s in states]})")


def send_seed_target(peer):
    """Publish the seed document's target (x=120.0, y=35.5, z=210.0 mm) on /aether/target and
    return its ack from /aether/ack."""
    from aether_msgs.msg import CommandAck
    from geometry_msgs.msg import PointStamped
    acks = peer.collect(CommandAck, "/aether/ack")
    pub = peer.node.create_publisher(PointStamped, "/aether/target", 10)
    msg = PointStamped()
    msg.header.frame_id = "base_link"
    # 0.12, 0.0355, 0.21 m is the seed document's x=120.0, y=35.5, z=210.0 mm.
    msg.point.x, msg.point.y, msg.point.z = 0.12, 0.0355, 0.21
    peer.spin_until(lambda: pub.get_subscription_count() > 0, what="the bridge to subscribe to /aether/target")
    pub.publish(msg)
    return peer.spin_until(lambda: acks[0] if acks else None, what="an ack on /aether/ack")
