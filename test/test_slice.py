"""The thin end-to-end slice: rclpy → aether_bridge (rclgo) → TCP → aether_controller → ack back in rclpy."""

from geometry_msgs.msg import PointStamped

from aether_msgs.msg import CommandAck
from conftest import free_port, start_bridge, start_controller, wait_connected


def test_target_is_acked_end_to_end(procs, peer):
    port = free_port()
    start_controller(procs, port)
    start_bridge(procs, "-p", "controller_host:=127.0.0.1", "-p", f"controller_port:={port}")
    wait_connected(peer)

    acks = peer.collect(CommandAck, "/aether/ack")
    pub = peer.node.create_publisher(PointStamped, "/aether/target", 10)
    msg = PointStamped()
    msg.header.frame_id = "base_link"
    # 0.12, 0.0355, 0.21 m is the seed document's x=120.0, y=35.5, z=210.0 mm.
    msg.point.x, msg.point.y, msg.point.z = 0.12, 0.0355, 0.21
    peer.spin_until(lambda: pub.get_subscription_count() > 0, what="the bridge to subscribe to /aether/target")
    pub.publish(msg)

    ack = peer.spin_until(lambda: acks[0] if acks else None, what="an ack on /aether/ack")
    assert ack.status == CommandAck.STATUS_OK, (ack.code, ack.message)
    assert ack.message == "Command received"
    assert ack.source == "/aether/target"
    assert ack.id != ""
    assert abs(ack.target.x - 0.12) < 1e-6 and abs(ack.target.y - 0.0355) < 1e-6 and abs(ack.target.z - 0.21) < 1e-6
    assert ack.rtt.sec == 0 and ack.rtt.nanosec > 0
