// Package servo drives the arm's servos. Everything above it speaks joint angles
// in radians (arm joint order) and a gripper value 0 (open)..1 (closed); a
// Backend turns those into pulses on real or virtual hardware, using one
// Calibration per servo.
//
// Backends live in subpackages: sim (virtual, slew-limited servos for tests and
// dry runs), pca9685 (I²C PWM board via periph.io) and serial (Pololu Maestro,
// compact protocol).
package servo

import "errors"

// Backend is the hardware seen by the controller. Implementations are safe for
// concurrent use, never panic on bad input or failing hardware, and return
// errors that name the channel (and joint) concerned.
type Backend interface {
	// Write commands every servo at once: joints holds one angle in radians
	// per arm joint, in arm joint order; gripper is 0 (open)..1 (closed).
	// Inputs are checked against the calibrations before anything is sent, so
	// a rejected command leaves every servo where it was.
	Write(joints []float64, gripper float64) error
	// Release stops the pulses on every channel so the servos go limp. The
	// next Write drives them again.
	Release() error
	// Close releases the backend's resources (bus, port). It does not move
	// or release the servos: call Release first for that. Calls after Close
	// return an error wrapping ErrClosed; a second Close returns nil.
	Close() error
}

// ErrClosed is wrapped by the error a Backend returns when used after Close.
var ErrClosed = errors.New("servo: backend is closed")
