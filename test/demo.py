"""`make demo`: the simulated arm, the bridge, and a short sample motion, all real.

Starts bin/aether_controller --backend sim and bin/aether_bridge on this machine
(127.0.0.1, DDS on loopback), publishes a sample motion through rclpy — targets
on /aether/target, gripper on /aether/gripper, then ~/home — and prints each
command with its ack from /aether/ack. It exits cleanly when done, and on
Ctrl-C, leaving no process behind.

Watch along from another shell (same ROS_DOMAIN_ID):
    . scripts/env.sh && python3 -c '...'   or   ros2 topic echo /aether/ack
"""

import math
import os
import re
import signal
import sys
import time

from harness import BIN, Proc

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")

import rclpy  # noqa: E402
from geometry_msgs.msg import PointStamped  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402
from std_msgs.msg import Float64  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402

from aether_msgs.msg import CommandAck, LinkState  # noqa: E402


def sample_motion():
    """A small horizontal circle in front of the arm (metres, base_link), then back."""
    cx, cy, z, r = 0.165, 0.0, 0.12, 0.03
    for i in range(13):
        a = 2 * math.pi * i / 12
        yield cx + r * math.cos(a), cy + r * math.sin(a), z


class Demo:
    def __init__(self, node):
        self.node = node
        self.acks = {}
        self.ack_list = []
        self.link_state = None
        self.joints = None
        node.create_subscription(CommandAck, "/aether/ack", self._on_ack, 100)
        node.create_subscription(LinkState, "/aether/link_state", self._on_state,
                                 QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL))
        node.create_subscription(JointState, "/joint_states", self._on_joints, 10)
        self.target_pub = node.create_publisher(PointStamped, "/aether/target", 10)
        self.gripper_pub = node.create_publisher(Float64, "/aether/gripper", 10)
        self.home = node.create_client(Trigger, "/aether_bridge/home")

    def _on_ack(self, a):
        self.ack_list.append(a)
        ok = "ok   " if a.status == CommandAck.STATUS_OK else f"ERROR {a.code}"
        rtt = a.rtt.sec * 1e3 + a.rtt.nanosec / 1e6
        print(f"  ← ack  id={a.id:<14} {ok} {a.source:<16} rtt={rtt:6.2f} ms  {a.message}", flush=True)

    def _on_state(self, s):
        self.link_state = s
        print(f"  link   {s.state_name} {s.reason} {s.server_name} {s.arm}".rstrip(), flush=True)

    def _on_joints(self, j):
        self.joints = j

    def spin_until(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise SystemExit(f"demo: timed out waiting for {what}")
            spin_once(self.node, 0.05)

    def spin_for(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            spin_once(self.node, max(0.0, min(0.05, end - time.monotonic())))


# Ctrl-C (or SIGTERM) during spin_once surfaces inside rclpy as whatever it was doing failed: a
# pybind RuntimeError in a take, or the wait set of a context rclpy's own handler shut down. So
# during spin_once the handler only notes it, and spin_once turns any of that into one
# KeyboardInterrupt once rclpy has returned.
_stop = {"requested": False, "spinning": False}


def on_signal(*_):
    _stop["requested"] = True
    if not _stop["spinning"]:
        raise KeyboardInterrupt


def spin_once(node, timeout):
    _stop["spinning"] = True
    try:
        rclpy.spin_once(node, timeout_sec=timeout)
    except Exception:
        if not _stop["requested"]:
            raise
    finally:
        _stop["spinning"] = False
    if _stop["requested"]:
        raise KeyboardInterrupt


def main():
    procs = []
    try:
        print("demo: starting aether_controller (sim arm) on 127.0.0.1, a port the kernel picks", flush=True)
        ctl = Proc("aether_controller", [BIN / "aether_controller", "--listen", "127.0.0.1:0", "--backend", "sim"])
        procs.append(ctl)
        port = int(re.search(r"listening on \S*:(\d+)", ctl.wait_for_line("listening on")).group(1))
        print(f"demo: aether_controller listens on 127.0.0.1:{port}", flush=True)
        print("demo: starting aether_bridge", flush=True)
        procs.append(Proc("aether_bridge", [BIN / "aether_bridge", "--ros-args", "-p", "controller_host:=127.0.0.1",
                                            "-p", f"controller_port:={port}"]))
        rclpy.init()
        node = rclpy.create_node("aether_demo")
        d = Demo(node)
        d.spin_until(lambda: d.link_state is not None and d.link_state.state_name == "connected", 30,
                     "the bridge to connect to the controller")
        d.spin_until(lambda: d.target_pub.get_subscription_count() > 0, 10, "the bridge's subscriptions")

        sent = 0
        print("demo: gripper open", flush=True)
        d.gripper_pub.publish(Float64(data=0.0))
        sent += 1
        for x, y, z in sample_motion():
            m = PointStamped()
            m.header.frame_id = "base_link"
            m.header.stamp = node.get_clock().now().to_msg()
            m.point.x, m.point.y, m.point.z = x, y, z
            print(f"  → target ({x:.3f}, {y:.3f}, {z:.3f}) m", flush=True)
            d.target_pub.publish(m)
            sent += 1
            d.spin_for(0.2)
        print("demo: gripper close", flush=True)
        d.gripper_pub.publish(Float64(data=1.0))
        sent += 1
        d.spin_until(lambda: d.home.service_is_ready(), 10, "the ~/home service")
        print("  → ~/home", flush=True)
        fut = d.home.call_async(Trigger.Request())
        d.spin_until(lambda: fut.done(), 10, "the ~/home response")
        print(f"  ← ~/home: success={fut.result().success} {fut.result().message}", flush=True)
        sent += 1
        d.spin_until(lambda: len(d.ack_list) >= sent, 10, f"{sent} acks (got {len(d.ack_list)})")
        # The home and the gripper stroke take a moment: show the joints once the arm, seen moving
        # home, is at rest again.
        def at_rest():
            return d.joints is not None and d.joints.velocity and all(abs(v) < 1e-3 for v in d.joints.velocity)
        d.spin_until(lambda: not at_rest(), 5, "/joint_states of the arm moving home")
        d.spin_until(at_rest, 15, "/joint_states at rest after the home")
        j = d.joints
        print("demo: /joint_states at rest " +
              ", ".join(f"{n}={math.degrees(p):.1f}°" for n, p in zip(j.name, j.position)))
        bad = [a for a in d.ack_list if a.status != CommandAck.STATUS_OK]
        print(f"demo: {len(d.ack_list)} acks, {len(bad)} errors — done", flush=True)
        node.destroy_node()
        rclpy.shutdown()
        return 1 if bad else 0
    except KeyboardInterrupt:
        print("\ndemo: interrupted", flush=True)
        return 130
    finally:
        for p in reversed(procs):
            code = p.stop()
            print(f"demo: {p.name} exited with {code}", flush=True)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, on_signal)  # before rclpy.init, which chains to it
    signal.signal(signal.SIGTERM, on_signal)
    sys.exit(main())
