package armfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// LeRobotMotor is one motor of a LeRobot calibration file
// (lerobot.motors.MotorCalibration, saved as JSON by `lerobot-calibrate`
// under ~/.cache/huggingface/lerobot/calibration/).
type LeRobotMotor struct {
	// ID is the motor's bus id.
	ID int `json:"id"`
	// DriveMode 1 means the motor's direction is inverted.
	DriveMode int `json:"drive_mode"`
	// HomingOffset is what LeRobot wrote into the motor's homing offset
	// register (Feetech 31) so that the calibration pose reads mid-turn.
	// It stays in the motor; it is only checked here.
	HomingOffset int `json:"homing_offset"`
	// RangeMin and RangeMax are the raw positions, in ticks, the joint was
	// moved between while calibrating.
	RangeMin int `json:"range_min"`
	RangeMax int `json:"range_max"`
}

// LoadLeRobot reads a LeRobot calibration file and applies it to a (see
// ApplyLeRobot); errors name the file.
func LoadLeRobot(path string, a Arm) (Arm, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Arm{}, fmt.Errorf("LeRobot calibration: %w", err)
	}
	out, err := ApplyLeRobot(data, a)
	if err != nil {
		return Arm{}, fmt.Errorf("LeRobot calibration %s: %w", path, err)
	}
	return out, nil
}

// ApplyLeRobot returns a with its bus-servo calibrations taken from a
// LeRobot calibration file, whose motor names must be a's joint names plus
// "gripper" (config/so101.yaml uses LeRobot's SO-101 names). Per motor:
// id ← id; tick_min, tick_max ← range_min, range_max; offset_ticks ← the
// middle of the range (LeRobot's 0° in degrees mode); direction ← -1 for
// drive_mode 1, else 1. The gripper keeps a's direction (LeRobot's 0..100
// does not say which end is open). The result is validated.
func ApplyLeRobot(data []byte, a Arm) (Arm, error) {
	var motors map[string]LeRobotMotor
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&motors); err != nil {
		return Arm{}, fmt.Errorf("not a LeRobot calibration (a JSON object of motors with id, drive_mode, homing_offset, range_min, range_max): %w", err)
	}
	if !a.Servos.IsBus() {
		return Arm{}, errors.New("the arm file names its servos by channel; a LeRobot calibration needs bus servos (id), e.g. config/so101.yaml")
	}
	out := a
	out.Servos = slices.Clone(a.Servos)
	var errs []error
	for name := range motors {
		if !slices.ContainsFunc(out.Servos, func(c servo.Calibration) bool { return c.Joint == name }) {
			errs = append(errs, fmt.Errorf("motor %q: not a joint of the arm file; its servos are %q", name, append(out.Servos.JointNames(), servo.GripperJoint)))
		}
	}
	for i, c := range out.Servos {
		m, ok := motors[c.Joint]
		if !ok {
			errs = append(errs, fmt.Errorf("no motor %q in the calibration file", c.Joint))
			continue
		}
		if m.DriveMode != 0 && m.DriveMode != 1 {
			errs = append(errs, fmt.Errorf("motor %q: drive_mode %d is not 0 or 1", c.Joint, m.DriveMode))
		}
		id := m.ID
		c.ID = &id
		c.TickMin, c.TickMax = m.RangeMin, m.RangeMax
		if c.IsGripper() {
			c.OffsetTicks = 0
		} else {
			c.OffsetTicks = (m.RangeMin + m.RangeMax) / 2
			c.Direction = 1
			if m.DriveMode == 1 {
				c.Direction = -1
			}
		}
		out.Servos[i] = c
	}
	if err := errors.Join(errs...); err != nil {
		return Arm{}, err
	}
	if err := out.Validate(); err != nil {
		return Arm{}, fmt.Errorf("the calibration does not fit the arm file: %w", err)
	}
	return out, nil
}
