package hand

import (
	"fmt"
	"math"
	"time"
)

// OneEuro is the One Euro filter (Casiez, Roussel, Vogel, CHI 2012) for one
// signal: an exponential low-pass whose cutoff rises with the signal's speed,
// so it removes jitter at rest without lagging fast motion. Time comes only
// from the sample timestamps, never from a clock. It is not safe for
// concurrent use.
type OneEuro struct {
	cfg FilterConfig // defaults filled in

	started bool
	last    time.Time
	x       float64 // last output
	dx      float64 // last filtered speed, units/s
}

// NewOneEuro returns a filter with cfg (zero fields take their defaults).
func NewOneEuro(cfg FilterConfig) (*OneEuro, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("hand: one euro filter: %w", err)
	}
	return &OneEuro{cfg: cfg.withDefaults()}, nil
}

// Filter takes the sample x taken at time t and returns the filtered value.
// The first sample after NewOneEuro or Reset passes through unchanged. A
// non-finite x or a t not after the previous sample's is rejected with an
// error and leaves the filter as it was.
func (f *OneEuro) Filter(t time.Time, x float64) (float64, error) {
	if !finite(x) {
		return 0, fmt.Errorf("hand: one euro filter: sample %v is not a finite number", x)
	}
	if !f.started {
		f.started, f.last, f.x, f.dx = true, t, x, 0
		return x, nil
	}
	if !t.After(f.last) {
		return 0, fmt.Errorf("hand: one euro filter: sample time %v is not after the previous sample's %v", t.Format(time.RFC3339Nano), f.last.Format(time.RFC3339Nano))
	}
	dt := t.Sub(f.last).Seconds()
	speed := (x - f.x) / dt
	f.dx += smoothing(f.cfg.DCutoffHz, dt) * (speed - f.dx)
	cutoff := f.cfg.MinCutoffHz + f.cfg.Beta*math.Abs(f.dx)
	// prev + a·(x − prev) rather than a·x + (1−a)·prev: a constant input then
	// stays bit-for-bit constant.
	f.x += smoothing(cutoff, dt) * (x - f.x)
	f.last = t
	return f.x, nil
}

// Reset forgets the signal's history; the next sample passes through.
func (f *OneEuro) Reset() { f.started = false }

// smoothing is the exponential smoothing factor of a first-order low-pass
// with the given cutoff (Hz) for a sample period dt (s).
func smoothing(cutoffHz, dt float64) float64 {
	tau := 1 / (2 * math.Pi * cutoffHz)
	return 1 / (1 + tau/dt)
}
