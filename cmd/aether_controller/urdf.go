package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/urdf"
)

// runURDF is `aether_controller urdf`: print the robot model (URDF) of an
// arm file on stdout, e.g. for robot_state_publisher, RViz or MoveIt.
func runURDF(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aether_controller urdf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: aether_controller urdf [--arm FILE] [flags] > arm.urdf

Prints the arm's robot model (URDF): joints with the limits the controller uses (kinematics
narrowed by the servos), the gripper in real units, and a <ros2_control> block for
gz_ros2_control. The bridge publishes the same model on robot_description.

Flags:
`)
		fs.PrintDefaults()
	}
	var armFile string
	var o urdf.Options
	fs.StringVar(&armFile, "arm", "", "arm `file` (see config/arm.yaml); empty = the built-in arm")
	fs.StringVar(&o.BaseFrame, "base-frame", "base_link", "root link `name` the arm stands on (the bridge's base_frame)")
	fs.StringVar(&o.ControllersFile, "controllers", "", "absolute `path` of the ros2_control controllers YAML for gz_ros2_control (config/controllers.yaml); empty = left to the spawners")
	fs.StringVar(&o.Namespace, "namespace", "", "ROS `namespace` of the simulated arm's controller manager, e.g. /arm2; empty = root")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("urdf: unexpected argument %q: give the arm file with --arm FILE", fs.Arg(0))
	}
	arm := armfile.Default()
	if armFile != "" {
		var err error
		if arm, err = armfile.Load(armFile); err != nil {
			return err
		}
	}
	out, err := urdf.Generate(arm, o)
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}
