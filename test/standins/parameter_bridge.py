#!/usr/bin/env python3
"""Stand-in for ros_gz_bridge's parameter_bridge (Gazebo is not installable here): checks each
bridge argument's syntax (TOPIC@ROS_TYPE[GZ_TYPE, ]GZ_TYPE or @GZ_TYPE) and waits for SIGTERM.
The test publishes /clock itself, as the bridged Gazebo clock would."""

import re
import signal
import sys

SPEC = re.compile(r"^/?[\w/]+@[\w]+/msg/\w+[\[\]@][\w.]+$")


def main():
    specs = [a for a in sys.argv[1:] if not a.startswith("-")]
    if "--ros-args" in sys.argv:
        specs = [a for a in sys.argv[1:sys.argv.index("--ros-args")]]
    for s in specs:
        if not SPEC.match(s):
            sys.exit(f"parameter_bridge stand-in: {s!r} is not TOPIC@ROS_TYPE[GZ_TYPE")
    print(f"parameter_bridge stand-in: bridging {specs}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main()
