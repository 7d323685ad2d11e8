package servo

import (
	"errors"
	"fmt"
	"slices"
)

// Calibrations is the arm file's `servos:` list: one entry per arm joint plus
// one for the gripper.
//
// Backends take the joint entries in slice order as the order of Write's
// joints argument; the gripper entry may sit anywhere. Ordered returns the
// list in arm joint order with the gripper last.
type Calibrations []Calibration

// DefaultCalibrations returns uncalibrated servos for the named joints:
// channels 0.. in joint order and the gripper on the next channel, each
// 500–2500 µs over -90..+90°, direction +1, no offset.
func DefaultCalibrations(jointNames []string) Calibrations {
	cs := make(Calibrations, 0, len(jointNames)+1)
	for i, name := range append(slices.Clip(jointNames), GripperJoint) {
		cs = append(cs, Calibration{
			Joint:       name,
			Channel:     i,
			PulseMinUS:  500,
			PulseMaxUS:  2500,
			AngleMinDeg: -90,
			AngleMaxDeg: 90,
			Direction:   1,
		})
	}
	return cs
}

// Validate checks every entry, that each of jointNames and the gripper has
// exactly one entry, that no entry names another joint, and that channels are
// unique. It reports every problem at once, each naming the entry
// (servos[i]) and field.
func (cs Calibrations) Validate(jointNames []string) error {
	var errs []error
	known := make(map[string]bool, len(jointNames))
	for i, name := range jointNames {
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("arm joint %d has an empty name", i))
		case name == GripperJoint:
			errs = append(errs, fmt.Errorf("arm joint %d is named %q, which is reserved for the gripper servo", i, name))
		case known[name]:
			errs = append(errs, fmt.Errorf("arm joint name %q appears twice", name))
		}
		known[name] = true
	}
	byJoint := make(map[string]int, len(cs))
	byChannel := make(map[int]int, len(cs))
	byID := make(map[int]int, len(cs))
	for i, c := range cs {
		where := fmt.Sprintf("servos[%d] (joint %q)", i, c.Joint)
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if c.Joint != "" && !c.IsGripper() && !known[c.Joint] {
			errs = append(errs, fmt.Errorf("%s: joint: unknown joint; the arm's joints are %q plus %q", where, jointNames, GripperJoint))
		}
		if j, dup := byJoint[c.Joint]; dup && c.Joint != "" {
			errs = append(errs, fmt.Errorf("%s: joint: already calibrated by servos[%d]; keep one entry per joint", where, j))
		} else {
			byJoint[c.Joint] = i
		}
		if c.IsBus() != cs[0].IsBus() {
			errs = append(errs, fmt.Errorf("%s: id: servos[0] %s; every servo of an arm must be on the same kind of output (all channel or all id)", where, kindOf(cs[0])))
		} else if c.IsBus() {
			if j, dup := byID[*c.ID]; dup {
				errs = append(errs, fmt.Errorf("%s: id: %d is already used by servos[%d] (joint %q)", where, *c.ID, j, cs[j].Joint))
			} else {
				byID[*c.ID] = i
			}
		} else if j, dup := byChannel[c.Channel]; dup {
			errs = append(errs, fmt.Errorf("%s: channel: %d is already used by servos[%d] (joint %q)", where, c.Channel, j, cs[j].Joint))
		} else {
			byChannel[c.Channel] = i
		}
	}
	for _, name := range append(slices.Clip(jointNames), GripperJoint) {
		if _, ok := byJoint[name]; !ok && name != "" {
			errs = append(errs, fmt.Errorf("servos: no entry for joint %q; add one with its channel and pulse range", name))
		}
	}
	return errors.Join(errs...)
}

// JointNames returns the Joint of every non-gripper entry, in slice order:
// the order backends expect Write's joints in.
func (cs Calibrations) JointNames() []string {
	names := make([]string, 0, len(cs))
	for _, c := range cs {
		if !c.IsGripper() {
			names = append(names, c.Joint)
		}
	}
	return names
}

// Ordered validates cs against jointNames and returns a copy sorted into arm
// joint order with the gripper last, ready to hand to a backend.
func (cs Calibrations) Ordered(jointNames []string) (Calibrations, error) {
	if err := cs.Validate(jointNames); err != nil {
		return nil, err
	}
	out := make(Calibrations, 0, len(cs))
	for _, name := range append(slices.Clip(jointNames), GripperJoint) {
		for _, c := range cs {
			if c.Joint == name {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// Pulses converts a whole command into one pulse width in µs per entry of cs
// (same order): joint entries take joints in slice order, the gripper entry
// takes gripper. It checks everything before returning, reporting every bad
// value with its joint and channel, so a caller can refuse the command
// without touching the hardware.
func (cs Calibrations) Pulses(joints []float64, gripper float64) ([]int, error) {
	pulses := make([]int, len(cs))
	var errs []error
	j := 0
	for i, c := range cs {
		var v float64
		if c.IsGripper() {
			v = gripper
		} else {
			if j >= len(joints) {
				j++
				continue
			}
			v = joints[j]
			j++
		}
		p, err := c.PulseUS(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pulses[i] = p
	}
	if j != len(joints) {
		return nil, fmt.Errorf("got %d joint angles, want %d (one per arm joint, in order %q)", len(joints), j, cs.JointNames())
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pulses, nil
}

// CheckLayout validates cs as a PWM backend's channel map: every entry
// valid, joints and channels unique, exactly one gripper entry, every
// channel at most maxChannel, and no bus servo. Backends call it in their
// constructors.
func (cs Calibrations) CheckLayout(maxChannel int) error {
	if err := cs.checkCommon(); err != nil {
		return err
	}
	var errs []error
	for i, c := range cs {
		if c.IsBus() {
			errs = append(errs, fmt.Errorf("servos[%d] (joint %q): id: this board drives PWM servos by channel; use --backend feetech or dynamixel for bus servos", i, c.Joint))
		} else if c.Channel > maxChannel {
			errs = append(errs, fmt.Errorf("servos[%d] (joint %q): channel: %d is above this board's last channel %d", i, c.Joint, c.Channel, maxChannel))
		}
	}
	return errors.Join(errs...)
}

func kindOf(c Calibration) string {
	if c.IsBus() {
		return "is a bus servo (id)"
	}
	return "is a PWM servo (channel)"
}

// checkCommon validates the entries of a non-empty cs against its own
// joint names.
func (cs Calibrations) checkCommon() error {
	if len(cs) == 0 {
		return errors.New("servos: empty; need one entry per arm joint plus the gripper")
	}
	// Duplicate or empty names are reported per entry by Validate; keep them
	// out of the joint list so they are not reported twice.
	var names []string
	for _, n := range cs.JointNames() {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return cs.Validate(names)
}
