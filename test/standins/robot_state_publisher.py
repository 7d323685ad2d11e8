#!/usr/bin/env python3
"""Stand-in for robot_state_publisher (not installable here): takes robot_description from its
parameters, as the real one does, and publishes it latched on robot_description. No TF."""

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String


def main():
    rclpy.init()
    node = rclpy.create_node("robot_state_publisher")
    text = node.declare_parameter("robot_description", "").value
    if not text:
        node.get_logger().fatal("robot_description parameter is empty")
        raise SystemExit(1)
    qos = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL, reliability=ReliabilityPolicy.RELIABLE)
    pub = node.create_publisher(String, "robot_description", qos)
    pub.publish(String(data=text))
    sim = node.get_parameter("use_sim_time").value
    print(f"robot_state_publisher stand-in: publishing robot_description ({len(text)} bytes), use_sim_time={sim}",
          flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass


if __name__ == "__main__":
    main()
