package hand

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Point is a position in metres.
type Point struct{ X, Y, Z float64 }

func (p Point) vec() [3]float64 { return [3]float64{p.X, p.Y, p.Z} }

func pointOf(v [3]float64) Point { return Point{v[0], v[1], v[2]} }

func (p Point) finite() bool { return finite(p.X) && finite(p.Y) && finite(p.Z) }

// Frame is one hand-tracking result.
type Frame struct {
	// Stamp is when the camera image was taken. It drives the filter and
	// LossTimeout; it must be set and increase from frame to frame.
	Stamp time.Time
	// Detected is false when the tracker saw no hand; the other fields are
	// then ignored.
	Detected bool
	// Palm is the palm position in metres, in the tracker's frame.
	Palm Point
	// Pinch is the pinch strength, 0 = fingers apart .. 1 = touching.
	Pinch float64
	// Confidence is the tracker's confidence in the detection, 0..1.
	Confidence float64
}

// Output is what the tracker makes of one frame.
type Output struct {
	// Target is the new arm target in metres, arm base frame; nil means hold:
	// send no new target.
	Target *Point
	// Gripper is the new gripper command, 0 = open, 1 = closed; nil means no
	// change. It is set only when the commanded state changes.
	Gripper *float64
	// Engaged reports whether hand motion currently moves the arm (false
	// during a dropout, even one short enough to keep the anchor).
	Engaged bool
	// Lost is set once no good frame has arrived for Mapping.LossTimeout (or
	// none ever has): the next engagement re-anchors.
	Lost bool
	// Reason says why Target is nil, or what else happened (a clock jump);
	// empty for an ordinary tracked frame.
	Reason string
	// Tracked: the frame had a usable hand (engaged or not).
	Tracked bool
}

// Tracker turns frames into arm targets, following Mapping. It is safe for
// concurrent use: the node may call SetArmPosition and SetClutch from other
// goroutines than Update.
//
// In relative mode the arm's position comes only from SetArmPosition (the
// controller's report), never from the tracker's own targets, and a
// dropout shorter than LossTimeout keeps the anchor: the mapping does not
// drift however often the hand flickers out.
type Tracker struct {
	m    Mapping // defaults filled in
	axes [3]axis

	mu      sync.Mutex
	filters [3]*OneEuro

	haveStamp bool
	lastStamp time.Time // last frame with a usable stamp
	haveGood  bool
	lastGood  time.Time // last good frame

	engaged    bool
	anchorArm  [3]float64 // arm position when engagement started
	anchorHand [3]float64 // filtered palm then

	armKnown bool
	arm      [3]float64 // latest SetArmPosition: where the controller says the arm is

	pinchKnown, pinchClosed bool // hysteresis state; unknown after loss
	gripKnown, gripClosed   bool // last gripper command sent

	clutch bool // external clutch
}

// NewTracker returns a tracker for m, or m's validation error.
func NewTracker(m Mapping) (*Tracker, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("hand: %w", err)
	}
	m = m.withDefaults()
	axes, _ := parseAxisMap(m.AxisMap)
	t := &Tracker{m: m, axes: axes}
	for i := range t.filters {
		f, err := NewOneEuro(m.Filter)
		if err != nil {
			return nil, err
		}
		t.filters[i] = f
	}
	return t, nil
}

// Mapping returns the tracker's mapping with its defaults filled in.
func (t *Tracker) Mapping() Mapping { return t.m }

// SetArmPosition tells the tracker where the arm is (metres, arm base frame),
// as the controller reports it. The next engagement (relative mode)
// anchors there; an engagement in progress is not affected. Until it is
// called, relative mode does not engage. A non-finite p is rejected and
// ignored.
func (t *Tracker) SetArmPosition(p Point) error {
	if !p.finite() {
		return fmt.Errorf("hand: arm position %+v is not finite; ignored", p)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.arm, t.armKnown = p.vec(), true
	return nil
}

// ForgetArmPosition says the arm's position is unknown (e.g. a home is on
// its way): in relative mode an engagement in progress ends (its anchor
// no longer says where the arm is) and the next one waits for the next
// SetArmPosition.
func (t *Tracker) ForgetArmPosition() {
	t.mu.Lock()
	t.armKnown = false
	if t.m.Mode == ModeRelative {
		t.engaged = false
	}
	t.mu.Unlock()
}

// Lose ends tracking now, as if LossTimeout had passed without a good
// frame: the next engagement re-anchors. The node calls it on a timer
// when frames stop arriving altogether.
func (t *Tracker) Lose(reason string) Output {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.resetTracking()
	t.haveGood = false
	return Output{Lost: true, Reason: reason}
}

// SetClutch engages (true) or releases the clutch in ClutchExternal mode; it
// takes effect at the next Update. In other modes it is an error.
func (t *Tracker) SetClutch(engaged bool) error {
	if t.m.Clutch != ClutchExternal {
		return fmt.Errorf("hand: SetClutch needs Clutch %q, the mapping has %q", ClutchExternal, t.m.Clutch)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clutch = engaged
	return nil
}

// Update processes one frame. A frame without a hand, with low confidence,
// or with a value that is NaN, infinite or out of range is tracking loss:
// hold, disengage, reset the filter, and say why in Reason. A frame whose
// stamp repeats the previous one is ignored; one whose stamp goes back
// restarts tracking (a replayed bag, a clock reset).
func (t *Tracker) Update(f Frame) Output {
	t.mu.Lock()
	defer t.mu.Unlock()

	if f.Stamp.IsZero() {
		return t.lose(t.lastStamp, "frame has no timestamp (Stamp is zero); set it to the image capture time")
	}
	var note string
	if t.haveStamp {
		switch {
		case f.Stamp.Equal(t.lastStamp):
			return Output{Engaged: t.engaged, Lost: t.lostAt(f.Stamp),
				Reason: fmt.Sprintf("frame stamp %s repeats the previous frame's; frame ignored", stampString(f.Stamp))}
		case f.Stamp.Before(t.lastStamp):
			note = fmt.Sprintf("frame stamp %s is %v before the previous frame's; tracking restarted", stampString(f.Stamp), t.lastStamp.Sub(f.Stamp))
			t.restart()
		}
	}
	t.haveStamp, t.lastStamp = true, f.Stamp

	out := t.track(f)
	if note != "" {
		out.Reason = joinReasons(note, out.Reason)
	}
	return out
}

// track handles a frame whose stamp is after the previous one's.
func (t *Tracker) track(f Frame) Output {
	if reason := t.badFrame(f); reason != "" {
		return t.dropout(f.Stamp, reason)
	}
	var note string
	if t.haveGood && f.Stamp.Sub(t.lastGood) > t.m.LossTimeout {
		// The tracker stalled with the hand "detected": the palm may have moved
		// anywhere since, so start afresh rather than jump.
		note = fmt.Sprintf("%v since the previous good frame exceeds the loss timeout %v; re-anchored", f.Stamp.Sub(t.lastGood), t.m.LossTimeout)
		t.resetTracking()
	}
	var h [3]float64
	for i, v := range f.Palm.vec() {
		y, err := t.filters[i].Filter(f.Stamp, v)
		if err != nil { // not expected: the frame and stamp were checked
			return t.lose(f.Stamp, err.Error())
		}
		h[i] = y
	}
	t.haveGood, t.lastGood = true, f.Stamp
	t.updatePinch(f.Pinch)

	out := Output{Tracked: true}
	switch want, why := t.wantEngaged(); {
	case want && !t.engaged && t.m.Mode == ModeRelative && !t.armKnown:
		out.Reason = "waiting for the arm's reported position: relative mode anchors the hand there"
	case want && !t.engaged:
		t.engaged = true
		t.anchorHand, t.anchorArm = h, t.arm
	case !want:
		t.engaged = false
		out.Reason = why
	}
	out.Engaged = t.engaged
	if t.engaged {
		target := t.absolute(h)
		if t.m.Mode == ModeRelative {
			for i, a := range t.axes {
				target[i] = t.anchorArm[i] + t.m.Scale[i]*a.sign*(h[a.from]-t.anchorHand[a.from])
			}
		}
		p := pointOf(target)
		if !p.finite() { // huge Scale × huge palm: refuse rather than send Inf
			t.resetTracking()
			return Output{Lost: t.lostAt(f.Stamp), Reason: fmt.Sprintf("target %+v is not finite (check Scale and the palm units); holding", p)}
		}
		out.Target = &p
		if t.m.Clutch != ClutchPinchHold && t.pinchKnown && (!t.gripKnown || t.gripClosed != t.pinchClosed) {
			t.gripKnown, t.gripClosed = true, t.pinchClosed
			g := 0.0
			if t.pinchClosed {
				g = 1
			}
			out.Gripper = &g
		}
	}
	if note != "" {
		out.Reason = joinReasons(note, out.Reason)
	}
	return out
}

// badFrame returns why f cannot be used, or "".
func (t *Tracker) badFrame(f Frame) string {
	if !f.Detected {
		return "hand not detected"
	}
	var bad []string
	for i, v := range f.Palm.vec() {
		if !finite(v) {
			bad = append(bad, fmt.Sprintf("Palm.%s is %v", [3]string{"X", "Y", "Z"}[i], v))
		}
	}
	if !(f.Pinch >= 0 && f.Pinch <= 1) {
		bad = append(bad, fmt.Sprintf("Pinch %v is outside 0..1", f.Pinch))
	}
	if !(f.Confidence >= 0 && f.Confidence <= 1) {
		bad = append(bad, fmt.Sprintf("Confidence %v is outside 0..1", f.Confidence))
	}
	if len(bad) > 0 {
		return "bad frame: " + strings.Join(bad, ", ")
	}
	if f.Confidence < t.m.MinConfidence {
		return fmt.Sprintf("confidence %v is below the minimum confidence %v", f.Confidence, t.m.MinConfidence)
	}
	return ""
}

// updatePinch runs the pinch hysteresis.
func (t *Tracker) updatePinch(p float64) {
	switch {
	case p > t.m.Pinch.CloseAbove:
		t.pinchKnown, t.pinchClosed = true, true
	case p < t.m.Pinch.OpenBelow:
		t.pinchKnown, t.pinchClosed = true, false
	}
}

// wantEngaged says whether the clutch mode engages now, and if not, why.
func (t *Tracker) wantEngaged() (bool, string) {
	switch t.m.Clutch {
	case ClutchPinchHold:
		if t.pinchKnown && t.pinchClosed {
			return true, ""
		}
		return false, fmt.Sprintf("not engaged: pinch (above %v) to move the arm", t.m.Pinch.CloseAbove)
	case ClutchExternal:
		if t.clutch {
			return true, ""
		}
		return false, "not engaged: the external clutch is released"
	default:
		return true, ""
	}
}

// absolute is the absolute mapping A(h) of a palm position.
func (t *Tracker) absolute(h [3]float64) [3]float64 {
	var out [3]float64
	for i, a := range t.axes {
		out[i] = t.m.Offset[i] + t.m.Scale[i]*a.sign*h[a.from]
	}
	return out
}

// lose handles tracking loss at time now: disengage, re-anchor next time.
func (t *Tracker) lose(now time.Time, reason string) Output {
	t.resetTracking()
	return Output{Lost: t.lostAt(now), Reason: reason}
}

// dropout handles a frame without a usable hand: hold, and restart the
// filter, but keep the engagement, its anchor and the pinch state, so a
// hand back within LossTimeout carries on with the same mapping (a
// longer gap re-anchors, see track).
func (t *Tracker) dropout(now time.Time, reason string) Output {
	for _, f := range t.filters {
		f.Reset()
	}
	return Output{Lost: t.lostAt(now), Reason: reason}
}

// lostAt reports whether, at time now, no good frame has come for LossTimeout.
func (t *Tracker) lostAt(now time.Time) bool {
	return !t.haveGood || now.Sub(t.lastGood) >= t.m.LossTimeout
}

// resetTracking disengages and forgets the hand: filter and pinch state.
func (t *Tracker) resetTracking() {
	t.engaged = false
	t.pinchKnown = false
	for _, f := range t.filters {
		f.Reset()
	}
}

// restart forgets the timeline too, after the frame clock went back.
func (t *Tracker) restart() {
	t.resetTracking()
	t.haveStamp, t.haveGood = false, false
}

func stampString(s time.Time) string { return s.UTC().Format(time.RFC3339Nano) }

func joinReasons(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}
