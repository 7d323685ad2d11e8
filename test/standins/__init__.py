"""Stand-ins for the ROS packages mode:=gazebo launches that are not installable here (Gazebo,
ros_gz, robot_state_publisher, ros2_control): small real programs (rclpy where they talk ROS)
that check what they are given as the real ones would need it. add_gazebo_packages installs them
into a fake install prefix under the real packages' names, so the launch file finds them."""

from pathlib import Path

HERE = Path(__file__).resolve().parent

# package -> {executable in lib/<package>/: stand-in script}
EXECUTABLES = {
    "robot_state_publisher": {"robot_state_publisher": "robot_state_publisher.py"},
    "ros_gz_sim": {"create": "create.py"},
    "ros_gz_bridge": {"parameter_bridge": "parameter_bridge.py"},
    "controller_manager": {"spawner": "spawner.py"},
}
# package -> {file in share/<package>/: text}
SHARE = {"ros_gz_sim": {"launch/gz_sim.launch.py": "# stand-in: test/launchxml.py reports includes, never runs them\n"}}


def add_gazebo_packages(prefix):
    """Install every stand-in package into the fake install prefix (see launchxml.make_install_prefix)."""
    prefix = Path(prefix)
    for pkg in sorted(set(EXECUTABLES) | set(SHARE)):
        (prefix / "lib" / pkg).mkdir(parents=True, exist_ok=True)
        for exe, script in EXECUTABLES.get(pkg, {}).items():
            (prefix / "lib" / pkg / exe).symlink_to(HERE / script)
        for rel, text in SHARE.get(pkg, {}).items():
            f = prefix / "share" / pkg / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
        marker = prefix / "share" / "ament_index" / "resource_index" / "packages" / pkg
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("")
    return prefix
