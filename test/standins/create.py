#!/usr/bin/env python3
"""Stand-in for ros_gz_sim's create (Gazebo is not installable here): reads the robot model from
-topic (latched), checks it is a URDF Gazebo can spawn with gz_ros2_control, and exits 0, as create
does once the entity is spawned."""

import argparse
import sys
import xml.etree.ElementTree as ET

import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-topic", required=True)
    ap.add_argument("-name", required=True)
    args, ros_args = ap.parse_known_args()
    rclpy.init(args=ros_args)
    node = rclpy.create_node("ros_gz_sim_create")
    got = []
    qos = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL, reliability=ReliabilityPolicy.RELIABLE)
    node.create_subscription(String, args.topic, got.append, qos)
    while not got:
        rclpy.spin_once(node, timeout_sec=0.1)
    robot = ET.fromstring(got[0].data)
    plugin = robot.find("gazebo/plugin")
    hw = robot.find("ros2_control/hardware/plugin")
    if robot.tag != "robot" or plugin is None or hw is None or hw.text != "gz_ros2_control/GazeboSimSystem":
        print("create stand-in: the robot model has no gz_ros2_control", file=sys.stderr)
        raise SystemExit(1)
    joints = [j.get("name") for j in robot.findall("ros2_control/joint")]
    print(f"create stand-in: spawned {args.name} from {node.resolve_topic_name(args.topic)}; "
          f"ros2_control joints {joints}; parameters {plugin.findtext('parameters')}", flush=True)


if __name__ == "__main__":
    main()
