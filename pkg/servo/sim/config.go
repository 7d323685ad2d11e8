package sim

import (
	"errors"
	"fmt"
	"math"

	"github.com/aether-lab/aether-bridge/pkg/fielderr"
	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// Defaults filled in by Config.withDefaults.
const (
	DefaultMaxSpeedRadPerSec  = 3.0
	DefaultGripperSpeedPerSec = 2.0
)

// Config describes the virtual servos.
type Config struct {
	// Joints is the number of arm joints Write expects. Zero means one per
	// non-gripper entry of Calibrations; at least one of the two must be set,
	// and when both are they must agree.
	Joints int
	// Calibrations, when set, makes Write reject what the real servos would
	// reject (angles outside a servo's calibrated range) with the same
	// errors, and names channels after it. Nil means any finite angle is
	// accepted and joint i is channel i, the gripper channel Joints.
	Calibrations servo.Calibrations
	// MaxSpeedRadPerSec is the fastest any joint turns, in rad/s. Zero means
	// DefaultMaxSpeedRadPerSec.
	MaxSpeedRadPerSec float64
	// GripperSpeedPerSec is how fast the gripper value moves, in units of
	// the 0..1 range per second. Zero means DefaultGripperSpeedPerSec.
	GripperSpeedPerSec float64
	// StartJoints are the joint angles in rad before the first Write. Nil
	// means all zero.
	StartJoints []float64
	// StartGripper is the gripper value before the first Write, 0 (open)..1
	// (closed). Zero means open.
	StartGripper float64
}

// withDefaults returns c with every zero field that has a default filled in.
func (c Config) withDefaults() Config {
	if c.Joints == 0 {
		c.Joints = len(c.Calibrations.JointNames())
	}
	if c.MaxSpeedRadPerSec == 0 {
		c.MaxSpeedRadPerSec = DefaultMaxSpeedRadPerSec
	}
	if c.GripperSpeedPerSec == 0 {
		c.GripperSpeedPerSec = DefaultGripperSpeedPerSec
	}
	if c.StartJoints == nil {
		c.StartJoints = make([]float64, c.Joints)
	}
	return c
}

// Validate reports every bad field of c, each error naming the field.
func (c Config) Validate() error {
	var errs []error
	if c.Joints < 0 {
		errs = append(errs, fmt.Errorf("Joints: %d is negative", c.Joints))
	}
	if c.Calibrations != nil {
		check := func() error { return c.Calibrations.CheckLayout(servo.MaxChannel) }
		if c.Calibrations.IsBus() { // a dry run of a bus-servo arm file
			check = func() error { return c.Calibrations.CheckBus(servo.MaxBusID) }
		}
		if err := check(); err != nil {
			errs = append(errs, fmt.Errorf("Calibrations: %w", err))
		} else if n := len(c.Calibrations.JointNames()); c.Joints != 0 && c.Joints != n {
			errs = append(errs, fmt.Errorf("Joints: %d, but Calibrations lists %d joints; leave Joints 0 to take it from Calibrations", c.Joints, n))
		}
	} else if c.Joints == 0 {
		errs = append(errs, errors.New("Joints: zero and no Calibrations; set the number of arm joints"))
	}
	if !(c.MaxSpeedRadPerSec >= 0) || math.IsInf(c.MaxSpeedRadPerSec, 0) {
		errs = append(errs, fielderr.New("MaxSpeedRadPerSec", "%v must be a finite speed >= 0 rad/s (0 means %v)", c.MaxSpeedRadPerSec, DefaultMaxSpeedRadPerSec))
	}
	if !(c.GripperSpeedPerSec >= 0) || math.IsInf(c.GripperSpeedPerSec, 0) {
		errs = append(errs, fielderr.New("GripperSpeedPerSec", "%v must be a finite speed >= 0 per second (0 means %v)", c.GripperSpeedPerSec, DefaultGripperSpeedPerSec))
	}
	if !(c.StartGripper >= 0 && c.StartGripper <= 1) {
		errs = append(errs, fielderr.New("StartGripper", "%v is outside 0 (open)..1 (closed)", c.StartGripper))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	d := c.withDefaults()
	if len(d.StartJoints) != d.Joints {
		return fielderr.New("StartJoints", "%d angles for %d joints", len(d.StartJoints), d.Joints)
	}
	if err := checkCommand(d, d.StartJoints, d.StartGripper); err != nil {
		return fielderr.New("StartJoints", "%v", err)
	}
	return nil
}

// checkCommand rejects what the real hardware would; cfg has its defaults.
func checkCommand(cfg Config, joints []float64, gripper float64) error {
	if cfg.Calibrations != nil {
		_, err := cfg.Calibrations.Pulses(joints, gripper)
		return err
	}
	if len(joints) != cfg.Joints {
		return fmt.Errorf("got %d joint angles, want %d (one per arm joint)", len(joints), cfg.Joints)
	}
	var errs []error
	for i, a := range joints {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			errs = append(errs, fmt.Errorf("joint %d (channel %d): angle %v is not a finite number", i, i, a))
		}
	}
	if !(gripper >= 0 && gripper <= 1) {
		errs = append(errs, fmt.Errorf("gripper (channel %d): %v is outside 0 (open)..1 (closed)", cfg.Joints, gripper))
	}
	return errors.Join(errs...)
}
