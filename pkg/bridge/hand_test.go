package bridge

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/hand"
	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

var handT0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// handRig is a Core on a fake sink, a HandInput on a fake clock, and a
// camera that stamps frames 33 ms apart.
type handRig struct {
	t    *testing.T
	core *Core
	sink *fakeSink
	in   *HandInput
	clk  *clock.Fake
	ts   time.Time
}

func newHandRig(t *testing.T, m hand.Mapping) *handRig {
	t.Helper()
	core, sink, _ := newCore(t, Config{})
	clk := clock.NewFake(handT0)
	in, err := NewHandInput(core, "/aether/hand", m, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Close)
	return &handRig{t: t, core: core, sink: sink, in: in, clk: clk, ts: handT0}
}

// report makes the controller report the tool at p (metres).
func (r *handRig) report(p ik.Point) {
	r.core.Telemetry(protocol.State{Pose: protocol.Point{X: p.X * 1000, Y: p.Y * 1000, Z: p.Z * 1000}})
}

// frame sends one camera frame 33 ms after the previous; palm nil = no hand.
func (r *handRig) frame(palm *hand.Point) {
	r.ts = r.ts.Add(33 * time.Millisecond)
	r.clk.Advance(33 * time.Millisecond)
	f := HandFrame{Stamp: r.ts}
	if palm != nil {
		f.Detected, f.Palm, f.Confidence = true, *palm, 1
	}
	r.in.Update(f)
}

// lastTarget is the last target handed to the sink, in metres.
func (r *handRig) lastTarget() ik.Point {
	r.t.Helper()
	if len(r.sink.targets) == 0 {
		r.t.Fatal("no target sent")
	}
	return *metres(r.sink.targets[len(r.sink.targets)-1])
}

func nearM(a, b ik.Point) bool {
	return math.Abs(a.X-b.X) < 1e-6 && math.Abs(a.Y-b.Y) < 1e-6 && math.Abs(a.Z-b.Z) < 1e-6
}

var sharp = hand.FilterConfig{MinCutoffHz: 1e9} // the filter follows the palm at once

// Three 0.3 s dropouts do not shift the hand→arm mapping: each time the
// hand is back, the arm is exactly where the anchor and the hand's
// displacement put it (before issue 10 each re-anchored, shifting 28-49 mm).
func TestHandDropoutsOfAThirdOfASecondDoNotShiftTheMapping(t *testing.T) {
	r := newHandRig(t, hand.Mapping{Filter: sharp})
	home := ik.Point{X: 0.16, Y: 0, Z: 0.12}
	r.report(home)
	r.frame(&hand.Point{X: 0, Y: 0, Z: 0.5})
	if got := r.lastTarget(); !nearM(got, home) {
		t.Fatalf("first target %v, want the reported arm %v", got, home)
	}
	for i := range 3 {
		// The arm lags behind: the controller reports it short of the target.
		r.report(ik.Point{X: 0.15, Y: 0.01, Z: 0.11})
		for range 9 { // 0.3 s without a hand
			r.frame(nil)
		}
		dx := 0.01 * float64(i+1)
		r.frame(&hand.Point{X: dx, Y: 0, Z: 0.5})
		want := ik.Point{X: home.X + dx, Y: home.Y, Z: home.Z}
		if got := r.lastTarget(); !nearM(got, want) {
			t.Fatalf("after dropout %d: target %v, want %v (mapping shifted by %.1f mm)", i+1, got, want,
				1000*math.Hypot(got.X-want.X, math.Hypot(got.Y-want.Y, got.Z-want.Z)))
		}
	}
}

// When frames stop altogether, the timer declares the hand lost; the next
// engagement anchors on the arm's reported position, not an old one.
func TestHandLossOnATimerReanchorsOnTheReportedPose(t *testing.T) {
	r := newHandRig(t, hand.Mapping{Filter: sharp, LossTimeout: time.Second})
	r.report(ik.Point{X: 0.16, Y: 0, Z: 0.12})
	r.frame(&hand.Point{X: 0, Y: 0, Z: 0.5})
	r.frame(&hand.Point{X: 0.02, Y: 0, Z: 0.5})
	if st := r.in.Status(); !st.Engaged || st.Lost {
		t.Fatalf("status %+v, want engaged", st)
	}
	r.clk.Advance(1100 * time.Millisecond) // no frame at all
	testutil.Eventually(t, 10*time.Second, "the timer to declare the hand lost", func() bool { return r.in.Status().Lost })
	if st := r.in.Status(); !st.Warn || st.Engaged {
		t.Fatalf("status %+v, want a warning and disengaged", st)
	}
	moved := ik.Point{X: 0.14, Y: 0.05, Z: 0.1}
	r.report(moved)
	r.ts = r.ts.Add(1100 * time.Millisecond)
	r.frame(&hand.Point{X: 0.3, Y: 0.3, Z: 0.3})
	if got := r.lastTarget(); !nearM(got, moved) {
		t.Fatalf("re-engaged at %v, want the reported pose %v", got, moved)
	}
}

// Relative mode does not engage while the arm's pose is unknown (after a
// home, until the controller answers it), so it cannot lunge at a stale one.
// The hand was engaged before the home: it lets go, and re-engages at home.
func TestHandWaitsForThePoseAfterAHome(t *testing.T) {
	r := newHandRig(t, hand.Mapping{Filter: sharp})
	r.report(ik.Point{X: 0.22, Y: 0.1, Z: 0.08})
	r.frame(&hand.Point{X: 0, Y: 0, Z: 0.5})
	sent := len(r.sink.targets)
	id, err := r.core.Home("~/home")
	if err != nil {
		t.Fatal(err)
	}
	r.frame(&hand.Point{X: 0.01, Y: 0, Z: 0.5})
	if len(r.sink.targets) != sent {
		t.Fatalf("a hand target relative to the pre-home pose: %v", r.sink.targets[sent:])
	}
	r.core.Result(id, protocol.OK(id, "Homing"), nil, time.Millisecond)
	home := ik.Point{X: 0.07, Y: 0, Z: 0.2}
	r.report(home)
	r.frame(&hand.Point{X: 0, Y: 0, Z: 0.5})
	if got := r.lastTarget(); !nearM(got, home) {
		t.Fatalf("engaged at %v, want home %v", got, home)
	}
}

// A hand in view does not cut ~/home short: once the home is answered the
// arm reports itself moving home, and relative mode re-anchors only when it
// reports rest there (anchoring mid-way, its first target would replace
// the home and stop the arm where it was).
func TestHandLetsAHomeFinishBeforeReanchoring(t *testing.T) {
	r := newHandRig(t, hand.Mapping{Filter: sharp})
	r.report(ik.Point{X: 0.22, Y: 0.1, Z: 0.08})
	r.frame(&hand.Point{X: 0, Y: 0, Z: 0.5})
	id, err := r.core.Home("~/home")
	if err != nil {
		t.Fatal(err)
	}
	r.core.Result(id, protocol.OK(id, "Homing"), nil, time.Millisecond)
	sent := len(r.sink.targets)
	r.core.Telemetry(protocol.State{Pose: protocol.Point{X: 150, Y: 50, Z: 140}, Moving: true}) // on its way home
	r.frame(&hand.Point{X: 0, Y: 0, Z: 0.5})
	r.frame(&hand.Point{X: 0.01, Y: 0, Z: 0.5})
	if len(r.sink.targets) != sent {
		t.Fatalf("hand targets %v while the home was still moving: they would stop it mid-way", r.sink.targets[sent:])
	}
	home := ik.Point{X: 0.07, Y: 0, Z: 0.2}
	r.report(home) // at rest
	r.frame(&hand.Point{X: 0.01, Y: 0, Z: 0.5})
	if got := r.lastTarget(); !nearM(got, home) {
		t.Fatalf("engaged at %v, want home %v", got, home)
	}
}

// Absolute mode maps a known palm position through axis map, scale and
// offset: a camera facing the user, palm 10 cm towards the camera, 2 cm
// right, 4 cm up.
func TestHandAbsoluteModeMapsAKnownPalmPosition(t *testing.T) {
	r := newHandRig(t, hand.Mapping{
		Mode:    hand.ModeAbsolute,
		AxisMap: [3]string{"-z", "x", "-y"},
		Scale:   [3]float64{0.5, 0.5, 0.5},
		Offset:  [3]float64{0.1, 0, 0.1},
		Filter:  sharp,
	})
	r.frame(&hand.Point{X: 0.02, Y: -0.04, Z: -0.1}) // no pose reported: absolute mode needs none
	want := ik.Point{X: 0.1 + 0.5*0.1, Y: 0.5 * 0.02, Z: 0.1 + 0.5*0.04}
	if got := r.lastTarget(); !nearM(got, want) {
		t.Fatalf("palm mapped to %v, want %v", got, want)
	}
}

// ~/clutch on a bridge started with another clutch mode says which
// parameter to start it with, in the parameter's words.
func TestClutchServiceNeedsExternalClutch(t *testing.T) {
	r := newHandRig(t, hand.Mapping{Clutch: hand.ClutchPinchHold})
	err := r.in.SetClutch(true)
	if err == nil || !strings.Contains(err.Error(), `hand.clutch "external" (it has "pinch_hold")`) ||
		!strings.Contains(err.Error(), "-p hand.clutch:=external") || strings.Contains(err.Error(), "SetClutch") {
		t.Fatalf("err = %v, want it to name hand.clutch and how to set it", err)
	}
}

// A live change of another parameter (clamp_to_workspace) reaches
// SetMapping with the same hand mapping: the tracker, and with it the
// external clutch a ~/clutch call engaged, must stay.
func TestSetMappingKeepsTheTrackerWhenTheMappingIsUnchanged(t *testing.T) {
	m := hand.Mapping{Clutch: hand.ClutchExternal}
	r := newHandRig(t, m)
	before := r.in.tracker
	if err := r.in.SetClutch(true); err != nil {
		t.Fatal(err)
	}
	if err := r.in.SetMapping(m); err != nil {
		t.Fatal(err)
	}
	if r.in.tracker != before {
		t.Fatal("an unchanged mapping replaced the tracker (the external clutch was released)")
	}
	m.Scale = [3]float64{2, 2, 2}
	if err := r.in.SetMapping(m); err != nil {
		t.Fatal(err)
	}
	if r.in.tracker == before {
		t.Fatal("a changed mapping kept the old tracker")
	}
}
