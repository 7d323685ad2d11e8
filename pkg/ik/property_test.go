package ik

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sampleJoints draws joint angles uniformly within the limits, on the
// elbow ≤ 0 branch IK solves on, with wrist roll 0.
func sampleJoints(rng *rand.Rand, m Model) []float64 {
	lo, hi := m.JointLimits()
	q := make([]float64, len(lo))
	for i := range q {
		top := hi[i]
		if i == 2 {
			top = min(top, 0)
		}
		q[i] = lo[i] + rng.Float64()*(top-lo[i])
	}
	if len(q) == 5 {
		q[4] = 0
	}
	return q
}

// TestFKIKRoundTripFixedPitch: with the wrist pitch fixed at the sample's
// own tool pitch, IK has exactly one answer on the elbow ≤ 0 branch, so it
// must give back the sampled joints, and FK(IK(p)) must give back p.
func TestFKIKRoundTripFixedPitch(t *testing.T) {
	base := wideModel(WristFixedPitch, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 3000
	for range n {
		q := sampleJoints(rng, base)
		p, err := base.FK(q)
		if err != nil {
			t.Fatal(err)
		}
		if math.Hypot(p.X, p.Y) < 1 {
			continue // on the yaw axis yaw is arbitrary
		}
		m := base
		m.Wrist.PitchDeg = deg(math.Remainder(q[1]+q[2]+q[3], 2*math.Pi))
		sol, err := m.IK(p, Options{})
		if err != nil {
			t.Fatalf("q = %v° -> p = %v: IK: %v", degList(q), p, err)
		}
		back, err := m.FK(sol.Joints)
		if err != nil {
			t.Fatal(err)
		}
		if d := dist(back, p); d > 0.1 {
			t.Fatalf("q = %v° -> p = %v -> IK %v° -> %v, %.3g mm off", degList(q), p, degList(sol.Joints), back, d)
		}
		for i := range q {
			if math.Abs(sol.Joints[i]-q[i]) > 1e-6 {
				t.Fatalf("q = %v°: IK gave %v°, joint %d differs", degList(q), degList(sol.Joints), i)
			}
		}
	}
}

// TestFKIKRoundTripAuto: every sampled pose proves its tool point
// reachable at some pitch, so auto IK must find one with FK(IK(p)) ≈ p.
// The 2° pitch scan may miss a feasible window narrower than 2°; such
// misses are counted and must stay rare.
func TestFKIKRoundTripAuto(t *testing.T) {
	m := wideModel(WristAuto, -90)
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 3000
	misses, tried := 0, 0
	for range n {
		q := sampleJoints(rng, m)
		p, err := m.FK(q)
		if err != nil {
			t.Fatal(err)
		}
		tried++
		sol, err := m.IK(p, Options{})
		if err != nil {
			misses++
			continue
		}
		back, err := m.FK(sol.Joints)
		if err != nil {
			t.Fatal(err)
		}
		if d := dist(back, p); d > 0.1 {
			t.Fatalf("q = %v° -> p = %v -> IK %v° -> %v, %.3g mm off", degList(q), p, degList(sol.Joints), back, d)
		}
		if err := m.CheckJoints(sol.Joints); err != nil {
			t.Fatalf("p = %v: IK answer outside limits: %v", p, err)
		}
	}
	if misses*200 > tried {
		t.Errorf("auto IK failed on %d of %d reachable points (more than 0.5%%)", misses, tried)
	}
	t.Logf("auto IK missed %d of %d reachable points", misses, tried)
}

// TestClampProperty: with Clamp, any finite target yields joints within
// limits whose tool point is inside the box.
func TestClampProperty(t *testing.T) {
	m := DefaultModel()
	rng := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		p := Point{rng.Float64()*1200 - 600, rng.Float64()*1200 - 600, rng.Float64()*1200 - 600}
		sol, err := m.IK(p, Options{Clamp: true})
		if err != nil {
			t.Fatalf("IK(%v, clamp): %v", p, err)
		}
		if err := m.CheckJoints(sol.Joints); err != nil {
			t.Fatalf("IK(%v, clamp): %v", p, err)
		}
		if !m.Workspace.Contains(sol.Reached) {
			t.Fatalf("IK(%v, clamp) reached %v outside the box", p, sol.Reached)
		}
		if !sol.Clamped && dist(sol.Reached, p) > 1e-6 {
			t.Fatalf("IK(%v, clamp) moved the target to %v without reporting Clamped", p, sol.Reached)
		}
	}
}

func degList(q []float64) []float64 {
	out := make([]float64, len(q))
	for i, v := range q {
		out[i] = math.Round(deg(v)*1000) / 1000
	}
	return out
}

// TestAutoPicksNearestPitch checks the auto policy against a fixed-pitch
// oracle probing every 0.25°: no pitch nearer the preferred one than the
// chosen pitch may work, except inside a feasible window that holds none
// of the 2° scan points (IK documents that such narrow windows can be
// skipped).
func TestAutoPicksNearestPitch(t *testing.T) {
	auto := wideModel(WristAuto, -90)
	rng := rand.New(rand.NewPCG(7, 8))
	const probeStep = 0.25 // degrees; divides the 2° scan step
	tilted, skipped := 0, 0
	for range 400 {
		q := sampleJoints(rng, auto)
		p, err := auto.FK(q)
		if err != nil {
			t.Fatal(err)
		}
		sol, err := auto.IK(p, Options{})
		if err != nil {
			continue // counted by TestFKIKRoundTripAuto
		}
		s := sol.Joints
		got := deg(math.Remainder(s[1]+s[2]+s[3], 2*math.Pi))
		off := math.Abs(math.Remainder(got-auto.Wrist.PitchDeg, 360))
		if off > 1e-6 {
			tilted++
		}
		probe := auto
		probe.Wrist.Mode = WristFixedPitch
		works := func(sign, d float64) bool {
			probe.Wrist.PitchDeg = auto.Wrist.PitchDeg + sign*d
			_, err := probe.IK(p, Options{})
			return err == nil
		}
		for _, sign := range []float64{1, -1} {
			for d := 0.0; d < off-1e-3; d += probeStep {
				if !works(sign, d) {
					continue
				}
				// A nearer feasible pitch: fine only if its window ends
				// before the next scan point.
				scan := 2 * math.Ceil(d/2)
				whole := true
				for e := d; e <= scan && whole; e += probeStep {
					whole = works(sign, e)
				}
				if whole {
					t.Fatalf("p = %v: auto chose pitch %.4f° (offset %.4f°), but every pitch from offset %.2f° to the scan point %.0f° (sign %+.0f) works",
						p, got, off, d, scan, sign)
				}
				skipped++
				break
			}
		}
	}
	if tilted < 50 {
		t.Errorf("only %d of 400 samples needed a tilt; the test is not exercising the scan", tilted)
	}
	t.Logf("%d of 400 samples tilted; %d narrow feasible windows skipped", tilted, skipped)
}
