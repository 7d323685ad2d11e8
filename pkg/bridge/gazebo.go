package bridge

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Trajectory is one JointTrajectory to publish: joint angles in radians in
// the joints' external (URDF / servo) frame, reached Duration after receipt.
// An empty Positions slice means "stop": ros2_control's joint trajectory
// controller cancels its goal on an empty trajectory.
type Trajectory struct {
	JointNames []string
	Positions  []float64
	Duration   time.Duration
}

// GazeboConfig configures a GazeboSink.
type GazeboConfig struct {
	// Arm is the kinematic model IK runs on (the same arm YAML as the
	// controller's). Must be valid.
	Arm ik.Model
	// Topic is where trajectories go, for ack messages. "" means
	// DefaultTrajectoryTopic.
	Topic string
	// GripperJoint, when set, is appended to every trajectory with the
	// gripper's position mapped linearly from 0 (GripperOpen) to 1
	// (GripperClosed). "" leaves the gripper out (a separate gripper controller).
	GripperJoint string
	// GripperOpen is the gripper joint's position when open, radians (or
	// metres for a prismatic joint); 0 is a valid position.
	GripperOpen float64
	// GripperClosed is the gripper joint's position when closed, radians
	// (or metres for a prismatic joint). 0 means DefaultGripperClosed.
	GripperClosed float64
	// MaxJointSpeed bounds joint speed, rad/s: a move's duration is its
	// largest joint change over this. 0 means DefaultMaxJointSpeed.
	MaxJointSpeed float64
	// MinDuration is the shortest trajectory, so tiny moves are not
	// commanded as jumps. 0 means 100 ms.
	MinDuration time.Duration
	// Clock tells when a trajectory has ended. Nil means the real clock.
	Clock clock.Clock
}

// Gazebo defaults, the one place they are written (the parameters use them too).
const (
	DefaultTrajectoryTopic = "arm_controller/joint_trajectory" // relative: under the node's namespace
	DefaultGripperClosed   = 0.8                               // rad (or m)
	DefaultMaxJointSpeed   = 1.5                               // rad/s
)

func (c *GazeboConfig) setDefaults() {
	if c.Topic == "" {
		c.Topic = DefaultTrajectoryTopic
	}
	if c.GripperClosed == 0 {
		c.GripperClosed = DefaultGripperClosed
	}
	if c.MaxJointSpeed == 0 {
		c.MaxJointSpeed = DefaultMaxJointSpeed
	}
	if c.MinDuration == 0 {
		c.MinDuration = 100 * time.Millisecond
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
}

// Validate reports the first bad field.
func (c GazeboConfig) Validate() error {
	if err := c.Arm.Validate(); err != nil {
		return fmt.Errorf("arm: %w", err)
	}
	if c.MaxJointSpeed < 0 || math.IsNaN(c.MaxJointSpeed) {
		return fmt.Errorf("gazebo.max_joint_speed must be > 0 rad/s (0 = 1.5), got %v", c.MaxJointSpeed)
	}
	if c.MinDuration < 0 {
		return fmt.Errorf("gazebo.min_duration must be >= 0, got %v", c.MinDuration)
	}
	return nil
}

// GazeboSink is the Sink of mode "gazebo": no TCP; IK runs here and every
// command becomes a JointTrajectory. Results are reported synchronously,
// and the commanded joints are reported as the arm's state (the trajectory
// controller reports nothing back to the bridge).
type GazeboSink struct {
	cfg     GazeboConfig
	publish func(Trajectory) error
	ev      Events // set by Start

	mu     sync.Mutex
	n      uint64
	joints []float64 // last commanded joints, model frame, rad
	until  time.Time // when the last trajectory ends: until then the arm may lag behind joints
	// halted: a stop cut the last move short, behind (at the move's pace)
	// before it would have ended; the arm stands there, not at joints.
	halted  bool
	behind  time.Duration
	gripper float64
	stopped bool // ~/stop or estop latched: no motion until a reset, as on the controller
}

// NewGazeboSink returns a sink that publishes through publish.
func NewGazeboSink(cfg GazeboConfig, publish func(Trajectory) error) (*GazeboSink, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &GazeboSink{cfg: cfg, publish: publish, joints: cfg.Arm.HomePose()}, nil // the simulated arm spawns at home
}

// Start records where outcomes go; Gazebo is always "connected".
func (g *GazeboSink) Start(ev Events) error {
	g.ev = ev
	ev.LinkState(link.StateChange{State: link.StateConnected, Reason: "gazebo mode: trajectories on " + g.cfg.Topic, At: time.Now()})
	return nil
}

// Close does nothing: every outcome was reported when its command was sent.
func (g *GazeboSink) Close() error { return nil }

// SetTarget solves IK for t and publishes the trajectory.
func (g *GazeboSink) SetTarget(t Target) (protocol.ID, error) {
	g.mu.Lock()
	grip := g.gripper
	g.mu.Unlock()
	return g.move(&t.Point, nil, grip)
}

// Send handles a gripper change (the joints stay where they were sent),
// home and reset.
func (g *GazeboSink) Send(c Command) (protocol.ID, error) {
	g.mu.Lock()
	grip := g.gripper
	g.mu.Unlock()
	switch c.Kind {
	case CommandGripper:
		return g.move(nil, nil, c.Gripper)
	case CommandHome:
		return g.move(nil, g.cfg.Arm.HomePose(), grip)
	case CommandReset:
		g.mu.Lock()
		was := g.stopped
		g.stopped = false
		g.mu.Unlock()
		id := g.nextID()
		msg := "reset: nothing was latched"
		if was {
			msg = "reset: stop latch released; the arm holds until the next command"
		}
		g.ev.Result(id, protocol.OK(id, msg), nil, 0)
		return id, nil
	}
	return "", &ackError{code: protocol.CodeInvalidCommand, msg: fmt.Sprintf("gazebo mode cannot send %s", c.Kind)}
}

// Stop publishes an empty trajectory, which makes the trajectory controller
// hold where it is, and latches: every motion, home included, is refused
// until a reset (an /aether/estop release), as on the controller.
func (g *GazeboSink) Stop() protocol.ID {
	now := g.cfg.Clock.Now()
	g.mu.Lock()
	g.stopped = true
	if !g.halted && now.Before(g.until) {
		g.halted, g.behind = true, g.until.Sub(now)
	}
	g.mu.Unlock()
	id := g.nextID()
	err := g.publish(Trajectory{JointNames: g.jointNames()})
	g.report(id, err, "stop sent to gazebo (empty trajectory on "+g.cfg.Topic+")")
	return id
}

// Refresh reports the commanded joints as the arm's state once the last
// move has had its time: the bridge cannot see the simulated arm, so
// during a move, or after a stop cut one short, it reports nothing.
func (g *GazeboSink) Refresh() {
	now := g.cfg.Clock.Now()
	g.mu.Lock()
	if g.joints == nil || g.halted || now.Before(g.until) {
		g.mu.Unlock()
		return
	}
	q, gripper := append([]float64(nil), g.joints...), g.gripper
	g.mu.Unlock()
	g.ev.Telemetry(g.state(q, gripper))
}

func (g *GazeboSink) nextID() protocol.ID {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return protocol.StringID(fmt.Sprintf("gz-%d", g.n))
}

func (g *GazeboSink) jointNames() []string {
	names := make([]string, 0, len(g.cfg.Arm.Joints)+1)
	for _, j := range g.cfg.Arm.Joints {
		names = append(names, j.Name)
	}
	if g.cfg.GripperJoint != "" {
		names = append(names, g.cfg.GripperJoint)
	}
	return names
}

// errHaltedGripper refuses a gripper change after a stop cut a move short:
// a trajectory must carry every joint, and the ones last sent would finish
// the interrupted move.
var errHaltedGripper = &ackError{code: protocol.CodeMissingField, msg: "gazebo mode: a stop halted the arm mid-move where the bridge cannot see it, and a gripper change must resend every joint: send a target or home before changing the gripper"}

// move publishes a trajectory to p (solved by IK), to the joints q, or,
// both nil, to the joints last sent (a gripper change).
func (g *GazeboSink) move(p *ik.Point, q []float64, gripper float64) (protocol.ID, error) {
	if p != nil {
		sol, err := g.cfg.Arm.IK(*p, ik.Options{})
		if err != nil {
			return "", err
		}
		q = sol.Joints
	}
	now := g.cfg.Clock.Now()
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return "", &ackError{code: protocol.CodeEstop, msg: "stop latched in gazebo mode: release it with a reset (publish false on aether/estop) before moving again"}
	}
	if q == nil {
		if g.halted {
			g.mu.Unlock()
			return "", errHaltedGripper
		}
		q = append([]float64(nil), g.joints...)
	}
	ext, err := g.cfg.Arm.ToExternal(q)
	if err != nil {
		g.mu.Unlock()
		return "", err
	}
	d := g.plan(q, now)
	g.gripper = gripper
	g.mu.Unlock()
	positions := ext
	if g.cfg.GripperJoint != "" {
		positions = append(positions, gripperJoint(g.cfg.GripperOpen, g.cfg.GripperClosed, gripper))
	}
	id := g.nextID()
	err = g.publish(Trajectory{JointNames: g.jointNames(), Positions: positions, Duration: d})
	g.report(id, err, fmt.Sprintf("sent to gazebo on %s (%.2f s)", g.cfg.Topic, d.Seconds()))
	if err == nil {
		g.ev.Telemetry(g.state(q, gripper))
	}
	return id, nil
}

// plan records a move to q starting at now and returns its duration: the
// longest joint travel from the joints last sent over MaxJointSpeed, plus
// the time the arm may still lag behind them (a running move's rest, or
// what a stopped one had left), so no move is faster for starting before
// the last one ended. g.mu must be held.
func (g *GazeboSink) plan(q []float64, now time.Time) time.Duration {
	lag := max(g.until.Sub(now), 0)
	if g.halted {
		lag = g.behind
	}
	var largest float64
	for i := range q {
		largest = max(largest, math.Abs(q[i]-g.joints[i]))
	}
	d := max(time.Duration(largest/g.cfg.MaxJointSpeed*float64(time.Second))+lag, g.cfg.MinDuration)
	g.joints = append(g.joints[:0], q...)
	g.until, g.halted, g.behind = now.Add(d), false, 0
	return d
}

// state is the commanded arm as a controller would report it: degrees in
// the model frame, the tool position by forward kinematics.
func (g *GazeboSink) state(q []float64, gripper float64) protocol.State {
	st := protocol.State{Gripper: gripper, Watchdog: protocol.WatchdogOff, TimeMS: time.Now().UnixMilli()}
	for i, j := range g.cfg.Arm.Joints {
		st.Joints = append(st.Joints, protocol.JointState{Name: j.Name, Deg: q[i] * 180 / math.Pi})
	}
	if p, err := g.cfg.Arm.FK(q); err == nil {
		st.Pose = protocol.Point{X: p.X, Y: p.Y, Z: p.Z}
	}
	return st
}

func (g *GazeboSink) report(id protocol.ID, err error, okMsg string) {
	if err != nil {
		g.ev.Result(id, protocol.Response{}, fmt.Errorf("publishing on %s: %w", g.cfg.Topic, err), 0)
		return
	}
	g.ev.Result(id, protocol.OK(id, okMsg), nil, 0)
}
