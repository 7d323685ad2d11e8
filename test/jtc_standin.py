"""A stand-in for ros2_control's joint_trajectory_controller (Gazebo is not installable here): an
rclpy node on simulation time that takes trajectories on <controller>/joint_trajectory with the
controller's stamp rule, and reports what it would do.

The rule (joint_trajectory_controller, Jazzy): a zero header.stamp means "start now" in the
controller's clock; a non-zero stamp is the start time in that clock (sim time under Gazebo). A
trajectory whose last point ends before now is rejected; one that starts later waits. An empty
trajectory cancels the current one (the arm holds).
"""

from dataclasses import dataclass

from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.time import Time
from trajectory_msgs.msg import JointTrajectory


@dataclass
class Accepted:
    """A trajectory the controller took: when it starts and ends in sim time (ns), and where to."""

    start_ns: int
    end_ns: int
    joint_names: list
    positions: list


class TrajectoryControllerStandIn:
    def __init__(self, name="arm_controller", joints=None):
        self.node = Node(name, parameter_overrides=[Parameter("use_sim_time", Parameter.Type.BOOL, True)])
        self.joints = joints
        self.accepted, self.rejected, self.cancelled = [], [], 0
        self.node.create_subscription(JointTrajectory, f"/{name}/joint_trajectory", self._on_trajectory, 10)

    def now_ns(self):
        return self.node.get_clock().now().nanoseconds

    def _on_trajectory(self, msg):
        if not msg.points:
            self.cancelled += 1
            return
        if self.joints is not None and set(msg.joint_names) != set(self.joints):
            self.rejected.append(f"joints {list(msg.joint_names)} are not the controller's {self.joints}")
            return
        now = self.now_ns()
        stamp = Time.from_msg(msg.header.stamp).nanoseconds
        start = now if stamp == 0 else stamp
        last = msg.points[-1].time_from_start
        end = start + last.sec * 1_000_000_000 + last.nanosec
        if end < now:
            self.rejected.append(f"trajectory ends at {end} ns, before now ({now} ns): dropped")
            return
        self.accepted.append(Accepted(start, end, list(msg.joint_names), list(msg.points[-1].positions)))

    def close(self):
        self.node.destroy_node()
