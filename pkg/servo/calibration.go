package servo

import (
	"errors"
	"fmt"
	"math"
)

// GripperJoint is the Joint name of the gripper servo's Calibration.
const GripperJoint = "gripper"

// Pulse widths accepted by Validate. Hobby servos take roughly 500–2500 µs; the
// bounds only catch typos (ms instead of µs, an extra zero) and keep every
// pulse representable by the supported boards.
const (
	MinPulseUS = 100
	MaxPulseUS = 4000
)

// MaxChannel is the largest channel number Validate accepts (the compact
// protocol's 7-bit channel byte). Backends check their board's own limit.
const MaxChannel = 127

// angleEpsDeg absorbs float rounding of rad→deg so a limit given exactly in
// radians (math.Pi/2) is not rejected as 90.00000000000001°.
const angleEpsDeg = 1e-9

// Calibration maps one servo between joint space and pulse widths. It is one
// entry of the arm file's `servos:` list.
//
// A joint angle θ (rad) becomes the servo angle s = Direction·deg(θ) + OffsetDeg,
// which must lie in [AngleMinDeg, AngleMaxDeg] and maps linearly onto
// [PulseMinUS, PulseMaxUS]. The gripper value g (0 open..1 closed) maps linearly
// onto [PulseMinUS, PulseMaxUS] (reversed when Direction is -1).
type Calibration struct {
	// Joint is the arm joint this servo drives (a joint name from the arm
	// file) or "gripper". Required.
	Joint string `yaml:"joint"`
	// Channel is the output on the servo board (PCA9685 0–15, Maestro 0–23).
	// Zero is channel 0; every servo needs its own channel.
	Channel int `yaml:"channel"`
	// PulseMinUS is the pulse width in µs that puts the servo at AngleMinDeg.
	// Required: MinPulseUS..MaxPulseUS.
	PulseMinUS int `yaml:"pulse_min_us"`
	// PulseMaxUS is the pulse width in µs at AngleMaxDeg. Required: greater
	// than PulseMinUS and at most MaxPulseUS (use Direction to reverse a servo).
	PulseMaxUS int `yaml:"pulse_max_us"`
	// AngleMinDeg is the servo angle in degrees produced by PulseMinUS.
	AngleMinDeg float64 `yaml:"angle_min_deg"`
	// AngleMaxDeg is the servo angle in degrees produced by PulseMaxUS; must
	// be greater than AngleMinDeg.
	AngleMaxDeg float64 `yaml:"angle_max_deg"`
	// Direction is +1 when the servo angle grows with the joint angle and -1
	// when it shrinks (servo mounted mirrored); for the gripper, -1 means
	// PulseMaxUS is open. 0 means +1.
	Direction int `yaml:"direction"`
	// OffsetDeg is the servo angle in degrees when the joint is at 0 rad.
	// 0 means the servo's zero is the joint's zero. Must be 0 for the gripper.
	OffsetDeg float64 `yaml:"offset_deg"`

	// Bus servos (Feetech, DYNAMIXEL) are named by ID and calibrated in raw
	// position ticks instead of channel, pulses and angles (see BusCal).
	BusCal `yaml:",inline"`
}

// dir returns Direction with its default filled in.
func (c Calibration) dir() float64 {
	if c.Direction < 0 {
		return -1
	}
	return 1
}

// IsGripper reports whether c drives the gripper.
func (c Calibration) IsGripper() bool { return c.Joint == GripperJoint }

// Validate reports the first bad field, named as in the arm file.
func (c Calibration) Validate() error {
	if c.IsBus() {
		return c.validateBus()
	}
	switch {
	case c.Joint == "":
		return errors.New(`joint: empty; set an arm joint name or "gripper"`)
	case c.Channel < 0 || c.Channel > MaxChannel:
		return fmt.Errorf("channel: %d is outside 0..%d", c.Channel, MaxChannel)
	case c.PulseMinUS < MinPulseUS || c.PulseMinUS > MaxPulseUS:
		return fmt.Errorf("pulse_min_us: %d µs is outside %d..%d µs (hobby servos take about 500..2500)", c.PulseMinUS, MinPulseUS, MaxPulseUS)
	case c.PulseMaxUS < MinPulseUS || c.PulseMaxUS > MaxPulseUS:
		return fmt.Errorf("pulse_max_us: %d µs is outside %d..%d µs (hobby servos take about 500..2500)", c.PulseMaxUS, MinPulseUS, MaxPulseUS)
	case c.PulseMaxUS <= c.PulseMinUS:
		return fmt.Errorf("pulse_max_us: %d µs must be greater than pulse_min_us (%d µs); use direction: -1 to reverse a servo", c.PulseMaxUS, c.PulseMinUS)
	case !finite(c.AngleMinDeg):
		return fmt.Errorf("angle_min_deg: %v is not a finite number", c.AngleMinDeg)
	case !finite(c.AngleMaxDeg):
		return fmt.Errorf("angle_max_deg: %v is not a finite number", c.AngleMaxDeg)
	case c.AngleMaxDeg <= c.AngleMinDeg:
		return fmt.Errorf("angle_max_deg: %g° must be greater than angle_min_deg (%g°); use direction: -1 to reverse a servo", c.AngleMaxDeg, c.AngleMinDeg)
	case c.Direction < -1 || c.Direction > 1:
		return fmt.Errorf("direction: %d must be 1, -1 or 0 (meaning 1)", c.Direction)
	case !finite(c.OffsetDeg):
		return fmt.Errorf("offset_deg: %v is not a finite number", c.OffsetDeg)
	case c.IsGripper() && c.OffsetDeg != 0:
		return fmt.Errorf("offset_deg: %g° must be 0 for the gripper (it maps 0..1 over the pulse range; trim it with pulse_min_us/pulse_max_us)", c.OffsetDeg)
	}
	return nil
}

// JointRangeRad returns the joint angles in radians the calibration can reach
// (lo <= hi), or 0, 1 for the gripper.
func (c Calibration) JointRangeRad() (lo, hi float64) {
	if c.IsGripper() {
		return 0, 1
	}
	l := c.line()
	lo = (l.angMin - l.offset) * c.dir()
	hi = (l.angMax - l.offset) * c.dir()
	if lo > hi {
		lo, hi = hi, lo
	}
	return lo * math.Pi / 180, hi * math.Pi / 180
}

// PulseUS returns the pulse width in µs for a joint angle in radians, or for
// the gripper value 0 (open)..1 (closed) when c is the gripper's. A value
// outside the calibrated range is an error, so the result always lies within
// [PulseMinUS, PulseMaxUS]. For a bus servo it returns position ticks, like
// Ticks.
func (c Calibration) PulseUS(angleRad float64) (int, error) {
	if err := c.Validate(); err != nil {
		return 0, fmt.Errorf("%s: %w", c.label(), err)
	}
	if !finite(angleRad) {
		return 0, fmt.Errorf("%s: angle %v is not a finite number", c.label(), angleRad)
	}
	l := c.line()
	var frac float64
	if c.IsGripper() {
		if angleRad < 0 || angleRad > 1 {
			return 0, fmt.Errorf("%s: %g is outside 0 (open)..1 (closed)", c.label(), angleRad)
		}
		frac = angleRad
		if c.dir() < 0 {
			frac = 1 - frac
		}
	} else {
		s := c.dir()*angleRad*180/math.Pi + l.offset
		if s < l.angMin-angleEpsDeg || s > l.angMax+angleEpsDeg {
			lo, hi := c.JointRangeRad()
			return 0, fmt.Errorf("%s: %.2f° (%.4f rad) is outside the calibrated range %.2f°..%.2f°",
				c.label(), angleRad*180/math.Pi, angleRad, lo*180/math.Pi, hi*180/math.Pi)
		}
		frac = (s - l.angMin) / (l.angMax - l.angMin)
	}
	frac = math.Min(1, math.Max(0, frac))
	return l.rawMin + int(math.Round(frac*float64(l.rawMax-l.rawMin))), nil
}

// line is the linear map between servo angle and raw value (pulse µs or
// position ticks) that a calibration describes.
type line struct {
	rawMin, rawMax int
	angMin, angMax float64 // servo angle at rawMin / rawMax, degrees
	offset         float64 // servo angle at joint 0, degrees
}

func (c Calibration) line() line {
	if c.IsBus() {
		per := 360 / float64(c.ticksPerTurn())
		return line{rawMin: c.TickMin, rawMax: c.TickMax, angMin: float64(c.TickMin) * per,
			angMax: float64(c.TickMax) * per, offset: float64(c.OffsetTicks) * per}
	}
	return line{rawMin: c.PulseMinUS, rawMax: c.PulseMaxUS, angMin: c.AngleMinDeg, angMax: c.AngleMaxDeg, offset: c.OffsetDeg}
}

// label names the servo in errors.
func (c Calibration) label() string {
	if c.IsBus() {
		return fmt.Sprintf("joint %q (id %d)", c.Joint, *c.ID)
	}
	return fmt.Sprintf("joint %q (channel %d)", c.Joint, c.Channel)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
