package controller

import (
	"math"
	"slices"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
)

// maxStep caps the time one tick may integrate, so a stalled loop resumes
// smoothly instead of jumping the servos.
const maxStep = 100 * time.Millisecond

// reachedEps is how close (rad, or gripper units) counts as arrived.
const reachedEps = 1e-9

// traj is the trajectory generator's state (docs/protocol.md §11,
// "Trajectory"): the tool point, pitch and roll the servos are at, with
// their velocities, and the goal they follow. The joints (motion.cur) are
// solved from it every tick, so all joints move along one tool path.
type traj struct {
	synced      bool      // p, phi, roll describe motion.cur
	p, v        vec       // tool point, mm; its velocity, mm/s
	phi, phiV   float64   // tool pitch, rad; rad/s
	roll, rollV float64   // wrist roll, rad; rad/s (0 without a roll joint)
	qv          []float64 // joint velocities of the last tick, rad/s
	goalFor     []float64 // the target the goal below was computed for
	goal        vec       // FK(target), mm
	goalPhi     float64   // tool pitch of target, rad
	goalRoll    float64
	jointSteps  int // ticks that fell back to a joint-space step (tests, logs)
	scaled      int // steps shortened for a joint's limit (tests)
	// viaHome: a fallback step could not move without leaving the box, so
	// the tool goes to the home pose's tool point first (inside the box and
	// reachable), then on to the target.
	viaHome bool
	home    vec // FK(home), mm
	homePhi float64
}

// limits are the trajectory limits from the arm file, in solver units.
type limits struct {
	vmaxJ, amaxJ []float64 // per joint, rad/s and rad/s²
	toolV, toolA float64   // mm/s, mm/s²
}

// halt makes the arm hold where it is now, at once: the goal becomes the
// current pose and every velocity zero.
func (m *motion) halt() {
	copy(m.target, m.cur)
	m.gripTarget = m.grip
	m.still.reset()
	m.tr.v, m.tr.phiV, m.tr.rollV = vec{}, 0, 0
	clear(m.tr.qv)
}

// resync makes the trajectory state describe cur, at rest: after a move
// the generator did not make (calibration, a joint-space fallback step).
func (m *motion) resync() {
	m.tr.synced = false
	m.tr.v, m.tr.phiV, m.tr.rollV = vec{}, 0, 0
	clear(m.tr.qv)
}

// step advances the arm one tick of dt seconds towards target.
func (m *motion) step(dt float64) {
	m.stepGripper(dt)
	if m.reached() {
		m.tr.v, m.tr.phiV, m.tr.rollV = vec{}, 0, 0
		clear(m.tr.qv)
		return
	}
	if !m.syncGoal() || !m.syncCur() {
		m.stepJoints(dt)
		return
	}
	tr, lim, s := &m.tr, &m.lim, m.vel/m.maxVel
	goal, goalPhi := tr.goal, tr.goalPhi
	ahead, gv := m.still.lead(m.lastTick)
	if tr.viaHome {
		goal, goalPhi, ahead, gv = tr.home, tr.homePhi, vec{}, vec{}
	}
	np, nv := followVec(tr.p, tr.v, goal.add(ahead), gv, m.toolSpeedCap(s), lim.toolA*s, dt)
	// Led by the stream, but never so fast that the tool could not stop
	// within the deadband past the last target it was sent (a follower not
	// led by a stream never gets near this curve). It costs lag: a tool
	// that may run 15 mm past a stream that stops dead at 120 mm/s follows
	// a moving hand about 55 ms sooner (make bench, motion phase).
	if cv := canStopBy(tr.p, nv, goal, m.still.radius, lim.toolA*s, dt); cv != nv {
		nv, np = cv, tr.p.add(cv.scale(dt))
	}
	np = m.keepInBox(tr.p, np)
	nphi, nphiV := follow1(tr.phi, tr.phiV, goalPhi, lim.vmaxJ[3]*s, lim.amaxJ[3]*s, dt)
	nroll, nrollV := tr.roll, 0.0
	if len(m.cur) > 4 {
		nroll, nrollV = follow1(tr.roll, tr.rollV, tr.goalRoll, lim.vmaxJ[4]*s, lim.amaxJ[4]*s, dt)
	}
	q, nphi, ok := m.solve(np, nphi, nroll, dt*s)
	if !ok {
		m.stepJoints(dt)
		return
	}
	// A joint that would pass its speed or acceleration limit takes a
	// fraction of the step along the same path; the joints are not linear
	// in the tool point, so check again.
	for range 4 {
		f := m.jointScale(q, dt, s)
		if f >= 1 {
			break
		}
		f *= 1 - 1e-6
		tr.scaled++
		np, nphi, nroll = tr.p.lerp(np, f), tr.phi+f*(nphi-tr.phi), tr.roll+f*(nroll-tr.roll)
		if q, nphi, ok = m.solve(np, nphi, nroll, dt*s); !ok {
			m.stepJoints(dt)
			return
		}
		nv, nphiV, nrollV = np.sub(tr.p).scale(1/dt), (nphi-tr.phi)/dt, (nroll-tr.roll)/dt
	}
	if np == goal && math.Abs(nphi-goalPhi) > 1e-9 && maxAbsDiff(q, m.cur) < 1e-7 {
		// At the goal point, but the pitch cannot turn on towards the
		// target's there (the pitches the joints allow are split by a
		// limit): finish in joint space.
		m.stepJoints(dt)
		return
	}
	switch {
	case tr.viaHome && np == goal:
		tr.viaHome = false // around the hole: on to the target
	case np == tr.goal && math.Abs(nphi-tr.goalPhi) < 1e-9 && nroll == tr.goalRoll:
		copy(q, m.target) // arrived: exactly the validated target
	}
	for i := range q {
		tr.qv[i] = (q[i] - m.cur[i]) / dt
	}
	copy(m.cur, q)
	tr.p, tr.v, tr.phi, tr.phiV, tr.roll, tr.rollV = np, nv, nphi, nphiV, nroll, nrollV
}

// goal returns the tool point of target, mm.
func (m *motion) goal() vec {
	if !m.syncGoal() {
		return vec{}
	}
	return m.tr.goal
}

// solve returns the joints for tool point p with the pitch nearest to
// pitch that the joints allow, within what the wrist can turn in this tick
// (scaledDt: dt times the speed scale), and the pitch used.
func (m *motion) solve(p vec, pitch, roll, scaledDt float64) ([]float64, float64, bool) {
	q, got, err := m.s.model.IKAt(p.point(), pitch, roll, m.lim.vmaxJ[3]*scaledDt)
	return q, got, err == nil
}

// syncGoal computes the goal pose when the target changed; false when it
// has no tool pose (never for a valid model).
func (m *motion) syncGoal() bool {
	tr := &m.tr
	if tr.goalFor != nil && slices.Equal(tr.goalFor, m.target) {
		return true
	}
	g, err := m.s.model.FK(m.target)
	if err != nil {
		return false
	}
	tr.goalFor = append(tr.goalFor[:0], m.target...)
	tr.viaHome = false
	tr.goal, tr.goalPhi = vecOf(g), ik.ToolPitch(m.target)
	if len(m.target) > 4 {
		tr.goalRoll = m.target[4]
	}
	return true
}

// syncCur sets the trajectory pose from cur when it does not describe it.
func (m *motion) syncCur() bool {
	tr := &m.tr
	if tr.synced {
		return true
	}
	p, err := m.s.model.FK(m.cur)
	if err != nil {
		return false
	}
	tr.p, tr.phi, tr.roll = vecOf(p), ik.ToolPitch(m.cur), 0
	if len(m.cur) > 4 {
		tr.roll = m.cur[4]
	}
	tr.synced = true
	return true
}

// keepInBox clamps the next tool point np into the workspace box, or, while
// the tool is still outside it (leaving the park pose), no further out on
// any axis than it is now (p). The box is convex, so a straight move
// between two points inside it never needs this; a blend may.
func (m *motion) keepInBox(p, np vec) vec {
	b := m.s.model.Workspace
	c := func(x, now, lo, hi float64) float64 { return min(max(x, min(lo, now)), max(hi, now)) }
	return vec{c(np.x, p.x, b.Min.X, b.Max.X), c(np.y, p.y, b.Min.Y, b.Max.Y), c(np.z, p.z, b.Min.Z, b.Max.Z)}
}

// toolSpeedCap is the tool speed limit for this tick: the tool's own, and
// below what would drive a joint past its speed limit at the ratio of joint
// to tool speed of the last tick, so the generator slows down with its
// acceleration limit where the path gets steep for a joint instead of
// being cut short in one tick by jointScale.
func (m *motion) toolSpeedCap(s float64) float64 {
	capped := m.lim.toolV * s
	v := m.tr.v.norm()
	if v < 1 {
		return capped
	}
	for j, w := range m.tr.qv {
		if r := math.Abs(w) / v; r > 0 {
			capped = min(capped, 0.95*m.lim.vmaxJ[j]*s/r)
		}
	}
	return capped
}

// jointScale is the largest fraction (≤ 1) of the step from cur to q that
// keeps every joint within its speed limit, and within its acceleration
// limit when speeding up. Slowing down follows the tool's limits.
func (m *motion) jointScale(q []float64, dt, s float64) float64 {
	f := 1.0
	for j := range q {
		d := math.Abs(q[j] - m.cur[j])
		if d < 1e-12 {
			continue
		}
		f = min(f, m.lim.vmaxJ[j]*s*dt/d)
		was := m.tr.qv[j]
		if (q[j] > m.cur[j]) != (was > 0) {
			was = 0 // reversing: it passes through rest
		}
		f = min(f, (math.Abs(was)+m.lim.amaxJ[j]*s*dt)*dt/d)
	}
	return f
}

// stepJoints is the fallback where the tool path has no IK solution (a
// straight line through a hole of the reachable space): the joints move
// straight towards target, all arriving together, within their speed
// limits, and only while the tool stays in the box (or gets no further
// out of it).
func (m *motion) stepJoints(dt float64) {
	m.tr.jointSteps++
	to := m.target
	if m.tr.viaHome {
		to = m.home
	}
	s := m.vel / m.maxVel
	f := 1.0
	for i := range m.cur {
		if d := math.Abs(to[i] - m.cur[i]); d > 0 {
			f = min(f, m.lim.vmaxJ[i]*s*dt/d)
		}
	}
	next := make([]float64, len(m.cur))
	for i := range m.cur {
		next[i] = m.cur[i] + f*(to[i]-m.cur[i])
	}
	if !m.noFurtherOut(next) {
		// Rather than leave the box: go round by the home pose.
		if h, err := m.s.model.FK(m.home); err == nil && !m.tr.viaHome {
			m.tr.viaHome, m.tr.home, m.tr.homePhi = true, vecOf(h), ik.ToolPitch(m.home)
			m.log.Info("trajectory: no straight path to the target from here; going by the home pose")
		}
		return
	}
	if m.tr.viaHome && f == 1 {
		m.tr.viaHome = false // at home: on to the target
	}
	copy(m.cur, next)
	m.resync()
}

// noFurtherOut reports whether the tool at joints q is inside the box or
// no further outside it on any axis than it is now.
func (m *motion) noFurtherOut(q []float64) bool {
	a, err1 := m.s.model.FK(m.cur)
	b, err2 := m.s.model.FK(q)
	if err1 != nil || err2 != nil {
		return false
	}
	return m.keepInBox(vecOf(a), vecOf(b)) == vecOf(b)
}

// stepGripper moves the gripper towards its target at its speed.
func (m *motion) stepGripper(dt float64) {
	d := m.gripTarget - m.grip
	if math.Abs(d) <= m.gripV*dt {
		m.grip = m.gripTarget
	} else {
		m.grip += math.Copysign(m.gripV*dt, d)
	}
}

func (m *motion) reached() bool {
	for i := range m.cur {
		if math.Abs(m.target[i]-m.cur[i]) > reachedEps {
			return false
		}
	}
	return math.Abs(m.gripTarget-m.grip) <= reachedEps
}

// write sends cur to the servos (in their frame). Angles are clamped into
// the limits first: IK may land a rounding error past a limit, which the
// servo calibration would refuse.
func (m *motion) write() error {
	if m.raw != nil {
		return nil // calibrating: the servos hold their raw and last pulses
	}
	for i, q := range m.cur {
		m.out[i] = min(max(q, m.lo[i]), m.hi[i])
	}
	ext, err := m.s.model.ToExternal(m.out)
	if err == nil {
		err = m.s.backend.Write(ext, m.grip)
	}
	if err != nil {
		m.logWriteErr(err)
		return err
	}
	if m.writeErr != "" {
		m.log.Info("servo writes work again")
		m.writeErr = ""
	}
	return nil
}

// logWriteErr logs a servo error once, not at every tick.
func (m *motion) logWriteErr(err error) {
	if msg := err.Error(); msg != m.writeErr {
		m.log.Error("servo write failed; retrying every tick", "err", err)
		m.writeErr = msg
	}
}

func rad(d float64) float64 { return d * math.Pi / 180 }

// roundDeg converts rad to degrees rounded to 0.001°, so replies stay short.
func roundDeg(r float64) float64 { return round3(r * 180 / math.Pi) }

func round3(v float64) float64 {
	v = math.Round(v*1000) / 1000
	if v == 0 {
		return 0 // no -0 on the wire
	}
	return v
}

// maxAbsDiff is the largest |a[i]-b[i]| (joint change from a to b).
func maxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}
