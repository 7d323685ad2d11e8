"""The benchmark's rclpy peer: publishes targets, records when acks and relay
echoes arrive (the DDS reception timestamp of each message, so the driver's
own Python scheduling does not add to the figures), and reads /diagnostics.

Import after the DDS environment (ROS_DOMAIN_ID, discovery range) is set.
"""

import threading
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from aether_msgs.msg import CommandAck, LinkState

import measure

TOPIC_TARGET = "/aether/target"
TOPIC_RELAY_IN = "/bench/in"
TOPIC_RELAY_OUT = "/bench/out"

LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL, reliability=ReliabilityPolicy.RELIABLE)


class Recording:
    """What arrived during one phase. Appends happen on the executor thread."""

    def __init__(self):
        self.acks = []      # (recv_ns, id, ok, code, key)
        self.echoes = []    # (recv_ns, key)


class Driver:
    """One rclpy node, spun by an executor thread, shared by every phase."""

    def __init__(self):
        rclpy.init()
        self.node = rclpy.create_node("aether_bench")
        self.lock = threading.Lock()
        self.rec = Recording()
        self.link_state = None
        self.diag = []              # (stamp_ns, acked, errors, sent)
        n = self.node
        self._subs = []
        self.listen()
        n.create_subscription(DiagnosticArray, "/diagnostics", self._on_diag, 10)
        n.create_subscription(LinkState, "/aether/link_state", self._on_link, LATCHED)
        self.pubs = {t: n.create_publisher(PointStamped, t, 10) for t in (TOPIC_TARGET, TOPIC_RELAY_IN)}
        self._msg = PointStamped()
        self._msg.header.frame_id = "base_link"
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(n)
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def close(self):
        self.executor.shutdown(timeout_sec=5)
        self._thread.join(5)
        self.node.destroy_node()
        rclpy.try_shutdown()

    def listen(self):
        """Subscribe to acks and relay echoes (again, after quiet())."""
        if not self._subs:
            self._subs = [self.node.create_subscription(CommandAck, "/aether/ack", self._on_ack, 1000),
                          self.node.create_subscription(PointStamped, TOPIC_RELAY_OUT, self._on_echo, 1000)]

    def quiet(self):
        """Drop the ack and echo subscriptions, so a flood is not also received here."""
        for s in self._subs:
            self.node.destroy_subscription(s)
        self._subs = []

    # Callbacks (executor thread): as little work as possible.
    def _on_ack(self, m, info):
        self.rec.acks.append((info["received_timestamp"], m.id, m.status == CommandAck.STATUS_OK, m.code,
                              measure.key(m.target.x, m.target.y)))

    def _on_echo(self, m, info):
        self.rec.echoes.append((info["received_timestamp"], measure.key(m.point.x, m.point.y)))

    def _on_diag(self, m):
        for st in m.status:
            if st.name == "aether_bridge: link":
                v = {kv.key: kv.value for kv in st.values}
                stamp = m.header.stamp.sec * 10**9 + m.header.stamp.nanosec
                with self.lock:
                    self.diag.append((stamp, int(v.get("acked", 0)), int(v.get("errors", 0)), int(v.get("sent", 0))))

    def _on_link(self, m):
        self.link_state = m.state_name

    def new_recording(self):
        """Start a fresh Recording (the old one is returned)."""
        old = self.rec
        self.rec = Recording()
        return old

    def publish(self, topic, k, rate, log):
        """Publish the k-th target on topic and log its key with the time just before publishing."""
        x, y, z = measure.target(k, rate)
        p = self._msg.point
        p.x, p.y, p.z = x, y, z
        log.add(measure.key(x, y), time.time_ns())
        self.pubs[topic].publish(self._msg)

    def wait_bridge(self, timeout=30.0):
        """Wait for the bridge to be connected and matched with our publisher and subscriber."""
        measure.wait_until(lambda: self.link_state == "connected", timeout,
                           f"/aether/link_state 'connected' (last: {self.link_state!r})")
        measure.wait_until(lambda: self.pubs[TOPIC_TARGET].get_subscription_count() > 0
                           and self.node.count_publishers("/aether/ack") > 0, timeout,
                           "the bridge's /aether/target subscription and /aether/ack publisher")

    def wait_relay(self, timeout=30.0):
        measure.wait_until(lambda: self.pubs[TOPIC_RELAY_IN].get_subscription_count() > 0
                           and self.node.count_publishers(TOPIC_RELAY_OUT) > 0, timeout,
                           "the relay's subscription and publisher")
