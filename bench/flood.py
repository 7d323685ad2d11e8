"""P3 load and count, each in its own process (no GIL shared with the other):

    flood.py publish --seconds S [--topic T] [--rate HZ]
        Waits until a subscriber on T is matched, prints "ready", publishes the
        benchmark's target stream on T (back to back, or paced at HZ) for S
        seconds, then prints one JSON line {"published", "start_ns", "end_ns"}
        (wall clock, ns).

    flood.py count --seconds S --out FILE [--what ack|echo] [--topic T]
        Subscribes to /aether/ack (ok acks) or to an echo topic (default the
        relay's output), prints "ready", and after S seconds writes
        {"all": N, "ns": [...]} to FILE: how many arrived, and the DDS
        reception time of each ok ack (or echo).

    flood.py echo --in T --out U
        The rclpy echo node: republishes every PointStamped from T on U (same
        default QoS as the relay) until SIGTERM; prints "echoing" when up.

    flood.py gripper --seconds S --rate HZ --out FILE
        Publishes /aether/gripper at HZ for S seconds (reliable, depth 1000:
        the bridge's input depth, so the publisher drops nothing itself),
        then waits up to 10 s for an ack of each, and writes {"sent", "acked",
        "ok", "errors": {code: n}, "lost"} to FILE.
"""

import argparse
import json
import sys
import time

import rclpy
from geometry_msgs.msg import PointStamped
from rclpy.executors import ExternalShutdownException

import measure


def publish(a):
    node = rclpy.create_node("aether_bench_flood")
    pub = node.create_publisher(PointStamped, a.topic, 10)
    measure.wait_until(lambda: pub.get_subscription_count() > 0, 30, f"a subscriber on {a.topic}")
    print("ready", flush=True)
    m = PointStamped()
    m.header.frame_id = "base_link"
    p = m.point
    start = time.time_ns()

    def one(k):
        p.x, p.y, p.z = measure.target(k, a.rate or 20000.0)
        pub.publish(m)

    if a.rate:
        k = measure.pace(a.rate, a.seconds, one)
    else:
        k, end = 0, start + int(a.seconds * 1e9)
        while k % 256 or time.time_ns() < end:  # the clock costs as much as a publish: read it every 256
            one(k)
            k += 1
    print(json.dumps({"published": k, "start_ns": start, "end_ns": time.time_ns()}), flush=True)
    node.destroy_node()


def count(a):
    from aether_msgs.msg import CommandAck
    node = rclpy.create_node("aether_bench_count")
    got = {"all": 0, "ns": []}

    def on_ack(m, info):
        got["all"] += 1
        if m.status == CommandAck.STATUS_OK:
            got["ns"].append(info["received_timestamp"])

    def on_echo(m, info):
        got["all"] += 1
        got["ns"].append(info["received_timestamp"])

    if a.what == "ack":
        node.create_subscription(CommandAck, "/aether/ack", on_ack, 1000)
        topic = "/aether/ack"
    else:
        node.create_subscription(PointStamped, a.topic, on_echo, 1000)
        topic = a.topic
    measure.wait_until(lambda: node.count_publishers(topic) > 0, 30, f"a publisher on {topic}")
    print("ready", flush=True)
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.05)
    with open(a.out, "w") as f:
        json.dump(got, f)
    node.destroy_node()


def echo(a):
    node = rclpy.create_node("aether_bench_echo")
    pub = node.create_publisher(PointStamped, a.out_topic, 10)
    node.create_subscription(PointStamped, a.in_topic, pub.publish, 10)
    print("echoing", flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass


def gripper(a):
    import threading
    from std_msgs.msg import Float64
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from aether_msgs.msg import CommandAck
    node = rclpy.create_node("aether_bench_gripper")
    deep = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
    pub = node.create_publisher(Float64, "/aether/gripper", deep)
    acks = []  # (status, code) of each gripper ack; appended on the executor thread
    node.create_subscription(CommandAck, "/aether/ack",
                             lambda m: m.source == "/aether/gripper" and acks.append((m.status, m.code)), deep)
    measure.wait_until(lambda: pub.get_subscription_count() > 0 and node.count_publishers("/aether/ack") > 0,
                       30, "the bridge's /aether/gripper subscription and /aether/ack publisher")
    # Acks are taken while publishing: a reader nobody takes from holds only so many (DDS
    # resource limits), and losing acks here would be counted against the bridge.
    ex = SingleThreadedExecutor()
    ex.add_node(node)
    spinner = threading.Thread(target=ex.spin, daemon=True)
    spinner.start()
    print("ready", flush=True)
    m = Float64()

    def one(k):
        m.data = (k % 11) / 10
        pub.publish(m)

    sent = measure.pace(a.rate, a.seconds, one)
    try:
        measure.wait_until(lambda: len(acks) >= sent, 10, "an ack of every gripper command")
    except RuntimeError:
        pass  # the missing ones are the figure
    ex.shutdown(timeout_sec=5)
    spinner.join(5)
    got = list(acks)
    errors = {}
    for status, code in got:
        if status != CommandAck.STATUS_OK:
            errors[code] = errors.get(code, 0) + 1
    res = {"sent": sent, "acked": len(got), "ok": len(got) - sum(errors.values()), "errors": errors,
           "lost": sent - len(got), "rate": a.rate, "seconds": a.seconds}
    with open(a.out, "w") as f:
        json.dump(res, f)
    node.destroy_node()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("publish")
    p.add_argument("--seconds", type=float, default=10.0, help="how long to publish, s")
    p.add_argument("--topic", default="/aether/target")
    p.add_argument("--rate", type=float, default=0.0, help="messages per second; 0 = as fast as possible")
    c = sub.add_parser("count")
    c.add_argument("--seconds", type=float, required=True, help="how long to count, s")
    c.add_argument("--out", required=True, help="result file (JSON)")
    c.add_argument("--what", choices=("ack", "echo"), default="ack")
    c.add_argument("--topic", default="/bench/out", help="the echo topic (with --what echo)")
    e = sub.add_parser("echo")
    e.add_argument("--in", dest="in_topic", default="/bench/echo_in")
    e.add_argument("--out", dest="out_topic", default="/bench/echo_out")
    g = sub.add_parser("gripper")
    g.add_argument("--seconds", type=float, default=10.0, help="how long to publish, s")
    g.add_argument("--rate", type=float, default=1000.0, help="messages per second")
    g.add_argument("--out", required=True, help="result file (JSON)")
    a = ap.parse_args(argv)
    if a.mode == "echo":
        a.seconds = 1.0  # runs until stopped
    if a.mode == "gripper" and not 0 < a.rate <= 10000:
        raise SystemExit(f"flood: --rate {a.rate}: use 1 to 10000 gripper commands per second")
    if not 0 < a.seconds <= 600:
        raise SystemExit(f"flood: --seconds {a.seconds}: use a duration in (0, 600] seconds")
    if a.mode == "publish" and not 0 <= a.rate <= 100000:
        raise SystemExit(f"flood: --rate {a.rate}: use 0 (as fast as possible) up to 100000 per second")
    rclpy.init()
    try:
        {"publish": publish, "count": count, "echo": echo, "gripper": gripper}[a.mode](a)
    finally:
        rclpy.try_shutdown()


if __name__ == "__main__":
    sys.exit(main())
