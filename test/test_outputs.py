"""Outputs and modes: gazebo mode against an rclpy stand-in for the trajectory controller,
/diagnostics, /joint_states, and /aether/link_state through a controller restart and a
seed-protocol (legacy) server."""

import json
import math
import socket
import threading

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from sensor_msgs.msg import JointState
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from aether_msgs.msg import CommandAck, LinkState
from conftest import LATCHED, publish_target, start_bridge, start_controller, wait_connected

JOINTS = ["base_yaw", "shoulder_pitch", "elbow_pitch", "wrist_pitch", "wrist_roll"]



def test_gazebo_mode_publishes_joint_trajectories(procs, peer):
    trajs = peer.collect(JointTrajectory, "/arm_controller/joint_trajectory")
    acks = peer.collect(CommandAck, "/aether/ack")
    start_bridge(procs, "-p", "mode:=gazebo")  # the gripper joint comes from the arm file
    st = wait_connected(peer, "gazebo")
    assert "no TCP" in st.reason

    publish_target(peer, 0.16, 0.02, 0.12)
    tr = peer.spin_until(lambda: trajs[-1] if trajs else None, what="a JointTrajectory from the bridge")
    assert list(tr.joint_names) == JOINTS + ["gripper_joint"]
    assert len(tr.points) == 1 and len(tr.points[0].positions) == 6
    t = tr.points[0].time_from_start
    assert t.sec * 1e9 + t.nanosec >= 100e6
    base_yaw = tr.points[0].positions[0]
    assert base_yaw == pytest.approx(math.atan2(0.02, 0.16), abs=1e-3)
    ack = peer.spin_until(lambda: acks[-1] if acks else None, what="the gazebo ack")
    assert ack.status == CommandAck.STATUS_OK and "gazebo" in ack.message and ack.source == "/aether/target"

    # ~/stop: an empty trajectory holds the simulated arm where it is.
    cli = peer.node.create_client(Trigger, "/aether_bridge/stop")
    peer.spin_until(cli.service_is_ready, what="~/stop")
    fut = cli.call_async(Trigger.Request())
    peer.spin_until(fut.done, what="~/stop response")
    empty = peer.spin_until(lambda: next((x for x in trajs if not x.points), None), what="an empty trajectory")
    assert list(empty.joint_names)[:5] == JOINTS

    # Reconnect has nothing to do in gazebo mode, and says so.
    cli = peer.node.create_client(Trigger, "/aether_bridge/reconnect")
    peer.spin_until(cli.service_is_ready, what="~/reconnect")
    fut = cli.call_async(Trigger.Request())
    peer.spin_until(fut.done, what="~/reconnect response")
    assert not fut.result().success and "gazebo" in fut.result().message


def test_diagnostics_and_joint_states(procs, peer):
    port = start_controller(procs).port
    diags = peer.collect(DiagnosticArray, "/diagnostics")
    joints = peer.collect(JointState, "/joint_states")
    start_bridge(procs, "-p", f"controller_port:={port}", "-p", "diagnostics_period_s:=0.2")
    wait_connected(peer)
    publish_target(peer, 0.16, 0.0, 0.12)

    s = peer.spin_until(lambda: next((st for arr in diags for st in arr.status
                                      if st.name == "aether_bridge: link" and st.message == "connected"), None),
                        what="a 'connected' link diagnostic")
    values = {kv.key: kv.value for kv in s.values}
    assert {"rtt_p50_ms", "rtt_p99_ms", "sent", "acked", "reconnects"} <= set(values)
    ctl = peer.spin_until(lambda: next((st for arr in diags for st in arr.status
                                        if st.name == "aether_bridge: controller" and
                                        {kv.key for kv in st.values} >= {"watchdog", "pose_mm"}), None),
                          what="a controller diagnostic with telemetry")
    assert ctl.hardware_id == f"127.0.0.1:{port}"
    hand = peer.spin_until(lambda: next((st for arr in diags for st in arr.status
                                         if st.name == "aether_bridge: hand"), None), what="a hand diagnostic")
    assert hand.message == "no hand-tracking frames yet"

    js = peer.spin_until(lambda: joints[-1] if joints else None, what="/joint_states")
    assert list(js.name) == JOINTS + ["gripper_joint"] and len(js.position) == 6
    assert all(abs(p) < 2 * math.pi for p in js.position)


def test_link_state_through_a_controller_restart(procs, peer, held):
    ctl = start_controller(procs, held)  # the restart below serves the same socket: the port stays ours
    port = ctl.port
    states = peer.collect(LinkState, "/aether/link_state", LATCHED)
    start_bridge(procs, "-p", f"controller_port:={port}", "-p", "link.backoff_max_ms:=200")
    wait_connected(peer)
    assert ctl.stop() == 0  # SIGTERM: the controller halts, tells clients and exits 0
    peer.spin_until(lambda: states and states[-1].state_name in ("backoff", "connecting"),
                    what=f"the link to notice (saw {[s.state_name for s in states]})")
    start_controller(procs, held)
    peer.spin_until(lambda: states and states[-1].state_name == "connected",
                    what=f"a reconnect (saw {[s.state_name for s in states]})")
    assert states[-1].reconnects >= 1
    acks = peer.collect(CommandAck, "/aether/ack")
    publish_target(peer, 0.16, 0.0, 0.12)
    a = peer.spin_until(lambda: acks[-1] if acks else None, what="an ack after the restart")
    assert a.status == CommandAck.STATUS_OK, a.message


class SeedServer:
    """The lab document's server, and nothing more: ok for a valid command, error otherwise."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.lines = []
        self.conns = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn):
        buf = b""
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.lines.append(line.decode())
                try:
                    msg = json.loads(line)
                    good = msg.get("type") == "command" and all(k in msg for k in ("x", "y", "z", "gripper"))
                except ValueError:
                    good = False
                reply = {"status": "ok", "message": "Command received"} if good else \
                    {"status": "error", "message": "Invalid command"}
                conn.sendall((json.dumps(reply) + "\n").encode())

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def test_seed_protocol_server_gives_legacy_mode(procs, peer):
    srv = SeedServer()
    try:
        start_bridge(procs, "-p", f"controller_port:={srv.port}")
        st = wait_connected(peer, "legacy")
        assert st.server_name == ""
        acks = peer.collect(CommandAck, "/aether/ack")
        publish_target(peer, 0.12, 0.0355, 0.21)
        a = peer.spin_until(lambda: acks[-1] if acks else None, what="a legacy ack")
        assert a.status == CommandAck.STATUS_OK and a.message == "Command received"
        sent = json.loads([l for l in srv.lines if '"command"' in l][-1])
        assert sent["x"] == pytest.approx(120.0) and sent["y"] == pytest.approx(35.5) and sent["z"] == pytest.approx(210.0)
        assert sent["gripper"] in ("open", "close")
    finally:
        srv.close()
