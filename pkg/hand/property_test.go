package hand

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// randomMapping draws a valid mapping: any axis permutation and signs,
// scales 0.2..5, any clutch mode.
func randomMapping(rng *rand.Rand) Mapping {
	perm := rng.Perm(3)
	var m Mapping
	for i := range m.AxisMap {
		sign := "+"
		if rng.IntN(2) == 0 {
			sign = "-"
		}
		m.AxisMap[i] = sign + axisNames[perm[i]]
		m.Scale[i] = 0.2 + rng.Float64()*4.8
		m.Offset[i] = rng.Float64() - 0.5
	}
	m.Clutch = []ClutchMode{ClutchAlways, ClutchPinchHold, ClutchExternal}[rng.IntN(3)]
	m.MinConfidence = rng.Float64() * 0.6
	m.Filter = FilterConfig{MinCutoffHz: 0.5 + rng.Float64()*5, Beta: rng.Float64() * 20}
	m.LossTimeout = time.Duration(50+rng.IntN(500)) * time.Millisecond
	return m
}

// randomFrame draws a frame that is often good and sometimes broken in any
// of the ways the tracker must survive.
func randomFrame(rng *rand.Rand, prev Frame) Frame {
	f := Frame{
		Detected:   rng.IntN(10) > 0,
		Palm:       prev.Palm,
		Pinch:      rng.Float64(),
		Confidence: rng.Float64(),
	}
	f.Palm.X += (rng.Float64() - 0.5) * 0.05
	f.Palm.Y += (rng.Float64() - 0.5) * 0.05
	f.Palm.Z += (rng.Float64() - 0.5) * 0.05
	bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1.5, -0.5}
	switch rng.IntN(40) {
	case 0:
		f.Palm.X = bad[rng.IntN(3)]
	case 1:
		f.Palm.Z = bad[rng.IntN(3)]
	case 2:
		f.Pinch = bad[rng.IntN(len(bad))]
	case 3:
		f.Confidence = bad[rng.IntN(len(bad))]
	}
	step := time.Duration(1+rng.IntN(60)) * time.Millisecond
	switch rng.IntN(50) {
	case 0:
		step = 0 // duplicate stamp
	case 1:
		step = -time.Duration(rng.IntN(int(time.Second))) // clock goes back
	case 2:
		step = time.Duration(rng.IntN(int(2 * time.Second))) // stall
	}
	f.Stamp = prev.Stamp.Add(step)
	return f
}

func frameIsGood(f Frame, m Mapping) bool {
	return f.Detected && f.Palm.finite() && f.Pinch >= 0 && f.Pinch <= 1 &&
		f.Confidence >= 0 && f.Confidence <= 1 && f.Confidence >= m.MinConfidence
}

// Properties over random frame streams: no target from a bad frame, every
// target finite and engaged, engagement starts exactly at the arm's last
// known position (no jump), gripper commands alternate 0/1 and never come in
// pinch_hold mode, and every hold says why.
func TestTrackerProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := 0; trial < 300; trial++ {
		m := randomMapping(rng)
		tr, err := NewTracker(m)
		if err != nil {
			t.Fatalf("random mapping %+v: %v", m, err)
		}
		var (
			arm      *Point // as the controller last reported it
			engaged  bool
			lastGrip = -1.0
			f        = Frame{Stamp: t0}
			lastGood time.Time
			dropped  bool // the previous frame was a dropout (a bad frame)
		)
		for i := 0; i < 400; i++ {
			if rng.IntN(30) == 0 {
				p := Point{rng.Float64(), rng.Float64(), rng.Float64()}
				if err := tr.SetArmPosition(p); err != nil {
					t.Fatal(err)
				}
				arm = &p
			}
			if m.Clutch == ClutchExternal && rng.IntN(15) == 0 {
				if err := tr.SetClutch(rng.IntN(3) > 0); err != nil {
					t.Fatal(err)
				}
			}
			prevStamp := f.Stamp
			f = randomFrame(rng, f)
			o := tr.Update(f)
			where := func() string { return fmt.Sprintf("trial %d frame %d", trial, i) }
			if o.Target != nil {
				if !frameIsGood(f, m) || f.Stamp.Equal(prevStamp) {
					t.Fatalf("%s: target %+v from frame %+v", where(), *o.Target, f)
				}
				if !o.Target.finite() || !o.Engaged {
					t.Fatalf("%s: bad target output %+v", where(), o)
				}
				if arm == nil {
					t.Fatalf("%s: engaged before the arm's position was reported: %+v", where(), *o.Target)
				}
				resumed := dropped && f.Stamp.After(prevStamp) && f.Stamp.Sub(lastGood) <= m.withDefaults().LossTimeout
				if !engaged && !resumed && *o.Target != *arm {
					t.Fatalf("%s: engagement started at %+v, arm was at %+v", where(), *o.Target, *arm)
				}
			} else if o.Reason == "" {
				t.Fatalf("%s: hold without a reason: %+v", where(), o)
			}
			if o.Gripper != nil {
				g := *o.Gripper
				if m.Clutch == ClutchPinchHold || (g != 0 && g != 1) || g == lastGrip || !o.Engaged {
					t.Fatalf("%s: gripper %v after %v in mode %s (engaged %v)", where(), g, lastGrip, m.Clutch, o.Engaged)
				}
				lastGrip = g
			}
			engaged = o.Engaged
			if !f.Stamp.Equal(prevStamp) {
				dropped = !frameIsGood(f, m)
				if !dropped {
					lastGood = f.Stamp
				}
			}
		}
	}
}

// Property: while engaged and tracking without interruption, the target is
// the anchor plus the mapped, scaled palm displacement.
func TestTrackerRelativeMotionProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 200; trial++ {
		m := randomMapping(rng)
		m.Clutch = ClutchAlways
		m.MinConfidence = 0
		m.Filter = passThrough
		tr, err := NewTracker(m)
		if err != nil {
			t.Fatal(err)
		}
		axes, _ := parseAxisMap(m.AxisMap)
		anchor := Point{rng.Float64(), rng.Float64(), rng.Float64()}
		if err := tr.SetArmPosition(anchor); err != nil {
			t.Fatal(err)
		}
		h0 := Point{rng.Float64(), rng.Float64(), rng.Float64()}
		h := h0
		ts := t0
		for i := 0; i < 50; i++ {
			ts = ts.Add(time.Duration(1+rng.IntN(40)) * time.Millisecond)
			o := tr.Update(Frame{Stamp: ts, Detected: true, Palm: h, Confidence: 1})
			if o.Target == nil {
				t.Fatalf("trial %d frame %d: no target: %q", trial, i, o.Reason)
			}
			d := [3]float64{h.X - h0.X, h.Y - h0.Y, h.Z - h0.Z}
			a := anchor.vec()
			var want [3]float64
			for j, ax := range axes {
				want[j] = a[j] + m.Scale[j]*ax.sign*d[ax.from]
			}
			if !near(*o.Target, pointOf(want)) {
				t.Fatalf("trial %d frame %d (%v): target %+v, want %+v", trial, i, m.AxisMap, *o.Target, pointOf(want))
			}
			h.X += (rng.Float64() - 0.5) * 0.1
			h.Y += (rng.Float64() - 0.5) * 0.1
			h.Z += (rng.Float64() - 0.5) * 0.1
		}
	}
}
