"""The thin end-to-end slice: rclpy → aether_bridge (rclgo) → TCP → aether_controller → ack back in rclpy."""

from aether_msgs.msg import CommandAck
from conftest import send_seed_target, start_bridge, start_controller, wait_connected


def test_target_is_acked_end_to_end(procs, peer):
    port = start_controller(procs).port
    start_bridge(procs, "-p", "controller_host:=127.0.0.1", "-p", f"controller_port:={port}")
    wait_connected(peer)

    ack = send_seed_target(peer)
    assert ack.status == CommandAck.STATUS_OK, (ack.code, ack.message)
    assert ack.message == "Command received"
    assert ack.source == "/aether/target"
    assert ack.id != ""
    assert abs(ack.target.x - 0.12) < 1e-6 and abs(ack.target.y - 0.0355) < 1e-6 and abs(ack.target.z - 0.21) < 1e-6
    assert ack.rtt.sec == 0 and ack.rtt.nanosec > 0
