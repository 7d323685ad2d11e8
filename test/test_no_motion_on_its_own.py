"""The arm never does what nobody asked (issue 10), as a lab user hits it through ROS 2:
a gripper change never moves the arm, nothing runs late after an outage, and an idle bridge
keeps control across a reconnect. The arm is watched on the controller itself."""

import json
import math
import re
import time

import pytest
from geometry_msgs.msg import PointStamped
from std_msgs.msg import Bool, Float64
from std_srvs.srv import Trigger

from aether_msgs.msg import CommandAck, LinkState
from armwatch import ArmWatch, pose
from conftest import LATCHED, start_bridge, start_controller, wait_connected

REACHABLE = (0.16, 0.0, 0.12)  # metres
WIRE_IN = re.compile(r' msg=in .* line="(.*)"$')  # aether_controller -v: a received line


def call(peer, name):
    cli = peer.node.create_client(Trigger, name)
    peer.spin_until(cli.service_is_ready, what=f"service {name}")
    fut = cli.call_async(Trigger.Request())
    peer.spin_until(fut.done, what=f"the response of {name}")
    return fut.result()


class Inputs:
    def __init__(self, peer):
        self.peer = peer
        self.acks = peer.collect(CommandAck, "/aether/ack", 100)
        self.pubs = {}

    def publish(self, msg_type, topic, msg):
        if topic not in self.pubs:
            p = self.peer.node.create_publisher(msg_type, topic, 10)
            self.peer.spin_until(lambda: p.get_subscription_count() > 0, what=f"the bridge to subscribe to {topic}")
            self.pubs[topic] = p
        seen = len(self.acks)
        self.pubs[topic].publish(msg)
        return self.peer.spin_until(lambda: next((a for a in self.acks[seen:] if a.source == topic), None),
                                    what=f"an ack from {topic}")

    def target(self, x, y, z):
        m = PointStamped()
        m.point.x, m.point.y, m.point.z = x, y, z
        return self.publish(PointStamped, "/aether/target", m)

    def gripper(self, v):
        return self.publish(Float64, "/aether/gripper", Float64(data=v))

    def ack_from(self, source, seen=0):
        return self.peer.spin_until(lambda: next((a for a in self.acks[seen:] if a.source == source), None),
                                    what=f"an ack from {source}")


def ok(a):
    assert a.status == CommandAck.STATUS_OK, f"{a.code}: {a.message}"
    return a


def test_target_home_gripper_leaves_the_arm_at_home(procs, peer):
    port = start_controller(procs).port
    start_bridge(procs, "-p", f"controller_port:={port}")
    wait_connected(peer)
    arm = ArmWatch(port)
    try:
        io = Inputs(peer)
        ok(io.target(*REACHABLE))
        arm.at_rest()
        assert call(peer, "/aether_bridge/home").success
        ok(io.ack_from("/aether_bridge/home"))
        home = pose(arm.at_rest())
        ok(io.gripper(1.0))
        st = arm.wait(lambda st: st["gripper"] == 1 and not st["moving"], "the gripper to close")
        assert math.dist(pose(st), home) < 0.5, f"a gripper change moved the arm from home {home} to {pose(st)}"
    finally:
        arm.close()


def test_commands_while_the_controller_is_down_never_run_after_it_starts(procs, peer, held):
    port = held.getsockname()[1]  # refused until the controller serves it; nobody else can take it
    states = peer.collect(LinkState, "/aether/link_state", LATCHED)
    start_bridge(procs, "-p", f"controller_port:={port}", "-p", "link.backoff_max_ms:=200")
    peer.spin_until(lambda: states and states[-1].state_name in ("backoff", "connecting"), what="the link to be down")
    io = Inputs(peer)

    r = call(peer, "/aether_bridge/home")
    assert not r.success and "controller is unreachable" in r.message, r.message
    g = io.gripper(1.0)
    assert g.status == CommandAck.STATUS_ERROR and "controller is unreachable" in g.message, g.message
    t = io.target(*REACHABLE)
    assert t.status == CommandAck.STATUS_ERROR and t.code == "expired", (t.code, t.message)
    assert "controller was unreachable" in t.message and "MaxTargetAge" not in t.message, t.message
    # A stop is the one command kept: a late stop is safe. The service says so.
    seen = len(io.acks)
    r = call(peer, "/aether_bridge/stop")
    assert r.success and "kept" in r.message and "sent first" in r.message, r.message

    ctl = start_controller(procs, held, "-v")
    wait_connected(peer)
    arm = ArmWatch(port)
    try:
        ok(io.ack_from("/aether_bridge/stop", seen))
        assert arm.state()["estopped"], "the kept stop did not reach the controller"
        # The bridge latched it, so its reset clears it; then a probe: once the probe reached
        # the controller, anything the bridge still held from the outage would have been sent.
        ok(io.publish(Bool, "/aether/estop", Bool(data=False)))
        ok(io.gripper(0.0))

        def moves():
            lines = [json.loads(json.loads('"' + m.group(1) + '"')) for m in map(WIRE_IN.search, ctl.output().splitlines()) if m]
            return [r for r in lines if r.get("type") in ("command", "home", "reset")]

        got = peer.spin_until(lambda: len(moves()) >= 2 and moves(), what="the controller to log the reset and the probe")
        assert [m["type"] for m in got] == ["reset", "command"], got
        assert got[1] == {"type": "command", "id": got[1]["id"], "gripper": 0, "ttl_ms": got[1]["ttl_ms"]}, got
        st = arm.state()
        assert not st["moving"] and st["gripper"] == 0, st
    finally:
        arm.close()


def test_an_idle_bridge_keeps_control_across_reconnect(procs, peer):
    port = start_controller(procs, 0, "--watchdog", "300ms", "--park-after", "1s").port
    states = peer.collect(LinkState, "/aether/link_state", LATCHED)
    start_bridge(procs, "-p", f"controller_port:={port}")
    wait_connected(peer)
    io = Inputs(peer)
    ok(io.target(*REACHABLE))
    peer.spin_until(lambda: states and states[-1].control and states[-1].watchdog == "ok",
                    what=f"link_state to show the bridge holding control (saw {[(s.control, s.watchdog) for s in states]})")
    before = states[-1].reconnects
    assert call(peer, "/aether_bridge/reconnect").success
    peer.spin_until(lambda: states[-1].reconnects > before and states[-1].state_name == "connected",
                    what="the reconnect")
    seen = len(states)
    arm = ArmWatch(port)
    try:
        # Idle for twice the park delay: the controller would park an arm nobody holds.
        end = time.monotonic() + 2.0
        peer.spin_until(lambda: time.monotonic() > end, timeout=5, what="two park delays to pass")
        st = arm.state()
        assert st["watchdog"] == "ok" and st["control"] == "aether_bridge", st
        assert not [s.watchdog for s in states[seen:] if s.watchdog in ("parking", "parked", "off")]
        assert states[-1].control and states[-1].watchdog == "ok"
    finally:
        arm.close()
