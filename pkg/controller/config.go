package controller

import (
	"errors"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/fielderr"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// Defaults filled in by Config.withDefaults, the only place they live.
const (
	DefaultMaxClients = 8
	// DefaultMaxUnauthenticated is the default Config.MaxUnauthenticated.
	DefaultMaxUnauthenticated = 16
	// DefaultHelloTimeout is the default Config.HelloTimeout.
	DefaultHelloTimeout = 2 * time.Second
	DefaultMaxLine      = protocol.DefaultMaxLine
	DefaultWatchdog     = 500 * time.Millisecond
	DefaultParkAfter    = 5 * time.Second
	DefaultReleaseAfter = 2 * time.Second
	DefaultReadTimeout  = 60 * time.Second
	DefaultWriteTimeout = 5 * time.Second
	DefaultEventRate    = 20.0
	DefaultMaxBadLines  = 20
	DefaultMaxLineRate  = 100000
	// DefaultMaxPulseStepUS is the default Config.MaxPulseStepUS, µs.
	DefaultMaxPulseStepUS = 50
)

// Bounds checked by Validate.
const (
	MinMaxLine = 256      // room for a hello with a token
	MaxMaxLine = 16 << 20 // the LineReader allocates this per connection
	MaxTickHz  = 500
	// MinWatchdog is the shortest Watchdog accepted. The watchdog is a
	// timer (hold comes within a few ms of the configured time), but a
	// shorter one would trip between two lines of a healthy 30 Hz stream
	// (33 ms apart) and leaves no room for scheduling delay on a Pi.
	MinWatchdog = 50 * time.Millisecond
)

// Config tunes a Server. The zero value is usable: every zero field takes
// its default. Durations are measured on Clock except ReadTimeout and
// WriteTimeout, which are network deadlines on the wall clock.
type Config struct {
	// MaxClients is the most authenticated connections served at once
	// (without a Token, every connection is authenticated). One more gets
	// an error line (code busy, "too many clients") and is closed. With a
	// Token, monitors may take all but one of them, so a control client
	// always finds a place. 0 means DefaultMaxClients (8).
	MaxClients int
	// MaxUnauthenticated is how many connections may wait to
	// authenticate at once when a Token is set, apart from MaxClients. One
	// more closes the one that has waited longest (with an error line),
	// so peers that never authenticate cannot keep a client with the
	// token out. Unused without a Token. 0 means
	// DefaultMaxUnauthenticated (16).
	MaxUnauthenticated int
	// HelloTimeout is how long a connection may take to authenticate
	// when a Token is set (wall clock, from accepting it); past it the
	// connection gets an error line and is closed. Unused without a
	// Token. 0 means DefaultHelloTimeout (2 s).
	HelloTimeout time.Duration
	// Token is the shared secret a client must send in hello before any
	// other request works; it is compared in constant time and never
	// logged. Failed hellos are limited per source address (see
	// FreeHelloFailures). "" means no authentication: every connection
	// may act, and one that never says hello is a control client.
	Token string
	// MaxLine is the longest request line in bytes, not counting its
	// terminator (MinMaxLine..MaxMaxLine). Longer lines get line_too_long
	// without being buffered. 0 means DefaultMaxLine (64 KiB).
	MaxLine int
	// Watchdog is how long the client holding control may send nothing at
	// all (no line) before the arm holds its position; at least
	// MinWatchdog (50 ms). 0 means DefaultWatchdog (500 ms).
	Watchdog time.Duration
	// ParkAfter is how long the arm holds before it moves slowly to the
	// park pose. 0 means DefaultParkAfter (5 s).
	ParkAfter time.Duration
	// ReleaseAfter is how long the arm stays parked before the servo
	// pulses are switched off (the servos go limp). 0 means
	// DefaultReleaseAfter (2 s).
	ReleaseAfter time.Duration
	// TickHz is how often the motion loop steps the joints and writes the
	// servos, in Hz (1..MaxTickHz). 0 means the arm file's motion.tick_hz.
	TickHz int
	// ReadTimeout closes a connection that sends no line for this long
	// (wall clock); clients that only listen should ping. 0 means
	// DefaultReadTimeout (60 s).
	ReadTimeout time.Duration
	// WriteTimeout bounds each write to a client (wall clock); a client
	// that does not read for this long is closed. 0 means
	// DefaultWriteTimeout (5 s).
	WriteTimeout time.Duration
	// EventRate is the most periodic state events per second pushed to
	// subscribers while the arm moves; changes of moving, estopped,
	// watchdog or control are pushed at once. 0 means DefaultEventRate (20).
	EventRate float64
	// MaxBadLines is how many invalid lines (bad JSON, bad fields, too
	// long) per second a connection may send, as a burst that refills at
	// that rate; one more gets an error line and the connection is closed.
	// 0 means DefaultMaxBadLines (20).
	MaxBadLines int
	// MaxLineRate is how many lines per second a connection may send, as
	// a burst that refills at that rate; one more gets an error line and
	// the connection is closed. It only stops a runaway sender: invalid
	// lines are limited by MaxBadLines, and a 1 kHz tracking stream with
	// pings must pass. 0 means DefaultMaxLineRate (100000).
	MaxLineRate int
	// MaxPulseStepUS is the most a servo request (calibration,
	// docs/protocol.md §12) may change a servo's pulse width, in µs, so
	// limits are found step by step (1..servo.MaxPulseUS-servo.MinPulseUS).
	// 0 means DefaultMaxPulseStepUS (50 µs).
	MaxPulseStepUS int
	// Verbose logs every line received and sent (tokens redacted).
	Verbose bool
	// Logger receives the server's logs. nil means slog.Default().
	Logger *slog.Logger
	// Clock drives the motion loop, the watchdog, ttl_ms and the rate
	// limits. nil means clock.Real().
	Clock clock.Clock
}

// withDefaults returns c with every zero field that has a default filled
// in; armTickHz is the arm file's motion.tick_hz.
func (c Config) withDefaults(armTickHz int) Config {
	if c.MaxClients == 0 {
		c.MaxClients = DefaultMaxClients
	}
	if c.MaxUnauthenticated == 0 {
		c.MaxUnauthenticated = DefaultMaxUnauthenticated
	}
	if c.HelloTimeout == 0 {
		c.HelloTimeout = DefaultHelloTimeout
	}
	if c.MaxLine == 0 {
		c.MaxLine = DefaultMaxLine
	}
	if c.Watchdog == 0 {
		c.Watchdog = DefaultWatchdog
	}
	if c.ParkAfter == 0 {
		c.ParkAfter = DefaultParkAfter
	}
	if c.ReleaseAfter == 0 {
		c.ReleaseAfter = DefaultReleaseAfter
	}
	if c.TickHz == 0 {
		c.TickHz = armTickHz
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.EventRate == 0 {
		c.EventRate = DefaultEventRate
	}
	if c.MaxBadLines == 0 {
		c.MaxBadLines = DefaultMaxBadLines
	}
	if c.MaxLineRate == 0 {
		c.MaxLineRate = DefaultMaxLineRate
	}
	if c.MaxPulseStepUS == 0 {
		c.MaxPulseStepUS = DefaultMaxPulseStepUS
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	return c
}

// Validate reports every bad field of c, each a *fielderr.Error naming the
// field (aether_controller re-words them as its flags). Zero
// fields are fine (they take defaults), except that TickHz needs the arm
// file to supply one, which New checks.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fielderr.New(field, format, args...))
	}
	if c.MaxClients < 0 {
		bad("MaxClients", "%d is negative; use at least 1 (0 means %d)", c.MaxClients, DefaultMaxClients)
	}
	if c.MaxUnauthenticated < 0 {
		bad("MaxUnauthenticated", "%d is negative; use at least 1 (0 means %d)", c.MaxUnauthenticated, DefaultMaxUnauthenticated)
	}
	if c.MaxLine != 0 && (c.MaxLine < MinMaxLine || c.MaxLine > MaxMaxLine) {
		bad("MaxLine", "%d bytes is outside %d..%d (0 means %d)", c.MaxLine, MinMaxLine, MaxMaxLine, DefaultMaxLine)
	}
	if c.Token != strings.TrimSpace(c.Token) {
		bad("Token", "has leading or trailing white space; remove it (a token file's surrounding white space is trimmed when it is read)")
	}
	for _, d := range []struct {
		name  string
		v     time.Duration
		deflt time.Duration
	}{
		{"Watchdog", c.Watchdog, DefaultWatchdog},
		{"ParkAfter", c.ParkAfter, DefaultParkAfter},
		{"ReleaseAfter", c.ReleaseAfter, DefaultReleaseAfter},
		{"ReadTimeout", c.ReadTimeout, DefaultReadTimeout},
		{"HelloTimeout", c.HelloTimeout, DefaultHelloTimeout},
		{"WriteTimeout", c.WriteTimeout, DefaultWriteTimeout},
	} {
		if d.v < 0 {
			bad(d.name, "%v is negative (0 means %v)", d.v, d.deflt)
		}
	}
	if c.Watchdog > 0 && c.Watchdog < MinWatchdog {
		bad("Watchdog", "%v is below the floor of %v: a shorter watchdog would hold the arm between two lines of a 30 Hz stream; use at least %v, e.g. 500ms", c.Watchdog, MinWatchdog, MinWatchdog)
	}
	if c.TickHz < 0 || c.TickHz > MaxTickHz {
		bad("TickHz", "%d Hz is outside 1..%d (0 means the arm file's motion.tick_hz)", c.TickHz, MaxTickHz)
	}
	if math.IsNaN(c.EventRate) || c.EventRate < 0 || c.EventRate > 1000 {
		bad("EventRate", "%v events/s is outside (0, 1000] (0 means %v)", c.EventRate, DefaultEventRate)
	}
	if c.MaxBadLines < 0 {
		bad("MaxBadLines", "%d is negative (0 means %d per second)", c.MaxBadLines, DefaultMaxBadLines)
	}
	if c.MaxLineRate < 0 {
		bad("MaxLineRate", "%d is negative (0 means %d per second)", c.MaxLineRate, DefaultMaxLineRate)
	}
	if span := servo.MaxPulseUS - servo.MinPulseUS; c.MaxPulseStepUS < 0 || c.MaxPulseStepUS > span {
		bad("MaxPulseStepUS", "%d µs is outside 1..%d (0 means %d)", c.MaxPulseStepUS, span, DefaultMaxPulseStepUS)
	}
	return errors.Join(errs...)
}

// tickPeriod is the motion loop period.
func (c Config) tickPeriod() time.Duration {
	return time.Duration(float64(time.Second) / float64(c.TickHz))
}
