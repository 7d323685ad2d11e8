// Package sim is a servo.Backend of virtual servos for tests and dry runs.
//
// Each servo turns toward its last commanded target at a limited speed; where
// it is depends only on the injected Clock, so tests step time explicitly and
// never sleep.
package sim

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// Clock tells the virtual servos the time.
type Clock interface{ Now() time.Time }

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Backend is a set of virtual, slew-rate-limited servos. It implements
// servo.Backend and is safe for concurrent use.
type Backend struct {
	cfg   Config // defaults filled in
	clock Clock

	mu       sync.Mutex
	from     []float64 // joint angles (rad) at time at
	to       []float64 // joint targets (rad)
	gFrom    float64   // gripper at time at
	gTo      float64   // gripper target
	at       time.Time // when the current move started
	released bool
	closed   bool
	writes   int
	releases int
	fail     error
	pulses   map[int]int // channel → µs set by WritePulse since the last Write or Release
}

var (
	_ servo.Backend     = (*Backend)(nil)
	_ servo.PulseWriter = (*Backend)(nil)
)

// New returns virtual servos resting at cfg.StartJoints and cfg.StartGripper,
// released (no pulses yet) until the first Write. A nil clock means the wall
// clock.
func New(cfg Config, clock Clock) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	if clock == nil {
		clock = wallClock{}
	}
	cfg = cfg.withDefaults()
	start := append([]float64(nil), cfg.StartJoints...)
	return &Backend{
		cfg:      cfg,
		clock:    clock,
		from:     start,
		to:       append([]float64(nil), start...),
		gFrom:    cfg.StartGripper,
		gTo:      cfg.StartGripper,
		at:       clock.Now(),
		released: true,
	}, nil
}

// Write checks the command like real hardware would and, if it is valid,
// starts every servo toward its new target from wherever it is now. A
// rejected command changes nothing and is not counted.
func (b *Backend) Write(joints []float64, gripper float64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	if err := checkCommand(b.cfg, joints, gripper); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	now := b.clock.Now()
	b.from, b.gFrom = b.positionsAt(now)
	copy(b.to, joints)
	b.gTo = gripper
	b.at = now
	b.released = false
	b.writes++
	b.pulses = nil
	return nil
}

// WritePulse implements servo.PulseWriter: the servo on channel turns
// toward the angle a pulse of us µs gives under its calibration, extended
// past the calibrated range along the same line, so a raw pulse beyond the
// limits moves the virtual servo beyond them too. It needs
// Config.Calibrations to know the channels; a rejected call changes nothing.
func (b *Backend) WritePulse(channel, us int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	if b.cfg.Calibrations == nil {
		return fmt.Errorf("sim: channel %d: the simulated servos have no calibrations, so no channel maps to a servo; give them the arm file's servos", channel)
	}
	i, err := b.cfg.Calibrations.CheckPulse(channel, us)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	now := b.clock.Now()
	b.from, b.gFrom = b.positionsAt(now) // the other servos go on toward their targets
	c := b.cfg.Calibrations[i]
	if c.IsGripper() {
		b.gTo = c.AngleForPulse(us)
	} else {
		b.to[b.jointIndex(i)] = c.AngleForPulse(us)
	}
	b.at = now
	b.released = false
	if b.pulses == nil {
		b.pulses = make(map[int]int)
	}
	b.pulses[channel] = us
	return nil
}

// jointIndex returns the joint position (in Write's order) of calibration
// entry i, which must not be the gripper's.
func (b *Backend) jointIndex(i int) int {
	j := 0
	for _, c := range b.cfg.Calibrations[:i] {
		if !c.IsGripper() {
			j++
		}
	}
	return j
}

// RawPulses returns the pulse widths in µs set by WritePulse since the last
// Write or Release, by channel (a new map).
func (b *Backend) RawPulses() map[int]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[int]int, len(b.pulses))
	for ch, us := range b.pulses {
		out[ch] = us
	}
	return out
}

// Release makes the servos go limp where they are now: they stop moving and
// keep that position until the next Write.
func (b *Backend) Release() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	now := b.clock.Now()
	b.from, b.gFrom = b.positionsAt(now)
	copy(b.to, b.from)
	b.gTo = b.gFrom
	b.at = now
	b.released = true
	b.releases++
	b.pulses = nil
	return nil
}

// Close marks the backend closed; later Write and Release calls fail with
// servo.ErrClosed. Positions and the counters stay readable.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// usable returns the error Write and Release must fail with, if any. Called
// with b.mu held.
func (b *Backend) usable() error {
	if b.closed {
		return fmt.Errorf("sim: %w", servo.ErrClosed)
	}
	if b.fail != nil {
		return fmt.Errorf("sim: channel %d: %w", b.firstChannel(), b.fail)
	}
	return nil
}

func (b *Backend) firstChannel() int {
	if len(b.cfg.Calibrations) > 0 {
		return b.cfg.Calibrations[0].Channel
	}
	return 0
}

// FailWith makes every later Write and Release fail with err (wrapped, naming
// a channel) without changing state, as a dead bus would. nil heals it.
func (b *Backend) FailWith(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail = err
}

// Positions returns where the virtual servos are now: joint angles in rad (a
// new slice, arm joint order) and the gripper value.
func (b *Backend) Positions() (joints []float64, gripper float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.positionsAt(b.clock.Now())
}

// Targets returns the last commanded joint angles (rad) and gripper value, or
// the positions the servos were released at.
func (b *Backend) Targets() (joints []float64, gripper float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]float64(nil), b.to...), b.gTo
}

// Released reports whether the servos are limp: before the first Write and
// after Release until the next Write.
func (b *Backend) Released() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.released
}

// Writes returns how many commands Write has accepted.
func (b *Backend) Writes() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes
}

// Releases returns how many times Release has succeeded.
func (b *Backend) Releases() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.releases
}

// positionsAt is called with b.mu held.
func (b *Backend) positionsAt(now time.Time) ([]float64, float64) {
	dt := now.Sub(b.at).Seconds()
	if dt < 0 { // a clock stepping back must not move servos backwards
		dt = 0
	}
	joints := make([]float64, len(b.from))
	for i := range joints {
		joints[i] = slew(b.from[i], b.to[i], b.cfg.MaxSpeedRadPerSec*dt)
	}
	return joints, slew(b.gFrom, b.gTo, b.cfg.GripperSpeedPerSec*dt)
}

// slew moves from toward to by at most step.
func slew(from, to, step float64) float64 {
	d := to - from
	if math.Abs(d) <= step {
		return to
	}
	return from + math.Copysign(step, d)
}
