package ik

import (
	"fmt"
	"math"
)

// Options tunes IK.
type Options struct {
	// Clamp, when true, moves a target that is outside the workspace box
	// or that the arm cannot reach to the nearest reachable point (as
	// defined on Model.IK) and sets Solution.Clamped. false = such
	// targets fail with an *Error.
	Clamp bool
}

// Solution is the result of IK.
type Solution struct {
	// Joints are the joint angles, radians, model frame, one per
	// Model.Joints entry; wrist roll (if any) is 0.
	Joints []float64
	// Reached is the point solved for, mm: the target, or where clamping
	// moved it (then inside the workspace box). FK(Joints) matches it to
	// round-off (well under 1e-6 mm).
	Reached Point
	// Clamped reports that the target was moved by clamping.
	Clamped bool
}

// maxJoints bounds Model.Joints, so solver scratch space lives on the
// stack.
const maxJoints = 5

// Auto wrist scan: the tool pitch is searched outwards from the
// preferred pitch in autoStep steps (±180° in all), then refined by
// bisection. A feasible pitch window narrower than autoStep can be missed.
const (
	autoStep   = math.Pi / 90 // 2°
	autoSteps  = 90
	autoBisect = 24
)

// Clamp search along the segment from the target to the home tool point.
const (
	clampSamples = 32
	clampTolMM   = 1e-3
)

// reachEps is the slack on the cosine of the elbow angle, so a point at
// exactly full stretch (e.g. FK of a straight arm) still solves.
const reachEps = 1e-10

// kin is the model in solver units (radians), converted on entry to each
// call so that edits to Model fields can never leave a stale copy behind.
type kin struct {
	n             int
	h, l1, l2, l3 float64
	lo, hi        [maxJoints]float64
	auto          bool
	pitch         float64
	box           Box
	home          [maxJoints]float64
	homeOK        bool
}

func (m Model) kin() (kin, error) {
	k := kin{n: len(m.Joints), h: m.BaseHeight, l1: m.UpperArm, l2: m.Forearm, l3: m.Tool,
		auto: m.Wrist.Mode == WristAuto, pitch: rad(m.Wrist.PitchDeg), box: m.Workspace}
	if k.n < 4 || k.n > maxJoints {
		return k, fmt.Errorf("ik: model %q has %d joints, need 4 or 5; call Validate before use", m.Name, k.n)
	}
	if !(k.l1 > 0) || !(k.l2 > 0) || !finite(k.l1) || !finite(k.l2) || !finite(k.h) || !finite(k.l3) {
		return k, fmt.Errorf("ik: model %q has invalid link lengths; call Validate before use", m.Name)
	}
	for i, j := range m.Joints {
		k.lo[i], k.hi[i] = rad(j.MinDeg), rad(j.MaxDeg)
	}
	if len(m.HomeDeg) == k.n {
		for i, d := range m.HomeDeg {
			k.home[i] = rad(d)
		}
		k.homeOK = true
	}
	return k, nil
}

// FK returns the tool point for joint angles q (radians, model frame, one
// per joint). It does not check joint limits (see CheckJoints); NaN/Inf
// angles are an out_of_range *Error.
func (m Model) FK(q []float64) (Point, error) {
	k, err := m.kin()
	if err != nil {
		return Point{}, err
	}
	if err := m.checkLen(q); err != nil {
		return Point{}, err
	}
	var a [maxJoints]float64
	for i := range k.n {
		if err := checkFinite(m.Joints[i].Name, q[i]); err != nil {
			return Point{}, err
		}
		a[i] = q[i]
	}
	return k.fk(&a), nil
}

func (k *kin) fk(q *[maxJoints]float64) Point {
	a1 := q[1]
	a2 := a1 + q[2]
	a3 := a2 + q[3]
	r := k.l1*math.Cos(a1) + k.l2*math.Cos(a2) + k.l3*math.Cos(a3)
	z := k.h + k.l1*math.Sin(a1) + k.l2*math.Sin(a2) + k.l3*math.Sin(a3)
	return Point{X: r * math.Cos(q[0]), Y: r * math.Sin(q[0]), Z: z}
}

// IK returns joint angles that put the tool point at p (mm, base frame).
//
// The tool pitch follows m.Wrist: fixed_pitch uses exactly PitchDeg;
// auto uses the feasible pitch nearest to PitchDeg (searched in 2° steps,
// then refined to ~1e-7°; on a tie the higher pitch wins). The elbow is
// always on the elbow ≤ 0 branch. The base yaw points at the target, or,
// failing that, directly away from it (reaching back over the top); a
// target on the yaw axis gets the yaw within limits nearest 0.
//
// Failures are *Error: out_of_range for NaN/±Inf coordinates (even with
// Clamp) and, without Clamp, for points outside m.Workspace; unreachable
// when the links cannot span the distance; joint_limit when they can but
// only past a joint limit.
//
// With opt.Clamp, "nearest" means: first each coordinate is clamped into
// the workspace box (the Euclidean-nearest point of the box); if the arm
// still cannot reach that point, it is moved along the straight segment
// towards the home pose's tool point (inside the box and reachable, as
// Validate checks) to the reachable point of that segment closest to it,
// to within 0.001 mm. The segment is probed at 32 evenly spaced points
// then bisected, so a reachable stretch shorter than 1/32 of it can be
// skipped. This is not the Euclidean-nearest reachable point in general,
// but it stays in the box, and for a target past the arm's reach it lands
// on the reach boundary between the target and home.
func (m Model) IK(p Point, opt Options) (Solution, error) {
	k, err := m.kin()
	if err != nil {
		return Solution{}, err
	}
	if !finite(p.X) || !finite(p.Y) || !finite(p.Z) {
		return Solution{}, &Error{Code: CodeOutOfRange,
			Message: fmt.Sprintf("target (%v, %v, %v) has a NaN or infinite coordinate; coordinates must be finite numbers in mm", p.X, p.Y, p.Z)}
	}
	t, clamped := p, false
	if !k.box.Contains(p) {
		if !opt.Clamp {
			return Solution{}, boxError(k.box, p)
		}
		t, clamped = k.box.Clamp(p), true
	}
	var q [maxJoints]float64
	if a := k.solve(t, &q); a.kind != solved {
		moved, ok := t, false
		if opt.Clamp {
			moved, ok = k.clampToward(t, &q)
		}
		if !ok {
			return Solution{}, k.errorFor(m, a, t)
		}
		t, clamped = moved, true
	}
	joints := make([]float64, k.n)
	copy(joints, q[:k.n])
	return Solution{Joints: joints, Reached: t, Clamped: clamped}, nil
}

func boxError(b Box, p Point) *Error {
	if v, out := b.Violation(p); out {
		return &Error{Code: CodeOutOfRange, Message: fmt.Sprintf(
			"target %s: %s = %.1f mm is %s %g mm; keep targets inside the box from %s to %s",
			p, v.Axis, v.Value, v.Side(), v.Limit, b.Min, b.Max)}
	}
	return &Error{Code: CodeOutOfRange, Message: fmt.Sprintf("target %s is outside the workspace box", p)}
}

// clampToward finds the reachable point nearest t on the segment from t
// to the home tool point; q receives its joints.
func (k *kin) clampToward(t Point, q *[maxJoints]float64) (Point, bool) {
	if !k.homeOK {
		return t, false
	}
	anchor := k.fk(&k.home)
	at := func(f float64) Point {
		return Point{X: t.X + f*(anchor.X-t.X), Y: t.Y + f*(anchor.Y-t.Y), Z: t.Z + f*(anchor.Z-t.Z)}
	}
	length := math.Sqrt(sq(anchor.X-t.X) + sq(anchor.Y-t.Y) + sq(anchor.Z-t.Z))
	var tmp [maxJoints]float64
	prev := 0.0 // fraction known unreachable
	for i := 1; i <= clampSamples; i++ {
		hi := float64(i) / clampSamples
		if k.solve(at(hi), q).kind != solved {
			prev = hi
			continue
		}
		lo := prev
		for (hi-lo)*length > clampTolMM {
			mid := (lo + hi) / 2
			if k.solve(at(mid), &tmp).kind == solved {
				hi, *q = mid, tmp
			} else {
				lo = mid
			}
		}
		return at(hi), true
	}
	return t, false
}

func sq(v float64) float64 { return v * v }

type outcome uint8

const (
	solved    outcome = iota
	tooFar            // wrist centre beyond upper_arm + forearm
	tooNear           // wrist centre inside |upper_arm - forearm|
	pastLimit         // some joint outside its limits
)

// attempt describes one solve try, cheaply, so that the auto-pitch scan
// does not format errors it will throw away.
type attempt struct {
	kind     outcome
	joint    int     // pastLimit: index of the joint
	need     float64 // pastLimit: angle the joint would need, rad
	dist     float64 // tooFar/tooNear: wrist-centre (or, anyPitch, target) distance from the shoulder, mm
	pitch    float64 // tool pitch tried, rad
	anyPitch bool    // auto found no pitch at all that spans the distance
}

// solve picks the base yaw for p and solves the rest; q[0..n) is written
// on success (wrist roll 0).
func (k *kin) solve(p Point, q *[maxJoints]float64) attempt {
	if k.n == 5 {
		q[4] = 0
	}
	z := p.Z - k.h
	rho := math.Hypot(p.X, p.Y)
	if rho < 1e-9 {
		// On the yaw axis any yaw works; take the one nearest 0.
		q[0] = min(max(0, k.lo[0]), k.hi[0])
		return k.solvePitch(0, z, q)
	}
	yaw := math.Atan2(p.Y, p.X)
	var first attempt
	tried := false
	for _, c := range [2]struct{ yaw, r float64 }{{yaw, rho}, {yaw + math.Pi, -rho}} {
		y, ok := fitLimit(c.yaw, k.lo[0], k.hi[0])
		if !ok {
			continue
		}
		q[0] = y
		a := k.solvePitch(c.r, z, q)
		if a.kind == solved {
			return a
		}
		if !tried {
			first, tried = a, true
		}
	}
	if !tried {
		need, _ := fitLimit(yaw, k.lo[0], k.hi[0])
		return attempt{kind: pastLimit, joint: 0, need: need}
	}
	return first
}

// solvePitch solves shoulder, elbow and wrist for a target at horizontal
// distance r (negative = behind the shoulder) and height z above the
// shoulder axis, following the wrist policy.
func (k *kin) solvePitch(r, z float64, q *[maxJoints]float64) attempt {
	a := k.solveAt(r, z, k.pitch, q)
	if a.kind == solved || !k.auto {
		return a
	}
	d := math.Hypot(r, z)
	if d > k.l1+k.l2+k.l3 || d < math.Abs(k.l1-k.l2)-k.l3 || d < k.l3-(k.l1+k.l2) {
		kind := tooFar
		if d < k.l1+k.l2 {
			kind = tooNear
		}
		return attempt{kind: kind, dist: d, anyPitch: true}
	}
	firstLimit, haveLimit := a, a.kind == pastLimit
	var tmp [maxJoints]float64
	for i := 1; i <= autoSteps; i++ {
		best, found := 0.0, false
		for _, sign := range [2]float64{1, -1} {
			b := k.solveAt(r, z, k.pitch+sign*float64(i)*autoStep, &tmp)
			if b.kind == pastLimit && !haveLimit {
				firstLimit, haveLimit = b, true
			}
			if b.kind != solved {
				continue
			}
			off := k.refinePitch(r, z, sign, float64(i-1)*autoStep, float64(i)*autoStep)
			if !found || math.Abs(off) < math.Abs(best) {
				best, found = off, true
			}
		}
		if found {
			return k.solveAt(r, z, k.pitch+best, q)
		}
	}
	if haveLimit {
		return firstLimit
	}
	return attempt{kind: a.kind, dist: d, anyPitch: true}
}

// refinePitch bisects between offsets lo (infeasible) and hi (feasible)
// from the preferred pitch on one side, and returns the signed feasible
// offset nearest the preferred pitch.
func (k *kin) refinePitch(r, z, sign, lo, hi float64) float64 {
	var tmp [maxJoints]float64
	for range autoBisect {
		mid := (lo + hi) / 2
		if k.solveAt(r, z, k.pitch+sign*mid, &tmp).kind == solved {
			hi = mid
		} else {
			lo = mid
		}
	}
	return sign * hi
}

// solveAt solves the planar 3-link chain for tool pitch phi: the wrist
// centre is fixed by phi, then the shoulder-elbow triangle on the
// elbow ≤ 0 branch. q[1..3] are written on success.
func (k *kin) solveAt(r, z, phi float64, q *[maxJoints]float64) attempt {
	wr := r - k.l3*math.Cos(phi)
	wz := z - k.l3*math.Sin(phi)
	d2 := wr*wr + wz*wz
	c := (d2 - k.l1*k.l1 - k.l2*k.l2) / (2 * k.l1 * k.l2)
	switch {
	case c > 1+reachEps:
		return attempt{kind: tooFar, dist: math.Sqrt(d2), pitch: phi}
	case c < -1-reachEps:
		return attempt{kind: tooNear, dist: math.Sqrt(d2), pitch: phi}
	}
	c = min(max(c, -1), 1)
	s := -math.Sqrt(1 - c*c) // sin(elbow) ≤ 0: the elbow ≤ 0 branch
	q2 := math.Atan2(s, c)
	q1 := math.Atan2(wz, wr) - math.Atan2(k.l2*s, k.l1+k.l2*c)
	angles := [3]float64{q1, q2, phi - q1 - q2}
	for i, v := range angles {
		j := i + 1
		fit, ok := fitLimit(v, k.lo[j], k.hi[j])
		if !ok {
			return attempt{kind: pastLimit, joint: j, need: fit, pitch: phi}
		}
		q[j] = fit
	}
	return attempt{kind: solved, pitch: phi}
}

// fitLimit returns the representative of angle a (mod 2π) inside
// [lo, hi] (allowing angleEps of round-off, then clamped onto the range)
// and true; or, if none fits, the representative nearest the range and
// false.
func fitLimit(a, lo, hi float64) (float64, bool) {
	a = math.Remainder(a, 2*math.Pi)
	best, bestOut := a, math.Inf(1)
	for _, c := range [3]float64{a, a - 2*math.Pi, a + 2*math.Pi} {
		out := max(lo-c, c-hi)
		if out <= angleEps {
			return min(max(c, lo), hi), true
		}
		if out < bestOut {
			best, bestOut = c, out
		}
	}
	return best, false
}

// errorFor turns a failed attempt at target p into an *Error.
func (k *kin) errorFor(m Model, a attempt, p Point) *Error {
	spanMax := k.l1 + k.l2
	spanMin := math.Abs(k.l1 - k.l2)
	switch {
	case a.kind == pastLimit && a.joint == 0:
		return limitError(m.Joints[0], a.need, fmt.Sprintf("target %s: ", p))
	case a.kind == pastLimit:
		return limitError(m.Joints[a.joint], a.need,
			fmt.Sprintf("target %s with the tool pitch at %.1f°: ", p, deg(a.pitch)))
	case a.anyPitch:
		lo := max(0, spanMin-k.l3, k.l3-spanMax)
		return &Error{Code: CodeUnreachable, Message: fmt.Sprintf(
			"target %s is out of reach at every tool pitch: it is %.1f mm from the shoulder axis, and the arm spans only %.1f to %.1f mm from it",
			p, a.dist, lo, spanMax+k.l3)}
	case a.kind == tooFar:
		return &Error{Code: CodeUnreachable, Message: fmt.Sprintf(
			"target %s is out of reach: with the tool pitch at %.1f° the wrist axis would be %.1f mm from the shoulder axis, but upper_arm + forearm span only %.1f mm; move the target closer%s",
			p, deg(a.pitch), a.dist, spanMax, k.pitchHint())}
	default:
		return &Error{Code: CodeUnreachable, Message: fmt.Sprintf(
			"target %s is out of reach: with the tool pitch at %.1f° the wrist axis would be %.1f mm from the shoulder axis, but the arm cannot fold closer than |upper_arm - forearm| = %.1f mm; move the target away%s",
			p, deg(a.pitch), a.dist, spanMin, k.pitchHint())}
	}
}

func (k *kin) pitchHint() string {
	if k.auto {
		return ""
	}
	return " or set wrist.mode to auto"
}

// IKAt returns joint angles that put the tool point at p (mm, base frame)
// with the tool pitch as close to pitch (rad above horizontal, as
// WristPolicy.PitchDeg) as the joint limits allow, at most maxDev (rad)
// from it, and the wrist roll (if the model has one) at roll (rad),
// whatever the wrist policy says; it also returns the pitch used. The
// trajectory generator moves the pitch smoothly between two poses this
// way instead of letting the auto policy jump. The base yaw and elbow
// branch are chosen as by IK. It does not check the workspace box.
// Failures are *Error as for IK (unreachable, joint_limit, out_of_range).
func (m Model) IKAt(p Point, pitch, roll, maxDev float64) ([]float64, float64, error) {
	k, err := m.kin()
	if err != nil {
		return nil, 0, err
	}
	if !finite(p.X) || !finite(p.Y) || !finite(p.Z) || !finite(pitch) || !finite(roll) {
		return nil, 0, &Error{Code: CodeOutOfRange, Message: fmt.Sprintf("target %v, pitch %v, roll %v: not finite", p, pitch, roll)}
	}
	k.auto, k.pitch = false, pitch
	var q [maxJoints]float64
	a := k.solve(p, &q)
	got := pitch
	if a.kind != solved && maxDev > 0 {
		// The nearest feasible pitch within maxDev: scan outwards, then
		// bisect to the edge of the feasible window.
		steps := max(1, int(math.Ceil(maxDev/(autoStep/4))))
		step := maxDev / float64(steps)
	scan:
		for i := 1; i <= steps; i++ {
			for _, sign := range [2]float64{1, -1} {
				k.pitch = pitch + sign*float64(i)*step
				if k.solve(p, &q).kind != solved {
					continue
				}
				lo, hi := float64(i-1)*step, float64(i)*step
				for range autoBisect {
					mid := (lo + hi) / 2
					k.pitch = pitch + sign*mid
					if k.solve(p, &q).kind == solved {
						hi = mid
					} else {
						lo = mid
					}
				}
				got = pitch + sign*hi
				k.pitch = got
				a = k.solve(p, &q)
				break scan
			}
		}
	}
	if a.kind != solved {
		return nil, 0, k.errorFor(m, a, p)
	}
	if k.n == 5 {
		r, ok := fitLimit(roll, k.lo[4], k.hi[4])
		if !ok {
			return nil, 0, limitError(m.Joints[4], roll, fmt.Sprintf("target %s: ", p))
		}
		q[4] = r
	}
	joints := make([]float64, k.n)
	copy(joints, q[:k.n])
	return joints, got, nil
}

// ToolPitch returns the tool pitch of joint angles q (rad above
// horizontal): shoulder + elbow + wrist pitch. q must have at least 4
// angles.
func ToolPitch(q []float64) float64 { return q[1] + q[2] + q[3] }
