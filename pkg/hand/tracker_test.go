package hand

import (
	"math"
	"strings"
	"testing"
	"time"
)

// passThrough makes the filter follow the palm to within ~1e-8 of a step so
// mapping tests can compare positions directly.
var passThrough = FilterConfig{MinCutoffHz: 1e9}

const tol = 1e-6

// driver feeds frames 10 ms apart. It stands in for a controller whose arm
// starts at the origin and reaches every target at once: it reports each
// target back with SetArmPosition.
type driver struct {
	t  *testing.T
	tr *Tracker
	ts time.Time
}

func newDriver(t *testing.T, m Mapping) *driver {
	t.Helper()
	tr, err := NewTracker(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.SetArmPosition(Point{}); err != nil {
		t.Fatal(err)
	}
	return &driver{t: t, tr: tr, ts: t0}
}

// hand sends a detected, fully confident frame.
func (d *driver) hand(p Point, pinch float64) Output {
	return d.send(Frame{Detected: true, Palm: p, Pinch: pinch, Confidence: 1})
}

// send sends f 10 ms after the previous frame (f.Stamp is overwritten).
func (d *driver) send(f Frame) Output {
	d.ts = d.ts.Add(10 * time.Millisecond)
	f.Stamp = d.ts
	o := d.tr.Update(f)
	if o.Target != nil {
		if err := d.tr.SetArmPosition(*o.Target); err != nil {
			d.t.Fatal(err)
		}
	}
	return o
}

func near(a, b Point) bool {
	return math.Abs(a.X-b.X) < tol && math.Abs(a.Y-b.Y) < tol && math.Abs(a.Z-b.Z) < tol
}

func (d *driver) wantTarget(o Output, want Point) {
	d.t.Helper()
	if o.Target == nil {
		d.t.Fatalf("no target (reason %q), want %+v", o.Reason, want)
	}
	if !near(*o.Target, want) {
		d.t.Fatalf("target %+v, want %+v", *o.Target, want)
	}
	if !o.Engaged {
		d.t.Fatalf("target while not engaged: %+v", o)
	}
}

func (d *driver) wantHold(o Output, reason string) {
	d.t.Helper()
	if o.Target != nil || o.Gripper != nil {
		d.t.Fatalf("want hold, got %+v (target %v)", o, o.Target)
	}
	if !strings.Contains(o.Reason, reason) {
		d.t.Fatalf("reason %q lacks %q", o.Reason, reason)
	}
}

// Absolute mode maps the palm through axis map, scale and offset, wherever
// the arm is.
func TestTrackerAbsoluteMode(t *testing.T) {
	d := newDriver(t, Mapping{
		Mode:    ModeAbsolute,
		AxisMap: [3]string{"-z", "x", "-y"},
		Scale:   [3]float64{2, 2, 2},
		Offset:  [3]float64{0.2, 0, 0.1},
		Filter:  passThrough,
	})
	// A(h) = Offset + 2·(−h.z, h.x, −h.y)
	d.wantTarget(d.hand(Point{0.1, 0.2, 0.5}, 0), Point{-0.8, 0.2, -0.3})
	d.wantTarget(d.hand(Point{0.15, 0.2, 0.4}, 0), Point{-0.6, 0.3, -0.3})
}

// Relative mode never anchors on a guess: until the arm's position is
// reported it holds, and says why.
func TestTrackerRelativeWaitsForTheArmPosition(t *testing.T) {
	tr, err := NewTracker(Mapping{Filter: passThrough})
	if err != nil {
		t.Fatal(err)
	}
	o := tr.Update(Frame{Stamp: t0, Detected: true, Palm: Point{0.1, 0, 0}, Confidence: 1})
	if o.Target != nil || !strings.Contains(o.Reason, "reported position") {
		t.Fatalf("engaged without the arm's position: %+v", o)
	}
	if err := tr.SetArmPosition(Point{0.2, 0, 0.1}); err != nil {
		t.Fatal(err)
	}
	o = tr.Update(Frame{Stamp: t0.Add(10 * time.Millisecond), Detected: true, Palm: Point{0.3, 0, 0}, Confidence: 1})
	if o.Target == nil || !near(*o.Target, Point{0.2, 0, 0.1}) {
		t.Fatalf("first engagement at %v, want the reported arm position", o.Target)
	}
	tr.ForgetArmPosition()
	tr.Lose("test")
	o = tr.Update(Frame{Stamp: t0.Add(20 * time.Millisecond), Detected: true, Palm: Point{0.3, 0, 0}, Confidence: 1})
	if o.Target != nil {
		t.Fatalf("re-engaged on a forgotten position: %+v", o)
	}
}

// Dropouts shorter than LossTimeout keep the anchor: three 0.3 s dropouts
// leave the hand→arm mapping exactly where it was.
func TestTrackerShortDropoutsKeepTheAnchor(t *testing.T) {
	d := newDriver(t, Mapping{Filter: passThrough})
	if err := d.tr.SetArmPosition(Point{0.2, 0, 0.1}); err != nil {
		t.Fatal(err)
	}
	d.wantTarget(d.hand(Point{0, 0, 0.5}, 0), Point{0.2, 0, 0.1})
	for i := range 3 {
		for range 30 { // 0.3 s without a hand
			if o := d.send(Frame{}); o.Target != nil || o.Engaged {
				t.Fatalf("dropout %d: %+v", i, o)
			}
		}
		// The hand is back, moved 1 cm in x: the arm follows by 1 cm from the same anchor.
		x := 0.01 * float64(i+1)
		d.wantTarget(d.hand(Point{x, 0, 0.5}, 0), Point{0.2 + x, 0, 0.1})
	}
	// A dropout longer than LossTimeout (1 s) re-anchors on the reported arm.
	for range 110 {
		d.send(Frame{})
	}
	if err := d.tr.SetArmPosition(Point{0.15, 0.05, 0.12}); err != nil {
		t.Fatal(err)
	}
	d.wantTarget(d.hand(Point{0.3, 0.3, 0.3}, 0), Point{0.15, 0.05, 0.12})
}

func TestTrackerRelativeToArmPosition(t *testing.T) {
	d := newDriver(t, Mapping{AxisMap: [3]string{"-z", "x", "-y"}, Scale: [3]float64{1, 2, 0.5}, Filter: passThrough})
	if err := d.tr.SetArmPosition(Point{0.15, 0, 0.2}); err != nil {
		t.Fatal(err)
	}
	d.wantTarget(d.hand(Point{0.3, -0.1, 0.6}, 0), Point{0.15, 0, 0.2})
	// palm +x 0.1 → arm y +0.2; palm −y 0.2 → arm z +0.1; palm −z 0.1 → arm x +0.1
	d.wantTarget(d.hand(Point{0.4, -0.3, 0.5}, 0), Point{0.25, 0.2, 0.3})
}

func TestTrackerPinchHoldClutchDoesNotJump(t *testing.T) {
	d := newDriver(t, Mapping{Clutch: ClutchPinchHold, Filter: passThrough})
	if err := d.tr.SetArmPosition(Point{0.2, 0, 0.1}); err != nil {
		t.Fatal(err)
	}
	d.wantHold(d.hand(Point{0, 0, 0}, 0.1), "pinch")
	d.wantTarget(d.hand(Point{0, 0, 0}, 0.9), Point{0.2, 0, 0.1})
	d.wantTarget(d.hand(Point{0.1, 0, 0}, 0.9), Point{0.3, 0, 0.1})
	d.wantTarget(d.hand(Point{0.1, 0, 0}, 0.6), Point{0.3, 0, 0.1}) // hysteresis: still held
	o := d.hand(Point{0.1, 0, 0}, 0.2)
	d.wantHold(o, "not engaged")
	if o.Engaged || o.Lost {
		t.Fatalf("released clutch: %+v", o)
	}
	d.wantHold(d.hand(Point{-0.4, 0.3, 0}, 0.2), "not engaged") // reposition the hand
	d.wantTarget(d.hand(Point{-0.4, 0.3, 0}, 0.95), Point{0.3, 0, 0.1})
	o = d.hand(Point{-0.4, 0.3, 0.05}, 0.95)
	d.wantTarget(o, Point{0.3, 0, 0.15})
	if o.Gripper != nil {
		t.Fatal("pinch_hold drove the gripper")
	}
}

func TestTrackerGripperHysteresis(t *testing.T) {
	d := newDriver(t, Mapping{Pinch: PinchConfig{CloseAbove: 0.8, OpenBelow: 0.5}, Filter: passThrough})
	open, closed := 0.0, 1.0
	steps := []struct {
		pinch float64
		want  *float64
	}{
		{0.6, nil}, // between the thresholds: state unknown, no command
		{0.2, &open},
		{0.3, nil},
		{0.85, &closed},
		{0.7, nil},
		{0.5, nil}, // not strictly below OpenBelow
		{0.49, &open},
		{0.79, nil},
		{0.8, nil}, // not strictly above CloseAbove
		{1, &closed},
	}
	for i, s := range steps {
		o := d.hand(Point{}, s.pinch)
		switch {
		case s.want == nil && o.Gripper != nil:
			t.Fatalf("step %d pinch %v: gripper %v, want no change", i, s.pinch, *o.Gripper)
		case s.want != nil && (o.Gripper == nil || *o.Gripper != *s.want):
			t.Fatalf("step %d pinch %v: gripper %v, want %v", i, s.pinch, o.Gripper, *s.want)
		}
	}
}

func TestTrackerGripperOnlyWhileEngaged(t *testing.T) {
	d := newDriver(t, Mapping{Clutch: ClutchExternal, Filter: passThrough})
	if o := d.hand(Point{}, 0.9); o.Gripper != nil {
		t.Fatalf("gripper commanded while disengaged: %v", *o.Gripper)
	}
	if err := d.tr.SetClutch(true); err != nil {
		t.Fatal(err)
	}
	if o := d.hand(Point{}, 0.9); o.Gripper == nil || *o.Gripper != 1 {
		t.Fatalf("engaged with a pinch: gripper %v, want 1", o.Gripper)
	}
}

func TestTrackerExternalClutch(t *testing.T) {
	d := newDriver(t, Mapping{Clutch: ClutchExternal, Filter: passThrough})
	if err := d.tr.SetArmPosition(Point{0.1, 0.1, 0.1}); err != nil {
		t.Fatal(err)
	}
	d.wantHold(d.hand(Point{}, 0), "external clutch")
	if err := d.tr.SetClutch(true); err != nil {
		t.Fatal(err)
	}
	d.wantTarget(d.hand(Point{}, 0), Point{0.1, 0.1, 0.1})
	d.wantTarget(d.hand(Point{0, 0, 0.1}, 0), Point{0.1, 0.1, 0.2})
	if err := d.tr.SetClutch(false); err != nil {
		t.Fatal(err)
	}
	d.wantHold(d.hand(Point{0, 0, 0.3}, 0), "external clutch")
	if err := d.tr.SetClutch(true); err != nil {
		t.Fatal(err)
	}
	d.wantTarget(d.hand(Point{0, 0, 0.3}, 0), Point{0.1, 0.1, 0.2})

	always := newDriver(t, Mapping{})
	if err := always.tr.SetClutch(true); err == nil || !strings.Contains(err.Error(), `"external"`) {
		t.Fatalf("SetClutch in always mode: %v, want an error naming the mode", err)
	}
}

func TestTrackerLossAndLossTimeout(t *testing.T) {
	d := newDriver(t, Mapping{LossTimeout: 35 * time.Millisecond, Filter: passThrough})
	if o := d.send(Frame{}); !o.Lost || o.Target != nil {
		t.Fatalf("no hand ever seen: %+v, want Lost and hold", o)
	}
	d.wantTarget(d.hand(Point{0.1, 0, 0}, 0), Point{0, 0, 0})
	d.wantTarget(d.hand(Point{0.2, 0, 0}, 0), Point{0.1, 0, 0})
	for i, wantLost := range []bool{false, false, false, true} { // 10, 20, 30 ms < 35 ms ≤ 40 ms
		o := d.send(Frame{Detected: false, Palm: Point{9, 9, 9}})
		d.wantHold(o, "not detected")
		if o.Engaged {
			t.Fatal("engaged without a hand")
		}
		if o.Lost != wantLost {
			t.Fatalf("lost frame %d: Lost %v, want %v", i, o.Lost, wantLost)
		}
	}
	// The hand comes back elsewhere after the timeout: the arm continues from where it was reported.
	o := d.hand(Point{0.5, 0.5, 0.5}, 0)
	d.wantTarget(o, Point{0.1, 0, 0})
	if o.Lost {
		t.Fatal("still Lost after a good frame")
	}
	d.wantTarget(d.hand(Point{0.5, 0.5, 0.6}, 0), Point{0.1, 0, 0.1})
}

// A bad frame holds the arm; a good one soon after carries on from the same
// anchor (a short dropout, see TestTrackerShortDropoutsKeepTheAnchor).
func TestTrackerBadFramesHoldAndKeepTheAnchor(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	good := Frame{Detected: true, Confidence: 0.9, Pinch: 0.1}
	cases := []struct {
		name   string
		frame  Frame
		reason string
	}{
		{"not detected", Frame{}, "hand not detected"},
		{"NaN palm x", Frame{Detected: true, Palm: Point{X: nan}, Confidence: 1}, "Palm.X is NaN"},
		{"Inf palm y", Frame{Detected: true, Palm: Point{Y: inf}, Confidence: 1}, "Palm.Y is +Inf"},
		{"-Inf palm z", Frame{Detected: true, Palm: Point{Z: -inf}, Confidence: 1}, "Palm.Z is -Inf"},
		{"NaN pinch", Frame{Detected: true, Pinch: nan, Confidence: 1}, "Pinch NaN"},
		{"pinch above 1", Frame{Detected: true, Pinch: 1.2, Confidence: 1}, "Pinch 1.2 is outside 0..1"},
		{"NaN confidence", Frame{Detected: true, Confidence: nan}, "Confidence NaN"},
		{"negative confidence", Frame{Detected: true, Confidence: -0.1}, "Confidence -0.1"},
		{"low confidence", Frame{Detected: true, Confidence: 0.3}, "confidence 0.3 is below the minimum confidence 0.5"},
		{"everything wrong", Frame{Detected: true, Palm: Point{nan, nan, nan}, Pinch: inf, Confidence: nan}, "Palm.Z is NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDriver(t, Mapping{MinConfidence: 0.5, Filter: passThrough})
			if err := d.tr.SetArmPosition(Point{0.1, 0.1, 0.1}); err != nil {
				t.Fatal(err)
			}
			g := good
			g.Palm = Point{0.1, 0.1, 0.1}
			d.wantTarget(d.send(g), Point{0.1, 0.1, 0.1})
			o := d.send(c.frame)
			d.wantHold(o, c.reason)
			if o.Engaged {
				t.Fatal("still engaged after a bad frame")
			}
			g.Palm = Point{0.4, -0.2, 0}
			d.wantTarget(d.send(g), Point{0.4, -0.2, 0})
		})
	}
}

// After a loss the filter starts afresh: the first palm after the loss passes
// through, so a hand held still does not drift the arm while the filter
// would otherwise catch up with the jump.
func TestTrackerLossResetsFilter(t *testing.T) {
	d := newDriver(t, Mapping{Filter: FilterConfig{MinCutoffHz: 0.1}})
	for i := 0; i < 5; i++ {
		d.hand(Point{}, 0)
	}
	d.send(Frame{})
	first := d.hand(Point{1, 1, 1}, 0)
	second := d.hand(Point{1, 1, 1}, 0)
	if first.Target == nil || second.Target == nil || *first.Target != *second.Target {
		t.Fatalf("hand held still after a loss moved the arm: %v then %v", first.Target, second.Target)
	}
}

func TestTrackerStamps(t *testing.T) {
	d := newDriver(t, Mapping{Filter: passThrough})
	d.wantTarget(d.hand(Point{}, 0), Point{})
	d.wantTarget(d.hand(Point{0.1, 0, 0}, 0), Point{0.1, 0, 0})

	dup := d.tr.Update(Frame{Stamp: d.ts, Detected: true, Palm: Point{0.9, 0, 0}, Confidence: 1})
	d.wantHold(dup, "repeats the previous frame's; frame ignored")
	if !dup.Engaged {
		t.Fatal("a duplicate frame disengaged the tracker")
	}
	d.wantTarget(d.hand(Point{0.2, 0, 0}, 0), Point{0.2, 0, 0})

	// The frame clock goes back 5 s: restart, continuing from the arm's place.
	d.ts = d.ts.Add(-5 * time.Second)
	o := d.hand(Point{0.7, 0, 0}, 0)
	d.wantTarget(o, Point{0.2, 0, 0})
	if !strings.Contains(o.Reason, "tracking restarted") {
		t.Fatalf("reason %q does not report the restart", o.Reason)
	}
	d.wantTarget(d.hand(Point{0.8, 0, 0}, 0), Point{0.3, 0, 0})

	d.wantHold(d.tr.Update(Frame{Detected: true, Confidence: 1}), "Stamp is zero")
}

func TestTrackerStallReanchors(t *testing.T) {
	d := newDriver(t, Mapping{LossTimeout: 200 * time.Millisecond, Filter: passThrough})
	d.wantTarget(d.hand(Point{}, 0), Point{})
	d.wantTarget(d.hand(Point{0.05, 0, 0}, 0), Point{0.05, 0, 0})
	d.ts = d.ts.Add(time.Second) // the tracker stalls with the hand "detected"
	o := d.hand(Point{0.5, 0, 0}, 0)
	d.wantTarget(o, Point{0.05, 0, 0})
	if !strings.Contains(o.Reason, "re-anchored") {
		t.Fatalf("reason %q does not report the re-anchoring", o.Reason)
	}
}

func TestTrackerRefusesNonFiniteTarget(t *testing.T) {
	d := newDriver(t, Mapping{Scale: [3]float64{1e308, 1, 1}, Filter: passThrough})
	d.wantTarget(d.hand(Point{}, 0), Point{})
	d.wantHold(d.hand(Point{1e10, 0, 0}, 0), "not finite")
}

func TestTrackerSetArmPositionRejectsNonFinite(t *testing.T) {
	d := newDriver(t, Mapping{Filter: passThrough})
	if err := d.tr.SetArmPosition(Point{0.1, 0.2, 0.3}); err != nil {
		t.Fatal(err)
	}
	if err := d.tr.SetArmPosition(Point{math.NaN(), 0, 0}); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Fatalf("NaN arm position: %v", err)
	}
	d.wantTarget(d.hand(Point{5, 5, 5}, 0), Point{0.1, 0.2, 0.3})
}
