package ik

import (
	"math"
	"math/rand/v2"
	"testing"
)

// IKAt at a sample's own tool pitch and roll gives back the sampled joints
// (one answer on the elbow ≤ 0 branch), whatever the wrist policy.
func TestIKAtRoundTrip(t *testing.T) {
	m := wideModel(WristAuto, -90)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		q := sampleJoints(rng, m)
		q[4] = (rng.Float64() - 0.5) * math.Pi / 2
		p, err := m.FK(q)
		if err != nil {
			t.Fatal(err)
		}
		if math.Hypot(p.X, p.Y) < 1 {
			continue // on the yaw axis any yaw is an answer
		}
		got, pitch, err := m.IKAt(p, ToolPitch(q), q[4], 0)
		if err != nil {
			t.Fatalf("IKAt(FK(%v)): %v", q, err)
		}
		if pitch != ToolPitch(q) {
			t.Fatalf("pitch %v, want %v", pitch, ToolPitch(q))
		}
		for i := range q {
			if math.Abs(math.Remainder(got[i]-q[i], 2*math.Pi)) > 1e-6 {
				t.Fatalf("IKAt(FK(%v)) = %v", q, got)
			}
		}
	}
	if _, _, err := m.IKAt(Point{X: 1000, Z: 100}, 0, 0, 0.1); err == nil {
		t.Fatal("a point out of reach solved")
	}
	// A pitch the wrist cannot take there: the nearest feasible one within
	// maxDev, and an error when none is that near.
	d := DefaultModel()
	q := []float64{0, rad(90), rad(-90), rad(-135), 0} // wrist at its lower limit
	p, _ := d.FK(q)
	want := ToolPitch(q)
	got, pitch, err := d.IKAt(p, want-rad(10), 0, rad(15))
	if err != nil || math.Abs(pitch-want) > 1e-6 || math.Abs(got[3]-q[3]) > 1e-6 {
		t.Fatalf("IKAt 10° past the wrist limit: %v pitch %v (%v), want pitch %v", got, pitch, err, want)
	}
	if _, _, err := d.IKAt(p, want-rad(10), 0, rad(5)); err == nil {
		t.Fatal("a pitch 10° past the limit solved within 5°")
	}
}
