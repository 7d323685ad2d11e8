#!/usr/bin/env python3
"""Stand-in for controller_manager's spawner (ros2_control is not installable here): checks that
every controller it is asked to spawn is declared, with a type, in the --param-file for the
controller manager, and that a joint_trajectory_controller lists its joints; exits 0 when all are,
as the spawner does once they are active."""

import argparse
import sys

import yaml


def section(params, node):
    """The ros__parameters of node in a parameter file, under a /**/ wildcard or a plain key."""
    for key in (f"/**/{node}", node, "/**"):
        if key in params and "ros__parameters" in params[key]:
            return params[key]["ros__parameters"]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("controllers", nargs="+")
    ap.add_argument("--param-file", "-p", required=True)
    ap.add_argument("--controller-manager", "-c", default="controller_manager")
    args, _ = ap.parse_known_args()
    params = yaml.safe_load(open(args.param_file))
    cm = section(params, args.controller_manager.rsplit("/", 1)[-1])
    if cm is None:
        sys.exit(f"spawner stand-in: {args.param_file} has no parameters for {args.controller_manager}")
    for name in args.controllers:
        ctype = (cm.get(name) or {}).get("type")
        if not ctype:
            sys.exit(f"spawner stand-in: controller {name} has no type under {args.controller_manager}")
        if ctype == "joint_trajectory_controller/JointTrajectoryController":
            own = section(params, name) or {}
            if not own.get("joints") or "position" not in own.get("command_interfaces", []):
                sys.exit(f"spawner stand-in: {name} needs joints and a position command interface")
        print(f"spawner stand-in: {name} ({ctype}) configured and active", flush=True)


if __name__ == "__main__":
    main()
