package controller

import (
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo/sim"
)

// bareMotion is a motion loop's state without the loop, driven tick by
// tick from the test (as BenchmarkTick does), servos powered.
func bareMotion(t testing.TB, arm armfile.Arm) *motion {
	t.Helper()
	backend, err := sim.New(sim.Config{Calibrations: arm.Servos}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock.NewFake(t0)}, arm, backend)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	m := srv.motion
	m.released = false
	return m
}

// tool returns the tool point of m's joints now.
func (m *motion) tool(t testing.TB) vec {
	p, err := m.s.model.FK(m.cur)
	if err != nil {
		t.Fatal(err)
	}
	return vecOf(p)
}

// randomTarget returns the joints of a random reachable point of the box.
func randomTarget(rng *rand.Rand, m *motion) (vec, []float64) {
	b := m.s.model.Workspace
	for {
		p := ik.Point{X: b.Min.X + rng.Float64()*(b.Max.X-b.Min.X), Y: b.Min.Y + rng.Float64()*(b.Max.Y-b.Min.Y), Z: b.Min.Z + rng.Float64()*(b.Max.Z-b.Min.Z)}
		if sol, err := m.s.model.IK(p, ik.Options{}); err == nil {
			return vecOf(p), sol.Joints
		}
	}
}

// A point-to-point move follows the straight line at every tick, within
// the tool's speed and every joint's speed, and ends exactly on the
// validated target. The tool's acceleration stays within its limit except
// where a step is shortened because a joint's limit binds (the generator
// does not look ahead), which is rare; so is the joint-space fallback (a straight line through a
// hole in the reachable space) is rare: the default arm's elbow stops at
// -90°, which leaves holes near the floor.
func TestMoveIsStraightAndWithinLimits(t *testing.T) {
	arm := armfile.Default()
	m := bareMotion(t, arm)
	rng := rand.New(rand.NewPCG(11, 1))
	const dt = 0.01
	scaledTicks, total, shortenedBefore := 0, 0, false
	var accels []float64
	for move := range 300 {
		goal, q := randomTarget(rng, m)
		from := m.tool(t)
		copy(m.target, q)
		prev, prevV := from, vec{}
		fellBack := false // the tick after a fallback restarts from rest: not judged
		for tick := 0; !m.reached(); tick++ {
			if tick > 2000 {
				t.Fatalf("move %d never arrived", move)
			}
			before := append([]float64(nil), m.cur...)
			js, sc := m.tr.jointSteps, m.tr.scaled
			m.step(dt)
			p := m.tool(t)
			for j := range m.cur {
				if w := math.Abs(m.cur[j]-before[j]) / dt; w > m.lim.vmaxJ[j]*1.001 {
					t.Fatalf("move %d tick %d: joint %d at %.1f°/s, limit %.1f", move, tick, j, w*180/math.Pi, m.lim.vmaxJ[j]*180/math.Pi)
				}
			}
			shortened := m.tr.scaled != sc
			if move == 0 || m.tr.jointSteps != js || m.tr.viaHome || fellBack {
				fellBack, shortenedBefore = m.tr.jointSteps != js, shortened
				// From the park pose; a fallback step, after which the
				// line starts where it left the tool; the way by home.
				prev, prevV, from = p, p.sub(prev).scale(1/dt), p
				continue
			}
			fellBack = false
			total++
			if d := distToSegment(p, from, goal); d > 0.01 {
				t.Fatalf("move %d tick %d: tool %.3f mm off the straight line %v → %v", move, tick, d, from, goal)
			}
			v := p.sub(prev).scale(1 / dt)
			if v.norm() > arm.Motion.MaxToolSpeedMMS*1.001 {
				t.Fatalf("move %d tick %d: tool at %.1f mm/s, limit %g", move, tick, v.norm(), arm.Motion.MaxToolSpeedMMS)
			}
			a := v.sub(prevV).norm() / dt
			accels = append(accels, a)
			switch {
			case shortened || shortenedBefore:
				scaledTicks++ // this step or the last was shortened for a joint
			case a > arm.Motion.MaxToolAccelMMS2*1.15+1: // 15 %: the discrete braking of the last ticks
				t.Fatalf("move %d tick %d: tool accelerates at %.0f mm/s², limit %g", move, tick, a, arm.Motion.MaxToolAccelMMS2)
			}
			shortenedBefore = shortened
			prev, prevV = p, v
		}
		if !sameJoints(m.cur, q, 0) {
			t.Fatalf("move %d ended at %v, want exactly %v", move, m.cur, q)
		}
	}
	slices.Sort(accels)
	p95 := accels[len(accels)*95/100]
	t.Logf("%d ticks on the line, %d of them shortened for a joint's limit; tool acceleration p95 %.0f mm/s²; %d joint-space fallback ticks",
		total, scaledTicks, p95, m.tr.jointSteps)
	if p95 > arm.Motion.MaxToolAccelMMS2*1.15 {
		t.Errorf("tool acceleration p95 %.0f mm/s², want within 15 %% of the limit %g", p95, arm.Motion.MaxToolAccelMMS2)
	}
	if m.tr.jointSteps > total*3/100 {
		t.Errorf("%d joint-space fallback ticks of %d, want under 3 %%", m.tr.jointSteps, total)
	}
}

// Ten thousand random legal moves, every servo tick checked: no tool pose
// below the workspace floor or outside the box (about a million ticks:
// 10 s, 35 s under the race detector; 2,500 moves with -short).
func TestRandomMovesStayInTheBox(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 2500
	}
	m := bareMotion(t, armfile.Default())
	box := m.s.model.Workspace
	rng := rand.New(rand.NewPCG(11, 2))
	ticks := 0
	for move := range n {
		_, q := randomTarget(rng, m)
		copy(m.target, q)
		for tick := 0; !m.reached(); tick++ {
			if tick > 5000 {
				t.Fatalf("move %d to %v never arrived: stuck at %v (joints %v, want %v)", move, m.tr.goal, m.tool(t), m.cur, q)
			}
			m.step(0.02)
			ticks++
			if move == 0 {
				continue // from the park pose, outside the box
			}
			if p := m.tool(t).point(); !nearBox(box, p, 1e-6) {
				t.Fatalf("move %d: tool at %v, outside the workspace %v", move, p, box)
			}
		}
	}
	t.Logf("%d moves, %d ticks checked", n, ticks)
}

// A new target mid-move blends from the current velocity: the tool does
// not stop between the two, and its acceleration stays within the limit
// (but where a joint's limit shortened a step).
func TestNewTargetBlendsWithoutStopping(t *testing.T) {
	arm := armfile.Default()
	m := bareMotion(t, arm)
	copy(m.target, mustIK(t, m, ik.Point{X: 160, Y: -60, Z: 130}))
	for !m.reached() {
		m.step(0.01)
	}
	copy(m.target, mustIK(t, m, ik.Point{X: 210, Y: 60, Z: 130}))
	for range 25 {
		m.step(0.01)
	}
	if m.tr.v.norm() < 50 {
		t.Fatalf("tool at %.1f mm/s after 0.25 s, want well under way", m.tr.v.norm())
	}
	copy(m.target, mustIK(t, m, ik.Point{X: 210, Y: 60, Z: 180}))
	prev, prevV := m.tool(t), m.tr.v
	prevScaled := m.tr.scaled
	for tick := 0; !m.reached(); tick++ {
		sc := m.tr.scaled
		m.step(0.01)
		p := m.tool(t)
		v := p.sub(prev).scale(100)
		if v.norm() < 1 && !m.reached() {
			t.Fatalf("tick %d: the tool stopped before the new target", tick)
		}
		shortened := m.tr.scaled != sc || sc != prevScaled
		prevScaled = m.tr.scaled
		if acc := v.sub(prevV).norm() * 100; !shortened && acc > arm.Motion.MaxToolAccelMMS2*1.15+1 {
			t.Fatalf("tick %d: %.0f mm/s² blending, limit %g (scaled %d, fallback %d, v %v → %v)", tick, acc, arm.Motion.MaxToolAccelMMS2, m.tr.scaled, m.tr.jointSteps, prevV, v)
		}
		prev, prevV = p, v
	}
}

// Still means still: a noisy stream on a still hand does not move the
// servos once the arm has settled; a real move does.
func TestDeadbandHoldsOnNoise(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour, TickHz: 100})
	c := h.dial()
	rng := rand.New(rand.NewPCG(11, 3))
	at := vec{180, 20, 140}
	send := func(p vec) {
		t.Helper()
		line := `{"type":"command","x":` + ftoa(p.x) + `,"y":` + ftoa(p.y) + `,"z":` + ftoa(p.z) + `}`
		wantOK(t, c.do(line), protocol.MessageCommandReceived)
	}
	noisy := func() vec {
		return at.add(vec{rng.NormFloat64() * 1.2, rng.NormFloat64() * 1.2, rng.NormFloat64() * 1.2})
	}
	for range 60 { // 2 s at 30 Hz: arrive and settle
		send(noisy())
		h.clk.Advance(time.Second / 30)
		h.sync()
	}
	writes, ticks := h.sim.Writes(), h.ticks.Load()
	for range 150 { // 5 s of a still hand
		send(noisy())
		h.clk.Advance(time.Second / 30)
		h.sync()
	}
	if w, n := h.sim.Writes()-writes, h.ticks.Load()-ticks; w != 0 || n != 0 {
		t.Fatalf("a still hand's noise moved the servos: %d writes, %d ticks in 5 s", w, n)
	}
	if st := h.srv.State(); vecOf(ik.Point(st.Pose)).dist(at) > 1.5 {
		t.Fatalf("resting at %+v, want within 1.5 mm of %v", st.Pose, at)
	}
	at = at.add(vec{0, 20, 0}) // the hand moves 20 mm
	for range 30 {
		send(noisy())
		h.clk.Advance(time.Second / 30)
		h.sync()
	}
	if st := h.srv.State(); vecOf(ik.Point(st.Pose)).dist(at) > 3.5 {
		t.Fatalf("after the hand moved 20 mm: at %+v, want near %v", st.Pose, at)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func mustIK(t *testing.T, m *motion, p ik.Point) []float64 {
	t.Helper()
	sol, err := m.s.model.IK(p, ik.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sol.Joints
}

func distToSegment(p, a, b vec) float64 {
	ab := b.sub(a)
	l2 := ab.x*ab.x + ab.y*ab.y + ab.z*ab.z
	if l2 == 0 {
		return p.dist(a)
	}
	ap := p.sub(a)
	f := min(max((ap.x*ab.x+ap.y*ab.y+ap.z*ab.z)/l2, 0), 1)
	return p.dist(a.add(ab.scale(f)))
}

func nearBox(b ik.Box, p ik.Point, tol float64) bool {
	return p.X >= b.Min.X-tol && p.X <= b.Max.X+tol && p.Y >= b.Min.Y-tol && p.Y <= b.Max.Y+tol && p.Z >= b.Min.Z-tol && p.Z <= b.Max.Z+tol
}

// A hand stream that stops dead at 120 mm/s (the hand left the camera):
// the stream's velocity led the tool, but it passes the last target by no
// more than the deadband, then settles on it.
func TestStreamStopsWithinDeadband(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour, TickHz: 100})
	c := h.dial()
	p := vec{160, -60, 140}
	send := func() {
		t.Helper()
		wantOK(t, c.do(`{"type":"command","x":`+ftoa(p.x)+`,"y":`+ftoa(p.y)+`,"z":`+ftoa(p.z)+`}`), protocol.MessageCommandReceived)
	}
	for range 60 { // get there and settle
		send()
		h.clk.Advance(time.Second / 30)
		h.sync()
	}
	for range 30 { // 120 mm/s along y at 30 Hz, servo ticks at 100 Hz
		p.y += 4
		send()
		for range 10 {
			h.clk.Advance(time.Second / 300)
			h.sync()
		}
	}
	furthest := -math.MaxFloat64
	for range 200 {
		h.step(1)
		furthest = max(furthest, h.srv.State().Pose.Y)
	}
	deadband := armfile.Default().Motion.DeadbandMM
	if over := furthest - p.y; over > deadband {
		t.Fatalf("the tool passed the last target by %.2f mm, more than the %.1f mm deadband", over, deadband)
	}
	if st := h.srv.State(); st.Moving || math.Abs(st.Pose.Y-p.y) > 1e-3 {
		t.Fatalf("after the stream stopped: %+v, want at rest on y = %v", st, p.y)
	}
}
