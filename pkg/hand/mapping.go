package hand

import (
	"errors"
	"math"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/fielderr"
)

// Defaults filled in by Mapping.withDefaults for fields left zero. DefaultBeta
// and DefaultMinConfidence are only in DefaultMapping: zero is a meaningful
// value for those two fields.
const (
	DefaultMinCutoffHz   = 1.0
	DefaultBeta          = 10.0
	DefaultDCutoffHz     = 1.0
	DefaultCloseAbove    = 0.8
	DefaultOpenBelow     = 0.5
	DefaultMinConfidence = 0.5
	DefaultClutch        = ClutchAlways
	DefaultMode          = ModeRelative
	DefaultLossTimeout   = time.Second
)

// Mode says how palm positions become arm targets.
type Mode string

// Mapping modes.
const (
	// ModeRelative (a clutch): while engaged the arm follows the hand's
	// displacement since engagement, from where the controller reported
	// the arm then. Re-engaging never makes the arm jump.
	ModeRelative Mode = "relative"
	// ModeAbsolute: the arm goes to A(h), the palm mapped through AxisMap,
	// Scale and Offset, wherever the arm was; engaging can move it far.
	ModeAbsolute Mode = "absolute"
)

// DefaultAxisMap is the AxisMap used when AxisMap is all empty: the tracker
// frame already has REP 103 axes.
var DefaultAxisMap = [3]string{"x", "y", "z"}

// ClutchMode says when hand motion moves the arm.
type ClutchMode string

// Clutch modes.
const (
	// ClutchAlways moves the arm whenever a hand is tracked; the pinch drives
	// the gripper.
	ClutchAlways ClutchMode = "always"
	// ClutchPinchHold moves the arm only while the hand pinches. The pinch is
	// the clutch, so it does not drive the gripper (Output.Gripper stays nil).
	ClutchPinchHold ClutchMode = "pinch_hold"
	// ClutchExternal moves the arm only while the node says so with
	// Tracker.SetClutch (a dead-man button, a service); the pinch drives the
	// gripper.
	ClutchExternal ClutchMode = "external"
)

// FilterConfig tunes the One Euro filter (Casiez et al. 2012) applied to each
// palm axis. Lower MinCutoffHz removes more jitter at rest; higher Beta
// removes more lag in fast motion.
type FilterConfig struct {
	// MinCutoffHz is the cutoff frequency at rest, in Hz. Zero means
	// DefaultMinCutoffHz.
	MinCutoffHz float64
	// Beta is how fast the cutoff rises with speed, in Hz per (m/s) of palm
	// speed. Zero means no speed adaptation: a plain low-pass at MinCutoffHz
	// (DefaultMapping uses DefaultBeta).
	Beta float64
	// DCutoffHz is the cutoff frequency for the speed estimate, in Hz. Zero
	// means DefaultDCutoffHz.
	DCutoffHz float64
}

// withDefaults returns c with every zero field that has a default filled in.
func (c FilterConfig) withDefaults() FilterConfig {
	if c.MinCutoffHz == 0 {
		c.MinCutoffHz = DefaultMinCutoffHz
	}
	if c.DCutoffHz == 0 {
		c.DCutoffHz = DefaultDCutoffHz
	}
	return c
}

// validate reports every bad field; prefix names the struct ("Filter.").
func (c FilterConfig) validate(prefix string) []error {
	var errs []error
	if !finite(c.MinCutoffHz) || c.MinCutoffHz < 0 {
		errs = append(errs, fielderr.New(prefix+"MinCutoffHz", "%v must be a finite frequency > 0 Hz (0 means %v)", c.MinCutoffHz, DefaultMinCutoffHz))
	}
	if !finite(c.Beta) || c.Beta < 0 {
		errs = append(errs, fielderr.New(prefix+"Beta", "%v must be finite and >= 0 Hz per m/s (0 turns speed adaptation off)", c.Beta))
	}
	if !finite(c.DCutoffHz) || c.DCutoffHz < 0 {
		errs = append(errs, fielderr.New(prefix+"DCutoffHz", "%v must be a finite frequency > 0 Hz (0 means %v)", c.DCutoffHz, DefaultDCutoffHz))
	}
	return errs
}

// Validate reports every bad field of c, each a *fielderr.Error naming the
// field.
func (c FilterConfig) Validate() error { return errors.Join(c.validate("")...) }

// PinchConfig is the hysteresis that turns the pinch strength (0 = fingers
// apart, 1 = touching) into closed/open. Between OpenBelow and CloseAbove the
// state does not change, so a hovering pinch does not chatter.
type PinchConfig struct {
	// CloseAbove: a pinch strictly above this (0..1, exclusive) counts as
	// closed. Zero means DefaultCloseAbove.
	CloseAbove float64
	// OpenBelow: a pinch strictly below this (0..1, exclusive) counts as
	// open; must be below CloseAbove. Zero means DefaultOpenBelow.
	OpenBelow float64
}

// Mapping turns hand-tracker frames into arm targets. The node fills it from
// ROS parameters; NewTracker validates it. The zero Mapping is valid: every
// zero field is documented below.
//
// A palm position h (metres, tracker frame) maps to the arm base frame (REP
// 103, metres) as
//
//	A(h)[i] = Offset[i] + Scale[i] · sign_i · h[axis_i]     (i = arm x, y, z)
//
// where axis_i and sign_i come from AxisMap[i]. In ModeAbsolute the target
// is A(h). In ModeRelative (the default) the tracker moves the arm
// relatively: target = anchor + A(h) − A(h0), h0 being the palm at
// engagement and anchor the arm position the controller reported then.
type Mapping struct {
	// Mode is ModeRelative or ModeAbsolute. Empty means DefaultMode.
	Mode Mode
	// Scale is the arm displacement per unit of hand displacement (m/m) along
	// arm x, y, z, applied after AxisMap. A zero entry means 1. Negative
	// entries are rejected: flip an axis with a "-" in AxisMap instead.
	Scale [3]float64
	// Offset, in metres in the arm base frame, places the absolute mapping
	// A(h) (ModeAbsolute; it cancels out in ModeRelative). Zero means the
	// tracker origin maps onto the arm base origin.
	Offset [3]float64
	// AxisMap names, for arm x, y and z in turn, the tracker axis that drives
	// it: "x", "y" or "z", optionally signed ("-z", "+x"); each tracker axis
	// once. For a camera frame (x right, y down, z away from the camera)
	// facing the user, {"-z", "x", "-y"} is typical. All empty means
	// DefaultAxisMap (the tracker frame already is REP 103).
	AxisMap [3]string
	// MinConfidence (0..1): detected frames with a lower confidence count as
	// tracking loss. Zero means every detected frame counts (DefaultMapping
	// uses DefaultMinConfidence).
	MinConfidence float64
	// Filter smooths the palm position before mapping.
	Filter FilterConfig
	// Pinch turns the pinch strength into open/closed.
	Pinch PinchConfig
	// Clutch says when hand motion moves the arm. Empty means DefaultClutch.
	Clutch ClutchMode
	// LossTimeout is how long, in frame time, without a good frame before
	// Output.Lost is set. A shorter dropout keeps the engagement and its
	// anchor; good frames further apart than this restart engagement
	// (re-anchoring on the arm's reported position), so a stalled tracker
	// cannot make the arm jump. Zero means DefaultLossTimeout.
	LossTimeout time.Duration
}

// DefaultMapping returns the recommended mapping: every default, including
// DefaultBeta and DefaultMinConfidence, which a zero field does not get.
func DefaultMapping() Mapping {
	m := Mapping{}.withDefaults()
	m.Filter.Beta = DefaultBeta
	m.MinConfidence = DefaultMinConfidence
	return m
}

// withDefaults returns m with every zero field that has a default filled in.
func (m Mapping) withDefaults() Mapping {
	for i := range m.Scale {
		if m.Scale[i] == 0 {
			m.Scale[i] = 1
		}
	}
	if m.AxisMap == [3]string{} {
		m.AxisMap = DefaultAxisMap
	}
	m.Filter = m.Filter.withDefaults()
	if m.Pinch.CloseAbove == 0 {
		m.Pinch.CloseAbove = DefaultCloseAbove
	}
	if m.Pinch.OpenBelow == 0 {
		m.Pinch.OpenBelow = DefaultOpenBelow
	}
	if m.Clutch == "" {
		m.Clutch = DefaultClutch
	}
	if m.Mode == "" {
		m.Mode = DefaultMode
	}
	if m.LossTimeout == 0 {
		m.LossTimeout = DefaultLossTimeout
	}
	return m
}

// Validate reports every bad field of m, each a *fielderr.Error naming the
// field (the bridge re-words them as its hand.* parameters).
func (m Mapping) Validate() error {
	var errs []error
	for i, s := range m.Scale {
		if !finite(s) || s < 0 {
			errs = append(errs, fielderr.New("Scale", "entry %d (arm %s): %v must be finite and >= 0 (0 means 1; flip an axis with a \"-\" in the axis map instead)", i, axisNames[i], s))
		}
	}
	for i, o := range m.Offset {
		if !finite(o) {
			errs = append(errs, fielderr.New("Offset", "entry %d (arm %s): %v must be a finite distance in metres", i, axisNames[i], o))
		}
	}
	if _, err := parseAxisMap(m.AxisMap); err != nil {
		errs = append(errs, err)
	}
	if !(m.MinConfidence >= 0 && m.MinConfidence <= 1) {
		errs = append(errs, fielderr.New("MinConfidence", "%v is outside 0..1", m.MinConfidence))
	}
	errs = append(errs, m.Filter.validate("Filter.")...)
	errs = append(errs, m.Pinch.validate()...)
	switch m.Clutch {
	case "", ClutchAlways, ClutchPinchHold, ClutchExternal:
	default:
		errs = append(errs, fielderr.New("Clutch", "%q is not a clutch mode; use %q, %q or %q", m.Clutch, ClutchAlways, ClutchPinchHold, ClutchExternal))
	}
	switch m.Mode {
	case "", ModeRelative, ModeAbsolute:
	default:
		errs = append(errs, fielderr.New("Mode", "%q is not a mapping mode; use %q or %q", m.Mode, ModeRelative, ModeAbsolute))
	}
	if m.LossTimeout < 0 {
		errs = append(errs, fielderr.New("LossTimeout", "%v is negative (0 means %v)", m.LossTimeout, DefaultLossTimeout))
	}
	return errors.Join(errs...)
}

func (p PinchConfig) validate() []error {
	var errs []error
	inRange := func(v float64) bool { return v >= 0 && v < 1 }
	if !inRange(p.CloseAbove) {
		errs = append(errs, fielderr.New("Pinch.CloseAbove", "%v must be in 0..1, exclusive of 1 (0 means %v)", p.CloseAbove, DefaultCloseAbove))
	}
	if !inRange(p.OpenBelow) {
		errs = append(errs, fielderr.New("Pinch.OpenBelow", "%v must be in 0..1, exclusive of 1 (0 means %v)", p.OpenBelow, DefaultOpenBelow))
	}
	if len(errs) > 0 {
		return errs
	}
	d := Mapping{Pinch: p}.withDefaults().Pinch
	if d.OpenBelow >= d.CloseAbove {
		errs = append(errs, fielderr.New("Pinch.OpenBelow", "%v must be below the close threshold %v (a zero value takes its default)", d.OpenBelow, d.CloseAbove))
	}
	return errs
}

var axisNames = [3]string{"x", "y", "z"}

// axis is one parsed AxisMap entry: arm axis i = sign · hand[from].
type axis struct {
	from int
	sign float64
}

// parseAxisMap checks m (all empty means DefaultAxisMap) and returns it parsed.
func parseAxisMap(m [3]string) ([3]axis, error) {
	if m == [3]string{} {
		m = DefaultAxisMap
	}
	var out [3]axis
	usedBy := [3]int{-1, -1, -1}
	var errs []error
	for i, s := range m {
		a, ok := parseAxis(s)
		if !ok {
			errs = append(errs, fielderr.New("AxisMap", "entry %d (arm %s): %q is not an axis; use \"x\", \"y\" or \"z\" with an optional sign, e.g. \"-z\"", i, axisNames[i], s))
			continue
		}
		if j := usedBy[a.from]; j >= 0 {
			errs = append(errs, fielderr.New("AxisMap", "entry %d (arm %s): tracker axis %s already drives arm %s; use each of x, y, z once", i, axisNames[i], axisNames[a.from], axisNames[j]))
			continue
		}
		usedBy[a.from] = i
		out[i] = a
	}
	return out, errors.Join(errs...)
}

func parseAxis(s string) (axis, bool) {
	a := axis{sign: 1}
	if len(s) == 2 {
		switch s[0] {
		case '+':
		case '-':
			a.sign = -1
		default:
			return axis{}, false
		}
		s = s[1:]
	}
	switch s {
	case "x":
		a.from = 0
	case "y":
		a.from = 1
	case "z":
		a.from = 2
	default:
		return axis{}, false
	}
	return a, true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
