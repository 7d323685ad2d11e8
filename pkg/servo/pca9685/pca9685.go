// Package pca9685 is a servo.Backend for the NXP PCA9685 16-channel PWM board
// (Adafruit/Waveshare servo HATs) on I²C, through periph.io.
package pca9685

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/devices/v3/pca9685"
	"periph.io/x/host/v3"

	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// Chip facts from the PCA9685 datasheet.
const (
	// DefaultAddr is the board's I²C address with no address jumpers set.
	DefaultAddr = pca9685.I2CAddr
	// LastChannel is the highest output number.
	LastChannel = 15
	// DefaultFreqHz is the usual analogue-servo frame rate.
	DefaultFreqHz = 50.0
	// MinFreqHz and MaxFreqHz bound the output rate the prescaler can make.
	MinFreqHz = 24.0
	MaxFreqHz = 1526.0

	oscHz      = 25_000_000 // internal oscillator
	steps      = 4096       // 12-bit counter
	maxCounts  = steps - 1
	maxI2CAddr = 0x7F
)

// Backend drives servos on one PCA9685. It implements servo.Backend and is
// safe for concurrent use.
type Backend struct {
	addr     uint16
	cals     servo.Calibrations
	prescale int
	bus      i2c.BusCloser // non-nil only when Open created the bus

	mu     sync.Mutex
	dev    *pca9685.Dev
	closed bool
}

var (
	_ servo.Backend     = (*Backend)(nil)
	_ servo.PulseWriter = (*Backend)(nil)
)

// New initialises the chip at addr on bus and returns a Backend for the
// servos in cals (see servo.Calibrations for how joints map to entries).
// freqHz is the pulse frame rate in Hz; zero means DefaultFreqHz.
//
// Initialisation resets every output to off, wakes the chip and sets 50 Hz,
// then freqHz if it differs (periph's sequence; it takes about 0.2 s). Close
// does not close bus: the caller owns it.
func New(bus i2c.Bus, addr uint16, cals servo.Calibrations, freqHz float64) (*Backend, error) {
	if freqHz == 0 {
		freqHz = DefaultFreqHz
	}
	b := &Backend{addr: addr, cals: append(servo.Calibrations(nil), cals...)}
	if err := b.check(bus, freqHz); err != nil {
		return nil, fmt.Errorf("pca9685 %#02x: %w", addr, err)
	}
	dev, err := pca9685.NewI2C(bus, addr)
	if err != nil {
		return nil, fmt.Errorf("pca9685 %#02x: init (reset all channels, %g Hz): %w", addr, DefaultFreqHz, err)
	}
	if freqHz != DefaultFreqHz {
		if err := dev.SetPwmFreq(hz(freqHz)); err != nil {
			return nil, fmt.Errorf("pca9685 %#02x: init (set %g Hz): %w", addr, freqHz, err)
		}
	}
	b.dev = dev
	return b, nil
}

// Open initialises the host drivers, opens the named I²C bus ("" for the
// first one, e.g. "/dev/i2c-1" or "1" on a Raspberry Pi) and calls New.
// Close closes the bus.
func Open(busName string, addr uint16, cals servo.Calibrations, freqHz float64) (*Backend, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("pca9685: init host drivers: %w", err)
	}
	bus, err := i2creg.Open(busName)
	if err != nil {
		return nil, openError(busName, err, i2creg.All())
	}
	b, err := New(bus, addr, cals, freqHz)
	if err != nil {
		return nil, errors.Join(err, bus.Close())
	}
	b.bus = bus
	return b, nil
}

// check validates New's arguments and computes the prescaler.
func (b *Backend) check(bus i2c.Bus, freqHz float64) error {
	if bus == nil {
		return errors.New("bus: nil; pass an opened I²C bus")
	}
	if b.addr > maxI2CAddr {
		return fmt.Errorf("addr: %#x is not a 7-bit I²C address (the board's default is %#02x)", b.addr, DefaultAddr)
	}
	if !(freqHz >= MinFreqHz && freqHz <= MaxFreqHz) {
		return fmt.Errorf("freqHz: %v Hz is outside the chip's %g..%g Hz (servos want %g)", freqHz, MinFreqHz, MaxFreqHz, DefaultFreqHz)
	}
	if err := b.cals.CheckLayout(LastChannel); err != nil {
		return err
	}
	b.prescale = prescaleFor(freqHz)
	period := b.periodUS()
	for i, c := range b.cals {
		if float64(c.PulseMaxUS) >= period {
			return fmt.Errorf("servos[%d] (joint %q): pulse_max_us: %d µs does not fit in a %.0f µs frame at %g Hz; lower freqHz",
				i, c.Joint, c.PulseMaxUS, period, freqHz)
		}
	}
	return nil
}

// Write converts every angle to a pulse width and that to the chip's 12-bit
// off-count, then sets the channels in calibration order. A command that
// fails the calibration check is refused before any bus traffic. On a bus
// error Write stops and returns an error naming the channel; channels after
// it keep their previous pulse.
func (b *Backend) Write(joints []float64, gripper float64) error {
	pulses, err := b.cals.Pulses(joints, gripper)
	if err != nil {
		return fmt.Errorf("pca9685 %#02x: %w", b.addr, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("pca9685 %#02x: %w", b.addr, servo.ErrClosed)
	}
	for i, c := range b.cals {
		n := b.counts(pulses[i])
		if err := b.dev.SetPwm(c.Channel, 0, gpio.Duty(n)); err != nil {
			return fmt.Errorf("pca9685 %#02x: channel %d (joint %q): set %d µs (%d/4096): %w", b.addr, c.Channel, c.Joint, pulses[i], n, err)
		}
	}
	return nil
}

// WritePulse implements servo.PulseWriter: it sets one calibrated channel
// to pulses of us µs, which must also fit in the frame. Other channels keep
// their setting. A bad channel or pulse is refused before any bus traffic.
func (b *Backend) WritePulse(channel, us int) error {
	i, err := b.cals.CheckPulse(channel, us)
	if err != nil {
		return fmt.Errorf("pca9685 %#02x: %w", b.addr, err)
	}
	c := b.cals[i]
	if period := b.periodUS(); float64(us) >= period {
		return fmt.Errorf("pca9685 %#02x: channel %d (joint %q): pulse %d µs does not fit in the %.0f µs frame", b.addr, channel, c.Joint, us, period)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("pca9685 %#02x: %w", b.addr, servo.ErrClosed)
	}
	n := b.counts(us)
	if err := b.dev.SetPwm(channel, 0, gpio.Duty(n)); err != nil {
		return fmt.Errorf("pca9685 %#02x: channel %d (joint %q): set %d µs (%d/4096): %w", b.addr, channel, c.Joint, us, n, err)
	}
	return nil
}

// Release sets every calibrated channel fully off (the chip's full-off bit),
// so the servos get no pulses and go limp. It tries every channel even if
// some fail, and returns one error per failed channel.
func (b *Backend) Release() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("pca9685 %#02x: %w", b.addr, servo.ErrClosed)
	}
	var errs []error
	for _, c := range b.cals {
		if err := b.dev.SetFullOff(c.Channel); err != nil {
			errs = append(errs, fmt.Errorf("pca9685 %#02x: channel %d (joint %q): full off: %w", b.addr, c.Channel, c.Joint, err))
		}
	}
	return errors.Join(errs...)
}

// Close closes the bus if Open created it. The outputs keep their last
// setting; call Release first to make the servos limp.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.bus != nil {
		if err := b.bus.Close(); err != nil {
			return fmt.Errorf("pca9685 %#02x: close bus: %w", b.addr, err)
		}
	}
	return nil
}

// Prescale returns the prescaler value written to the chip.
func (b *Backend) Prescale() int { return b.prescale }

// counts converts a pulse width to the 12-bit off-count.
//
// The chip's frame is (prescale+1)·4096 oscillator ticks. periph rounds the
// prescaler without the datasheet's -1, so "50 Hz" is really 49.6 Hz;
// converting against the real frame keeps 1500 µs at 1500 µs (up to the
// oscillator's own tolerance, which per-servo calibration absorbs).
func (b *Backend) counts(pulseUS int) int {
	n := int(math.Round(float64(pulseUS) * steps / b.periodUS()))
	return min(max(n, 0), maxCounts)
}

func (b *Backend) periodUS() float64 {
	return float64(b.prescale+1) * steps * 1e6 / oscHz
}

// prescaleFor mirrors periph's SetPwmFreq rounding.
func prescaleFor(freqHz float64) int {
	f := hz(freqHz)
	return int((oscHz*physic.Hertz/steps + f/2) / f)
}

func hz(freqHz float64) physic.Frequency {
	return physic.Frequency(math.Round(freqHz * float64(physic.Hertz)))
}
