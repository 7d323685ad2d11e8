package bus

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/servo"
	"github.com/aether-lab/aether-bridge/pkg/servo/tty"
)

// Defaults filled in by Config.withDefaults.
const (
	DefaultBaud           = 1_000_000
	DefaultReplyTimeout   = 8 * time.Millisecond
	DefaultWriteTimeout   = 20 * time.Millisecond
	DefaultTelemetryEvery = 10
	DefaultStartTries     = 3
	// startReplyTimeout is the least reply budget of the start-up reads,
	// which are not in the motion loop: a loaded machine must not make a
	// healthy servo look missing.
	startReplyTimeout = 100 * time.Millisecond
)

// Config describes the bus.
type Config struct {
	// Device is the serial device, e.g. /dev/ttyUSB0 or a udev name such
	// as /dev/so101. Required by Open; New only uses it to name the bus.
	Device string
	// Baud is the line rate in bit/s. Zero means DefaultBaud (1,000,000,
	// the STS3215's factory setting).
	Baud int
	// ReplyTimeout bounds the wait for all replies of one transaction (one
	// SYNC READ, or one READ at start). A read that runs out is counted in
	// Measurement.Timeouts and skipped. Keep it well below the controller's
	// tick period. Zero means DefaultReplyTimeout (8 ms).
	ReplyTimeout time.Duration
	// WriteTimeout bounds every write to the port. Zero means
	// DefaultWriteTimeout (20 ms).
	WriteTimeout time.Duration
	// TelemetryEvery is how many bus cycles pass between reads of load,
	// voltage, temperature and moving (the other cycles read positions
	// only). Zero means DefaultTelemetryEvery (10: 5 Hz at 50 Hz).
	TelemetryEvery int
	// StartTries is how often the start-up position read is tried per
	// servo before giving up. Zero means DefaultStartTries (3).
	StartTries int
}

func (c Config) withDefaults() Config {
	if c.Baud == 0 {
		c.Baud = DefaultBaud
	}
	if c.ReplyTimeout == 0 {
		c.ReplyTimeout = DefaultReplyTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.TelemetryEvery == 0 {
		c.TelemetryEvery = DefaultTelemetryEvery
	}
	if c.StartTries == 0 {
		c.StartTries = DefaultStartTries
	}
	return c
}

// Validate reports every bad field of c, each named.
func (c Config) Validate() error {
	var errs []error
	if c.Baud < 0 {
		errs = append(errs, fmt.Errorf("baud: %d bit/s is negative (0 means %d)", c.Baud, DefaultBaud))
	}
	for _, d := range []struct {
		name  string
		v     time.Duration
		deflt time.Duration
	}{{"reply timeout", c.ReplyTimeout, DefaultReplyTimeout}, {"write timeout", c.WriteTimeout, DefaultWriteTimeout}} {
		if d.v < 0 || d.v > time.Second {
			errs = append(errs, fmt.Errorf("%s: %v is outside 0..1s (0 means %v)", d.name, d.v, d.deflt))
		}
	}
	if c.TelemetryEvery < 0 || c.StartTries < 0 {
		errs = append(errs, fmt.Errorf("telemetry every %d cycles, %d start tries: neither may be negative (0 means the default)", c.TelemetryEvery, c.StartTries))
	}
	return errors.Join(errs...)
}

// Port is the serial line: *os.File from Open, or a test double.
type Port interface {
	io.ReadWriter
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// Backend drives the servos of one bus. It implements servo.Backend and
// servo.Feedback and is safe for concurrent use.
type Backend struct {
	fam    Family
	tab    Table
	cfg    Config
	cals   servo.Calibrations
	ids    []byte
	name   string
	port   Port
	closer io.Closer

	mu       sync.Mutex
	r        *bufio.Reader
	buf      []byte
	cycle    int
	ticks    []int  // last position per servo, calibration order
	fresh    []bool // position read in the last cycle
	health   []servo.Health
	at       time.Time
	torque   bool
	fault    error
	faulted  []byte // ids whose flags latched the fault
	timeouts int64
	closed   bool
}

var (
	_ servo.Backend  = (*Backend)(nil)
	_ servo.Feedback = (*Backend)(nil)
)

// Open opens cfg.Device at cfg.Baud and returns New's Backend owning it.
func Open(cfg Config, fam Family, cals servo.Calibrations) (*Backend, error) {
	if cfg.Device == "" {
		return nil, fmt.Errorf("%s: serial port: empty; set --serial-port, e.g. /dev/ttyUSB0", fam.Name())
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", fam.Name(), cfg.Device, err)
	}
	f, err := tty.Open(cfg.Device, cfg.withDefaults().Baud)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", fam.Name(), cfg.Device, err)
	}
	b, err := New(f, cfg, fam, cals)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	b.closer = f
	return b, nil
}

// New checks cals, then reads every servo's present position and checks
// its operating mode before anything is written: if any servo does not
// answer, or is in a multi-turn or non-position mode, it returns an error
// naming each such id and joint, and the servos are left untouched (torque
// is never enabled). The caller keeps owning port.
func New(port Port, cfg Config, fam Family, cals servo.Calibrations) (*Backend, error) {
	name := fam.Name() + " " + cfg.Device
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := cals.CheckBus(fam.MaxID()); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b := &Backend{
		fam: fam, tab: fam.Table(), cfg: cfg.withDefaults(), cals: slices.Clone(cals), name: name, port: port,
		r:      bufio.NewReaderSize(port, 512),
		ticks:  make([]int, len(cals)),
		fresh:  make([]bool, len(cals)),
		health: make([]servo.Health, len(cals)),
	}
	for i, c := range cals {
		b.ids = append(b.ids, byte(*c.ID))
		b.health[i] = servo.Health{ID: *c.ID, Joint: c.Joint}
	}
	if err := b.start(); err != nil {
		return nil, fmt.Errorf("%s: %w; torque stays off", name, err)
	}
	return b, nil
}

// start reads each servo's position (StartTries tries) and checks its mode.
func (b *Backend) start() error {
	budget := b.cfg.ReplyTimeout
	b.cfg.ReplyTimeout = max(budget, startReplyTimeout)
	defer func() { b.cfg.ReplyTimeout = budget }()
	var errs []error
	for i, id := range b.ids {
		var data []byte
		var err error
		for range b.cfg.StartTries {
			if data, err = b.read(id, b.tab.PresentPosition, b.tab.PresentLen); err == nil {
				break
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: no position read after %d tries (%v): check its power, cable and id", b.label(i), b.cfg.StartTries, err))
			continue
		}
		b.ticks[i], b.fresh[i] = b.fam.Position(data), true
		if err := b.fam.CheckMode(id, b.read); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.label(i), err))
		}
	}
	b.at = time.Now()
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return errors.New(strings.Join(msgs, "; ")) // one line: the controller's one-line failure
}

// label names servo i in errors.
func (b *Backend) label(i int) string {
	return fmt.Sprintf("id %d (joint %q)", b.ids[i], b.cals[i].Joint)
}

// Release turns torque off on every servo (SYNC WRITE torque enable 0): the
// arm goes limp and can be moved by hand.
func (b *Backend) Release() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	b.buf = b.fam.AppendSyncWrite(b.buf[:0], b.tab.TorqueEnable, 1, b.ids, make([]byte, len(b.ids)))
	if err := b.send(b.buf); err != nil {
		return fmt.Errorf("%s: torque off: %w", b.name, err)
	}
	b.torque = false
	return nil
}

// Close closes the port if Open opened it. Servos keep their torque state:
// call Release first to make them limp.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.closer != nil {
		if err := b.closer.Close(); err != nil {
			return fmt.Errorf("%s: close: %w", b.name, err)
		}
	}
	return nil
}

func (b *Backend) usable() error {
	if b.closed {
		return fmt.Errorf("%s: %w", b.name, servo.ErrClosed)
	}
	return nil
}

// send writes one or more encoded packets under the write deadline.
func (b *Backend) send(pkt []byte) error {
	_, err := tty.Write(b.port, pkt, b.cfg.WriteTimeout)
	return err
}
