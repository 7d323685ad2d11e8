package servo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// PulseWriter is an optional interface of a Backend, for calibration: it
// drives one servo with a raw pulse width, bypassing the calibration's
// angle mapping, so a person can find where the servo's real limits are.
// Check for it with a type assertion; sim, pca9685 and serial implement it.
type PulseWriter interface {
	// WritePulse drives the servo on channel with pulses of us µs. channel
	// must be one of the backend's calibrated channels and us within
	// MinPulseUS..MaxPulseUS (and what the board can produce); otherwise
	// nothing is sent and the error says what to fix. Other channels keep
	// their pulse, or stay off. Release stops it like every other channel;
	// the next Write drives every servo from its calibration again.
	WritePulse(channel, us int) error
}

// CheckPulse finds the entry of cs on channel and checks us against the
// absolute pulse bounds. It returns the entry's index, or an error naming
// the channel and saying what to fix. Backends call it before any I/O.
func (cs Calibrations) CheckPulse(channel, us int) (int, error) {
	i := -1
	for k, c := range cs {
		if c.Channel == channel {
			i = k
			break
		}
	}
	if i >= 0 && cs[i].IsBus() {
		return -1, fmt.Errorf("%s: a bus servo has no pulse; raw pulses are for PWM servos", cs[i].label())
	}
	if i < 0 {
		chans := make([]string, len(cs))
		for k, c := range cs {
			chans[k] = strconv.Itoa(c.Channel)
		}
		return -1, fmt.Errorf("channel %d: no servo is calibrated on it; use one of %s", channel, strings.Join(chans, ", "))
	}
	if us < MinPulseUS || us > MaxPulseUS {
		return i, fmt.Errorf("%s: pulse %d µs is outside %d..%d µs", cs[i].label(), us, MinPulseUS, MaxPulseUS)
	}
	return i, nil
}

// AngleForPulse is the inverse of PulseUS: the joint angle in radians (or,
// for the gripper, the value 0 open..1 closed) that a pulse width of us µs
// puts the servo at. Pulses outside [PulseMinUS, PulseMaxUS] are
// extrapolated along the same line, so the result may lie outside the
// calibrated range. c must be valid.
func (c Calibration) AngleForPulse(us int) float64 {
	l := c.line()
	frac := float64(us-l.rawMin) / float64(l.rawMax-l.rawMin)
	if c.IsGripper() {
		if c.dir() < 0 {
			return 1 - frac
		}
		return frac
	}
	s := l.angMin + frac*(l.angMax-l.angMin)
	return (s - l.offset) * c.dir() * math.Pi / 180
}
