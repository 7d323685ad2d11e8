package servo

import (
	"errors"
	"fmt"
)

// DefaultTicksPerTurn is the resolution of the STS3215 and the DYNAMIXEL X
// series: 4096 position ticks per revolution.
const DefaultTicksPerTurn = 4096

// MaxBusID is the largest id Validate accepts (Feetech's 253; DYNAMIXEL
// backends check their own 252).
const MaxBusID = 253

// BusCal is the part of a Calibration that describes a bus servo: it sits
// on a serial bus at ID and reports and takes its position in raw ticks.
//
// A joint angle θ (rad, servo frame) becomes the goal tick
// OffsetTicks + Direction·θ·TicksPerTurn/2π, which must lie in
// [TickMin, TickMax]. The gripper maps 0 (open)..1 (closed) onto
// [TickMin, TickMax] (reversed when Direction is -1).
type BusCal struct {
	// ID is the servo's bus id. Set means this is a bus servo: channel,
	// pulse_min_us, pulse_max_us, angle_min_deg, angle_max_deg and
	// offset_deg must then be left out.
	ID *int `yaml:"id"`
	// TickMin and TickMax are the raw positions, in ticks, the servo may
	// be driven between (its safe range, measured when calibrating):
	// 0 <= tick_min < tick_max < ticks_per_turn.
	TickMin int `yaml:"tick_min"`
	TickMax int `yaml:"tick_max"`
	// OffsetTicks is the raw position, in ticks, when the joint is at 0.
	// Must be 0 for the gripper.
	OffsetTicks int `yaml:"offset_ticks"`
	// TicksPerTurn is the servo's resolution, ticks per revolution. Zero
	// means DefaultTicksPerTurn (4096).
	TicksPerTurn int `yaml:"ticks_per_turn"`
}

// IsBus reports whether c is a bus servo's calibration (it has an id).
func (c Calibration) IsBus() bool { return c.ID != nil }

func (c Calibration) ticksPerTurn() int {
	if c.TicksPerTurn == 0 {
		return DefaultTicksPerTurn
	}
	return c.TicksPerTurn
}

// validateBus reports the first bad field of a bus servo's calibration.
func (c Calibration) validateBus() error {
	tpt := c.ticksPerTurn()
	switch {
	case c.Joint == "":
		return errors.New(`joint: empty; set an arm joint name or "gripper"`)
	case *c.ID < 0 || *c.ID > MaxBusID:
		return fmt.Errorf("id: %d is outside 0..%d", *c.ID, MaxBusID)
	case c.Channel != 0 || c.PulseMinUS != 0 || c.PulseMaxUS != 0 || c.AngleMinDeg != 0 || c.AngleMaxDeg != 0 || c.OffsetDeg != 0:
		return errors.New("id: a bus servo is calibrated in ticks; remove channel, pulse_min_us, pulse_max_us, angle_min_deg, angle_max_deg and offset_deg and use tick_min, tick_max and offset_ticks")
	case c.TicksPerTurn < 0 || c.TicksPerTurn > 1<<20:
		return fmt.Errorf("ticks_per_turn: %d is outside 1..%d (0 means %d)", c.TicksPerTurn, 1<<20, DefaultTicksPerTurn)
	case c.TickMin < 0 || c.TickMin >= tpt:
		return fmt.Errorf("tick_min: %d is outside 0..%d (one turn)", c.TickMin, tpt-1)
	case c.TickMax < 0 || c.TickMax >= tpt:
		return fmt.Errorf("tick_max: %d is outside 0..%d (one turn)", c.TickMax, tpt-1)
	case c.TickMax <= c.TickMin:
		return fmt.Errorf("tick_max: %d must be greater than tick_min (%d); use direction: -1 to reverse a servo", c.TickMax, c.TickMin)
	case c.Direction < -1 || c.Direction > 1:
		return fmt.Errorf("direction: %d must be 1, -1 or 0 (meaning 1)", c.Direction)
	case c.IsGripper() && c.OffsetTicks != 0:
		return fmt.Errorf("offset_ticks: %d must be 0 for the gripper (it maps 0..1 over tick_min..tick_max)", c.OffsetTicks)
	case c.OffsetTicks < 0 || c.OffsetTicks >= tpt:
		return fmt.Errorf("offset_ticks: %d is outside 0..%d (one turn)", c.OffsetTicks, tpt-1)
	}
	return nil
}

// Ticks converts a whole command into one goal position in ticks per entry
// of cs (same order), like Pulses. cs must be bus calibrations.
func (cs Calibrations) Ticks(joints []float64, gripper float64) ([]int, error) {
	return cs.Pulses(joints, gripper)
}

// AngleForTicks is the joint angle in radians (or the gripper value) at
// raw position t; positions outside [TickMin, TickMax] extrapolate.
func (c Calibration) AngleForTicks(t int) float64 { return c.AngleForPulse(t) }

// IsBus reports whether cs describes bus servos (its first entry has an id).
func (cs Calibrations) IsBus() bool { return len(cs) > 0 && cs[0].IsBus() }

// CheckBus validates cs as a bus backend's servo map: every entry valid
// and a bus servo, joints and ids unique, exactly one gripper, every id at
// most maxID.
func (cs Calibrations) CheckBus(maxID int) error {
	if err := cs.checkCommon(); err != nil {
		return err
	}
	var errs []error
	for i, c := range cs {
		if !c.IsBus() {
			errs = append(errs, fmt.Errorf("servos[%d] (joint %q): id: missing; bus servos are named by id (and calibrated with tick_min, tick_max, offset_ticks), not channel", i, c.Joint))
		} else if *c.ID > maxID {
			errs = append(errs, fmt.Errorf("servos[%d] (joint %q): id: %d is above this bus's last id %d", i, c.Joint, *c.ID, maxID))
		}
	}
	return errors.Join(errs...)
}
