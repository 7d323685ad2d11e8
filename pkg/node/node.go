// Package node is aether_bridge's ROS 2 node, on rclgo: the only package of
// the module that uses cgo. It wires ROS topics, services and parameters to
// the ROS-free pkg/bridge core and to the TCP link (pkg/link), or, in Gazebo
// mode, to a JointTrajectory publisher.
//
// Units: metres and radians on every ROS interface (REP 103); the wire to
// aether_controller speaks millimetres, converted in pkg/bridge.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unsafe"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	trajectory "github.com/aether-lab/aether-bridge/msgs/gen/trajectory_msgs/msg"

	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/rosparam"
)

// Name is the node's default name (remappable with --ros-args -r __node:=…).
const Name = "aether_bridge"

// Options are what a main passes to New.
type Options struct {
	// Args are the process arguments after the program name (os.Args[1:]),
	// including any --ros-args section.
	Args []string
	// Logger receives the node's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Node is a running aether_bridge. Create it with New, run it with Run,
// and always Close it.
type Node struct {
	log      *slog.Logger
	settings bridge.Settings
	params   *rosparam.Set

	rctx     *rclgo.Context
	node     *rclgo.Node
	pubs     publishers
	waiting  waitables // what the wait loop serves (waitloop.go)
	core     *bridge.Core
	linkSink *bridge.LinkSink // nil in gazebo mode
	hand     *bridge.HandInput

	clock       *simClock           // nil: wall time (use_sim_time false)
	jointStates *bridge.JointStates // the latest controller sample, for /joint_states

	ctx    context.Context // cancelled by Close; owns the goroutines below
	cancel context.CancelFunc
	wg     sync.WaitGroup

	stateMu    sync.Mutex
	linkStatus bridge.LinkStatus
	arm        *bridge.ArmState // last reported by the controller
}

// New parses parameters, creates the ROS node with its topics and services,
// and starts the link (or the Gazebo sink). Errors name what to fix.
func New(opts Options) (n *Node, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	// rosparam checks the arguments first: its errors name the argument and
	// what to write; rcl's say "error not set" and carry a C trace.
	ros, err := rosparam.ParseArgs(opts.Args)
	if err != nil {
		return nil, err
	}
	rclArgs, rest, err := rclgo.ParseArgs(opts.Args)
	if err != nil {
		return nil, bridge.RclArgsError(err.Error(), opts.Args)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("unexpected arguments %q: aether_bridge takes only --ros-args (e.g. --ros-args -p controller_host:=127.0.0.1)", rest)
	}
	for _, w := range ros.Warnings {
		log.Warn(w)
	}
	nodeName := ros.NodeName(Name)
	params, settings, ignored, err := bridge.LoadSettings(Name, "", ros)
	if err != nil {
		return nil, err
	}

	n = &Node{log: log.With("node", nodeName), settings: settings, params: params}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			n.Close()
		}
	}()

	n.rctx, err = rclgo.NewContextWithOpts(rclArgs, nil)
	if err != nil {
		return nil, fmt.Errorf("initialising ROS 2 (rcl): %w", err)
	}
	n.node, err = n.rctx.NewNode(Name, "")
	if err != nil {
		return nil, fmt.Errorf("creating node %q: %w", Name, err)
	}
	if log, err = n.logToRosout(log); err != nil {
		return nil, err
	}
	n.log = log.With("node", nodeName)
	if err := n.startClock(); err != nil {
		return nil, err
	}
	if err := n.createPublishers(); err != nil {
		return nil, err
	}
	if err := n.publishRobotDescription(); err != nil {
		return nil, err
	}
	n.startJointStates()
	if err := n.startCore(); err != nil {
		return nil, err
	}
	if err := n.createSubscriptions(); err != nil {
		return nil, err
	}
	if n.hand, err = bridge.NewHandInput(n.core, n.resolved(TopicHand), settings.Hand, nil); err != nil {
		return nil, err
	}
	if err := n.createServices(); err != nil {
		return nil, err
	}
	if err := n.createClutchService(); err != nil {
		return nil, err
	}
	if err := n.serveParameters(); err != nil {
		return nil, err
	}
	n.logIgnored(ignored)
	n.goPeriodic(settings.DiagnosticsPeriod, n.publishDiagnostics)
	n.log.Info("aether_bridge ready", "mode", settings.Mode, "controller", settings.ControllerAddr(),
		"base_frame", settings.BaseFrame)
	return n, nil
}

// Run spins the node until ctx is cancelled; it returns nil then, or the
// first error that stopped the executor.
func (n *Node) Run(ctx context.Context) error {
	err := n.spin(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Close stops the core (and its link) and every goroutine, then tears down
// ROS. Safe to call more than once.
func (n *Node) Close() error {
	n.cancel()
	n.wg.Wait() // the periodic diagnostics use the hand input and the link
	if n.hand != nil {
		n.hand.Close()
	}
	var errs []error
	if n.core != nil {
		errs = append(errs, n.core.Close())
	}
	if n.rctx != nil {
		errs = append(errs, n.rctx.Close())
		n.rctx = nil
	}
	return errors.Join(errs...)
}

// goPeriodic runs f every period until Close.
func (n *Node) goPeriodic(period time.Duration, f func()) {
	if period <= 0 {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-n.ctx.Done():
				return
			case <-t.C:
				f()
			}
		}
	}()
}

// startCore creates the core and what it sends through: the TCP link in
// modes hardware and sim, the trajectory publisher in mode gazebo.
func (n *Node) startCore() (err error) {
	s := n.settings
	var sink bridge.Sink
	if s.Mode == bridge.ModeGazebo {
		if n.pubs.trajectory, err = newPublisher(n.node, s.TrajectoryTopic, trajectory.JointTrajectoryTypeSupport,
			unsafe.Sizeof(trajectory.CJointTrajectory{}), nil); err != nil {
			return fmt.Errorf("creating publisher %s: %w", s.TrajectoryTopic, err)
		}
		if sink, err = bridge.NewGazeboSink(s.Gazebo(), n.publishTrajectory); err != nil {
			return fmt.Errorf("gazebo mode: %w", err)
		}
	} else {
		cfg := s.LinkConfig()
		cfg.Logger = n.log.With("component", "link")
		n.linkSink = bridge.NewLinkSink(cfg)
		sink = n.linkSink
	}
	n.core, err = bridge.NewCore(s.Core(), sink, bridge.Outputs{Ack: n.publishAck, Link: n.onLinkStatus, Telemetry: n.onTelemetry})
	return err
}
