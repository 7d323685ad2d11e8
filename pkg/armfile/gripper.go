package armfile

import (
	"fmt"
	"math"
)

// Gripper joint types (Gripper.Type).
const (
	// GripperRevolute: the gripper joint turns; positions in radians.
	GripperRevolute = "revolute"
	// GripperPrismatic: the gripper joint slides; positions in metres.
	GripperPrismatic = "prismatic"
)

// Gripper defaults, filled in by Arm.WithDefaults.
const (
	DefaultGripperJoint     = "gripper_joint"
	DefaultGripperClosedRad = 0.8  // revolute, rad
	DefaultGripperClosedM   = 0.02 // prismatic, m
)

// Bounds checked by Validate: they catch unit mistakes (degrees as
// radians, millimetres as metres).
const (
	maxGripperRad = 2 * math.Pi
	maxGripperM   = 0.5
)

// Gripper describes the gripper as a robot-model joint, the `gripper:`
// mapping of the arm file. The wire and the servo speak 0 (open) .. 1
// (closed); the URDF, /joint_states and Gazebo trajectories speak the
// joint's real position, linearly between Open and Closed.
type Gripper struct {
	// Joint is the gripper joint's name in the URDF, /joint_states and
	// trajectories. "" means DefaultGripperJoint ("gripper_joint").
	Joint string `yaml:"joint"`
	// Type is GripperRevolute ("revolute", radians) or GripperPrismatic
	// ("prismatic", metres). "" means revolute.
	Type string `yaml:"type"`
	// Open is the joint position when open (0 on the wire), rad or m.
	Open float64 `yaml:"open"`
	// Closed is the joint position when closed (1 on the wire), rad or m.
	// It must differ from Open; 0 (with Open 0) means 0.8 rad for a
	// revolute gripper and 0.02 m for a prismatic one.
	Closed float64 `yaml:"closed"`
}

func (g Gripper) withDefaults() Gripper {
	if g.Joint == "" {
		g.Joint = DefaultGripperJoint
	}
	if g.Type == "" {
		g.Type = GripperRevolute
	}
	if g.Open == 0 && g.Closed == 0 {
		g.Closed = DefaultGripperClosedRad
		if g.Type == GripperPrismatic {
			g.Closed = DefaultGripperClosedM
		}
	}
	return g
}

// Position returns the joint position (rad or m) for the wire value
// v, 0 open .. 1 closed.
func (g Gripper) Position(v float64) float64 { return g.Open + v*(g.Closed-g.Open) }

// Limits returns the joint's range, lo < hi (rad or m).
func (g Gripper) Limits() (lo, hi float64) { return min(g.Open, g.Closed), max(g.Open, g.Closed) }

// Unit is "rad" or "m".
func (g Gripper) Unit() string {
	if g.Type == GripperPrismatic {
		return "m"
	}
	return "rad"
}

func (g Gripper) validate(jointNames []string) []error {
	var errs []error
	for _, n := range jointNames {
		if n == g.Joint {
			errs = append(errs, fmt.Errorf("gripper.joint: %q is already a kinematic joint; give the gripper its own name", g.Joint))
		}
	}
	bound := maxGripperRad
	switch g.Type {
	case GripperRevolute:
	case GripperPrismatic:
		bound = maxGripperM
	default:
		return append(errs, fmt.Errorf("gripper.type: %q is not %q (radians) or %q (metres)", g.Type, GripperRevolute, GripperPrismatic))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"open", g.Open}, {"closed", g.Closed}} {
		if !(math.Abs(f.v) <= bound) {
			errs = append(errs, fmt.Errorf("gripper.%s: %v %s is outside ±%g %s; a %s gripper's positions are in %s",
				f.name, f.v, g.Unit(), bound, g.Unit(), g.Type, map[string]string{"rad": "radians", "m": "metres"}[g.Unit()]))
		}
	}
	if len(errs) == 0 && g.Open == g.Closed {
		errs = append(errs, fmt.Errorf("gripper.closed: %v %s equals gripper.open; the gripper would not move", g.Closed, g.Unit()))
	}
	return errs
}
