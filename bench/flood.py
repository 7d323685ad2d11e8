"""P3 load and count, each in its own process (no GIL shared with the other):

    flood.py publish --seconds S [--topic T] [--rate HZ]
        Waits until a subscriber on T is matched, prints "ready", publishes the
        benchmark's target stream on T (back to back, or paced at HZ) for S
        seconds, then prints one JSON line {"published", "start_ns", "end_ns"}
        (wall clock, ns).

    flood.py count --seconds S --out FILE [--what ack|echo]
        Subscribes to /aether/ack (ok acks) or to the relay's output, prints
        "ready", and after S seconds writes {"all": N, "ns": [...]} to FILE:
        how many arrived, and the DDS reception time of each ok ack (or echo).
"""

import argparse
import json
import sys
import time

import rclpy
from geometry_msgs.msg import PointStamped

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
        node.create_subscription(PointStamped, "/bench/out", on_echo, 1000)
        topic = "/bench/out"
    measure.wait_until(lambda: node.count_publishers(topic) > 0, 30, f"a publisher on {topic}")
    print("ready", flush=True)
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.05)
    with open(a.out, "w") as f:
        json.dump(got, f)
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
    a = ap.parse_args(argv)
    if not 0 < a.seconds <= 600:
        raise SystemExit(f"flood: --seconds {a.seconds}: use a duration in (0, 600] seconds")
    if a.mode == "publish" and not 0 <= a.rate <= 100000:
        raise SystemExit(f"flood: --rate {a.rate}: use 0 (as fast as possible) up to 100000 per second")
    rclpy.init()
    try:
        (publish if a.mode == "publish" else count)(a)
    finally:
        rclpy.try_shutdown()


if __name__ == "__main__":
    sys.exit(main())
