// Package serial is a servo.Backend for a Pololu Maestro servo controller
// speaking the compact serial protocol over a tty (the Maestro's USB "Command
// Port", e.g. /dev/ttyACM0, or a UART). The bytes are documented in
// docs/serial-protocol.md.
package serial

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/fielderr"
	"github.com/aether-lab/aether-bridge/pkg/servo"
	"github.com/aether-lab/aether-bridge/pkg/servo/tty"
)

// Defaults filled in by Config.withDefaults.
const (
	DefaultBaud         = 115200
	DefaultWriteTimeout = 100 * time.Millisecond
	// LastChannel is the highest channel of the largest Maestro (Mini Maestro 24).
	LastChannel = 23
)

// Bauds lists the line rates Open can set, in bit/s.
var Bauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400}

// Config describes the serial port.
type Config struct {
	// Device is the tty path, e.g. /dev/ttyACM0 (the Maestro's Command
	// Port) or /dev/serial0 (Pi UART). Required by Open; New only uses it to
	// name the port in errors.
	Device string
	// Baud is the line rate in bit/s, one of Bauds. Zero means DefaultBaud.
	// The USB Command Port ignores it; in UART mode it must match the
	// Maestro's setting (or use DetectBaud). Only Open uses it.
	Baud int
	// WriteTimeout bounds every Write and Release: a port that cannot take
	// the bytes in time (unplugged, stalled) gives an error instead of a
	// hang. Zero means DefaultWriteTimeout. Only enforced on writers with a
	// SetWriteDeadline method, such as the *os.File Open creates.
	WriteTimeout time.Duration
	// DetectBaud sends the baud-rate indication byte 0xAA once, right after
	// opening, for a Maestro in "UART, detect baud rate" mode. False sends
	// nothing extra.
	DetectBaud bool
}

// withDefaults returns c with every zero field that has a default filled in.
func (c Config) withDefaults() Config {
	if c.Baud == 0 {
		c.Baud = DefaultBaud
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	return c
}

// Validate reports every bad field of c, each error naming the field.
func (c Config) Validate() error {
	var errs []error
	if c.Baud != 0 && !slices.Contains(Bauds, c.Baud) {
		errs = append(errs, fielderr.New("Baud", "%d bit/s is not one of %v (0 means %d)", c.Baud, Bauds, DefaultBaud))
	}
	if c.WriteTimeout < 0 {
		errs = append(errs, fielderr.New("WriteTimeout", "%v is negative (0 means %v)", c.WriteTimeout, DefaultWriteTimeout))
	}
	return errors.Join(errs...)
}

// Backend drives servos on one Maestro. It implements servo.Backend and is
// safe for concurrent use.
type Backend struct {
	cfg    Config // defaults filled in
	cals   servo.Calibrations
	name   string
	closer io.Closer // non-nil when Open created the port

	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	closed bool
}

var (
	_ servo.Backend     = (*Backend)(nil)
	_ servo.PulseWriter = (*Backend)(nil)
)

// Open validates cfg and cals, opens cfg.Device in raw mode 8N1 at cfg.Baud
// and returns a Backend that owns the port (Close closes it).
func Open(cfg Config, cals servo.Calibrations) (*Backend, error) {
	if cfg.Device == "" {
		return nil, errors.New("serial: Device: empty; set the Maestro's command port, e.g. /dev/ttyACM0")
	}
	if err := check(cfg, cals); err != nil {
		return nil, fmt.Errorf("serial %s: %w", cfg.Device, err)
	}
	f, err := tty.Open(cfg.Device, cfg.withDefaults().Baud)
	if err != nil {
		return nil, fmt.Errorf("serial %s: %w", cfg.Device, err)
	}
	b, err := New(f, cfg, cals)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	b.closer = f
	return b, nil
}

// New returns a Backend writing to w, which the caller keeps owning: Close
// does not close it. Any io.Writer works (tests use a bytes.Buffer); writes
// are bounded by cfg.WriteTimeout only if w has SetWriteDeadline.
func New(w io.Writer, cfg Config, cals servo.Calibrations) (*Backend, error) {
	name := cfg.Device
	if name == "" {
		name = fmt.Sprintf("%T", w)
	}
	if w == nil {
		return nil, errors.New("serial: nil writer")
	}
	if err := check(cfg, cals); err != nil {
		return nil, fmt.Errorf("serial %s: %w", name, err)
	}
	b := &Backend{
		cfg:  cfg.withDefaults(),
		cals: slices.Clone(cals),
		name: name,
		w:    w,
		buf:  make([]byte, 0, SetTargetLen*len(cals)),
	}
	if b.cfg.DetectBaud {
		if _, err := b.writeLocked([]byte{BaudIndication}); err != nil {
			return nil, fmt.Errorf("serial %s: send baud indication 0xAA: %w", name, err)
		}
	}
	return b, nil
}

func check(cfg Config, cals servo.Calibrations) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	return cals.CheckLayout(LastChannel)
}

// Write sends one Set Target per servo, in calibration order, in a single
// write. A command that fails the calibration check sends nothing. If the
// port fails mid-way the error names the first channel whose command was not
// sent completely; earlier channels did get theirs.
func (b *Backend) Write(joints []float64, gripper float64) error {
	pulses, err := b.cals.Pulses(joints, gripper)
	if err != nil {
		return fmt.Errorf("serial %s: %w", b.name, err)
	}
	targets := make([]uint16, len(pulses))
	for i, p := range pulses {
		targets[i] = TargetForPulse(p)
	}
	return b.send(targets, "set target")
}

// WritePulse implements servo.PulseWriter: one Set Target for channel, which
// must be calibrated, with us µs. A bad channel or pulse sends nothing.
func (b *Backend) WritePulse(channel, us int) error {
	i, err := b.cals.CheckPulse(channel, us)
	if err != nil {
		return fmt.Errorf("serial %s: %w", b.name, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("serial %s: %w", b.name, servo.ErrClosed)
	}
	buf, err := SetTarget{Channel: uint8(channel), Target: TargetForPulse(us)}.AppendBinary(b.buf[:0])
	if err != nil { // unreachable after CheckPulse; kept so a bug is an error, not garbage on the wire
		return fmt.Errorf("serial %s: %w", b.name, err)
	}
	b.buf = buf
	if _, err := b.writeLocked(buf); err != nil {
		return fmt.Errorf("serial %s: channel %d (joint %q): set %d µs: %w", b.name, channel, b.cals[i].Joint, us, err)
	}
	return nil
}

// Release sends target 0 to every calibrated channel, which makes the Maestro
// stop sending pulses there, so the servos go limp.
func (b *Backend) Release() error {
	return b.send(make([]uint16, len(b.cals)), "stop pulses")
}

// Close closes the port if Open created it. The Maestro keeps its last
// targets; call Release first to make the servos limp.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.closer != nil {
		if err := b.closer.Close(); err != nil {
			return fmt.Errorf("serial %s: close: %w", b.name, err)
		}
	}
	return nil
}

// send encodes one Set Target per calibration and writes them at once.
func (b *Backend) send(targets []uint16, what string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("serial %s: %w", b.name, servo.ErrClosed)
	}
	buf := b.buf[:0]
	for i, c := range b.cals {
		var err error
		buf, err = SetTarget{Channel: uint8(c.Channel), Target: targets[i]}.AppendBinary(buf)
		if err != nil { // unreachable after CheckLayout and Pulses; kept so a bug is an error, not garbage on the wire
			return fmt.Errorf("serial %s: %w", b.name, err)
		}
	}
	b.buf = buf
	n, err := b.writeLocked(buf)
	if err != nil {
		i := min(n/SetTargetLen, len(b.cals)-1)
		c := b.cals[i]
		return fmt.Errorf("serial %s: channel %d (joint %q): %s: %w", b.name, c.Channel, c.Joint, what, err)
	}
	return nil
}

// writeLocked writes p under the write deadline. Called with b.mu held (or
// before b is shared).
func (b *Backend) writeLocked(p []byte) (int, error) {
	return tty.Write(b.w, p, b.cfg.WriteTimeout)
}
