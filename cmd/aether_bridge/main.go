// Command aether_bridge is the ROS 2 node that drives the Aether arm: it takes
// targets, hand tracking, gripper and estop commands on ROS topics (metres,
// REP 103) and sends them to aether_controller over TCP (millimetres), or, in
// gazebo mode, publishes JointTrajectory to a simulated arm.
//
// Usage:
//
//	aether_bridge --ros-args -p controller_host:=127.0.0.1 -p controller_port:=5000
//	aether_bridge --ros-args --params-file config/bridge.yaml -p mode:=gazebo
//
// Every parameter is documented in config/bridge.yaml.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/node"
)

// main exits 2 on a start-up or run failure, with one clean line (no
// trace, no NUL bytes from rcl) on stderr.
func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "aether_bridge: "+bridge.CleanError(err))
		os.Exit(2)
	}
}

func run() error {
	for _, a := range os.Args[1:] {
		if a == "-h" || a == "--help" {
			fmt.Print(usage)
			return nil
		}
	}
	level := slog.LevelInfo
	if os.Getenv("AETHER_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	n, err := node.New(node.Options{Args: os.Args[1:], Logger: log})
	if err != nil {
		return err
	}
	defer n.Close()
	if err := n.Run(ctx); err != nil {
		return fmt.Errorf("spinning: %w", err)
	}
	log.Info("shutting down")
	return nil
}

const usage = `aether_bridge: ROS 2 node between ROS topics and the Aether arm controller.

Usage: aether_bridge [--ros-args [-p NAME:=VALUE]... [--params-file FILE] [-r FROM:=TO]...]

Inputs (metres, base frame): /aether/target (geometry_msgs/PointStamped),
/aether/target_pose (geometry_msgs/PoseStamped), /aether/hand (aether_msgs/HandState),
/aether/gripper (std_msgs/Float64, 0 open..1 closed), /aether/estop (std_msgs/Bool).
Outputs: /aether/ack, /aether/link_state, /diagnostics, /joint_states.
Services: ~/home, ~/stop, ~/reconnect (std_srvs/Trigger).
Topic names resolve under the node's namespace (-r __ns:=/arm2 moves them all to /arm2/...).
Parameters: see config/bridge.yaml (mode, controller_host, controller_port, ...).
Set AETHER_DEBUG=1 for debug logs.
`
