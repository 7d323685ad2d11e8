package servo

import (
	"errors"
	"time"
)

// ErrFault is wrapped by the error a Feedback backend's Write returns while
// a servo reports an error flag (overload, overheat, ...): the backend
// sends nothing until Recover.
var ErrFault = errors.New("servo fault")

// Feedback is an optional interface of a Backend whose servos report where
// they are (bus servos). Check for it with a type assertion.
type Feedback interface {
	// Sense reads the servos' positions (and, at a lower rate, their
	// health) without commanding them: the controller calls it every tick
	// while the servos are released, so a limp arm moved by hand is
	// tracked. Write does the same after sending goals.
	Sense() error
	// Measured returns the latest measurement.
	Measured() Measurement
	// Recover clears a latched fault: it resets the faulted servos where
	// the make needs it (DYNAMIXEL: REBOOT) and re-reads every position.
	// Torque stays off; the next Write turns it on.
	Recover() error
}

// Measurement is what bus servos last reported.
type Measurement struct {
	// Joints are the measured joint angles in radians, servo (external)
	// frame, arm joint order; Gripper the measured gripper 0 (open)..1.
	Joints  []float64
	Gripper float64
	// At is when Joints were read; zero before the first read.
	At time.Time
	// Torque reports whether the servos hold their goals (false: limp).
	Torque bool
	// Fault is non-nil while a servo reports an error flag; it wraps
	// ErrFault and names the servo, joint and flags.
	Fault error
	// Servos holds each servo's last telemetry, in calibration order.
	Servos []Health
	// Timeouts counts bus reads that got no (or a broken) reply in time
	// and were skipped.
	Timeouts int64
}

// Health is one servo's telemetry, read at a lower rate than positions.
type Health struct {
	ID    int    `json:"id"`
	Joint string `json:"joint"`
	// LoadPct is the load in percent of the servo's maximum (signed; the
	// DYNAMIXEL XL330/XM430 report current, shown here as read, in mA).
	LoadPct float64 `json:"load"`
	// Volts is the supply voltage, V.
	Volts float64 `json:"volts"`
	// TempC is the servo's temperature, °C.
	TempC int `json:"temp_c"`
	// Moving reports the servo's own moving flag.
	Moving bool `json:"moving"`
	// Flags lists the error flags set ("overload", "overheat", ...); empty
	// when healthy.
	Flags []string `json:"flags,omitempty"`
}
