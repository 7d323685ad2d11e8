package bridge

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
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
	// "/arm_controller/joint_trajectory".
	Topic string
	// GripperJoint, when set, is appended to every trajectory with the
	// gripper's position mapped linearly from 0 (open) to GripperClosed.
	// "" leaves the gripper out (a separate gripper controller).
	GripperJoint string
	// GripperClosed is the gripper joint's position when closed, radians
	// (or metres for a prismatic joint). 0 means 0.8.
	GripperClosed float64
	// MaxJointSpeed bounds joint speed, rad/s: a move's duration is its
	// largest joint change over this. 0 means 1.5 rad/s.
	MaxJointSpeed float64
	// MinDuration is the shortest trajectory, so tiny moves are not
	// commanded as jumps. 0 means 100 ms.
	MinDuration time.Duration
}

func (c *GazeboConfig) setDefaults() {
	if c.Topic == "" {
		c.Topic = "/arm_controller/joint_trajectory"
	}
	if c.GripperClosed == 0 {
		c.GripperClosed = 0.8
	}
	if c.MaxJointSpeed == 0 {
		c.MaxJointSpeed = 1.5
	}
	if c.MinDuration == 0 {
		c.MinDuration = 100 * time.Millisecond
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
// command becomes a JointTrajectory. Results are reported synchronously.
type GazeboSink struct {
	cfg     GazeboConfig
	publish func(Trajectory) error
	result  func(protocol.ID, protocol.Response, error, time.Duration)

	mu      sync.Mutex
	n       uint64
	joints  []float64 // last commanded joints, model frame, rad
	gripper float64
}

// NewGazeboSink returns a sink that publishes through publish and reports
// each outcome through result (normally Core.Result).
func NewGazeboSink(cfg GazeboConfig, publish func(Trajectory) error,
	result func(protocol.ID, protocol.Response, error, time.Duration)) (*GazeboSink, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &GazeboSink{cfg: cfg, publish: publish, result: result, joints: cfg.Arm.HomePose()}, nil
}

// SetTarget solves IK for p and publishes the trajectory.
func (g *GazeboSink) SetTarget(p ik.Point, gripper float64) (protocol.ID, error) {
	return g.move(&p, nil, gripper)
}

// Send handles command (a full target + gripper), home and reset.
func (g *GazeboSink) Send(r protocol.Request) (protocol.ID, error) {
	switch r.Type {
	case protocol.TypeCommand:
		if r.X == nil || r.Y == nil || r.Z == nil {
			return "", &ackError{code: string(protocol.CodeMissingField), msg: "command needs x, y and z"}
		}
		g.mu.Lock()
		grip := g.gripper
		g.mu.Unlock()
		if r.Gripper != nil {
			grip = float64(*r.Gripper)
		}
		return g.move(&ik.Point{X: *r.X, Y: *r.Y, Z: *r.Z}, nil, grip)
	case protocol.TypeHome:
		g.mu.Lock()
		grip := g.gripper
		g.mu.Unlock()
		return g.move(nil, g.cfg.Arm.HomePose(), grip)
	case protocol.TypeReset:
		id := g.nextID()
		g.result(id, protocol.OK(id, "reset (nothing is latched in gazebo mode)"), nil, 0)
		return id, nil
	}
	return "", &ackError{code: string(protocol.CodeInvalidCommand), msg: fmt.Sprintf("gazebo mode cannot send %q", r.Type)}
}

// Stop publishes an empty trajectory, which makes the trajectory controller
// hold where it is.
func (g *GazeboSink) Stop() protocol.ID {
	id := g.nextID()
	err := g.publish(Trajectory{JointNames: g.jointNames()})
	g.report(id, err, "stop sent to gazebo (empty trajectory on "+g.cfg.Topic+")")
	return id
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

// move publishes a trajectory to p (solved by IK) or to the joints q.
func (g *GazeboSink) move(p *ik.Point, q []float64, gripper float64) (protocol.ID, error) {
	if p != nil {
		sol, err := g.cfg.Arm.IK(*p, ik.Options{})
		if err != nil {
			return "", err
		}
		q = sol.Joints
	}
	ext, err := g.cfg.Arm.ToExternal(q)
	if err != nil {
		return "", err
	}
	g.mu.Lock()
	var largest float64
	for i := range q {
		largest = max(largest, math.Abs(q[i]-g.joints[i]))
	}
	g.joints = append(g.joints[:0], q...)
	g.gripper = gripper
	g.mu.Unlock()
	d := max(time.Duration(largest/g.cfg.MaxJointSpeed*float64(time.Second)), g.cfg.MinDuration)
	positions := ext
	if g.cfg.GripperJoint != "" {
		positions = append(positions, gripper*g.cfg.GripperClosed)
	}
	id := g.nextID()
	err = g.publish(Trajectory{JointNames: g.jointNames(), Positions: positions, Duration: d})
	g.report(id, err, fmt.Sprintf("sent to gazebo on %s (%.2f s)", g.cfg.Topic, d.Seconds()))
	return id, nil
}

func (g *GazeboSink) report(id protocol.ID, err error, okMsg string) {
	if err != nil {
		g.result(id, protocol.Response{}, fmt.Errorf("publishing on %s: %w", g.cfg.Topic, err), 0)
		return
	}
	g.result(id, protocol.OK(id, okMsg), nil, 0)
}
