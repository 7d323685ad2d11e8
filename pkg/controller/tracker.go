package controller

import (
	"math"

	"github.com/aether-lab/aether-bridge/pkg/ik"
)

// The trajectory generator's building block: an online, time-optimal
// follower with a speed and an acceleration limit. Each tick it picks the
// velocity that reaches the goal as fast as the limits allow and still
// stops exactly on it (the discrete braking speed below), and turns the
// current velocity towards it by at most accel·dt. A new goal mid-move is
// simply followed from the current velocity: no stop at each command, no
// overshoot of a goal that stays put. Used on the tool point (a vector: it
// moves along the straight line to the goal when it starts at rest) and on
// the tool pitch and wrist roll (scalars).

// vec is a 3-vector, mm or mm/s.
type vec struct{ x, y, z float64 }

func (a vec) add(b vec) vec             { return vec{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a vec) sub(b vec) vec             { return vec{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a vec) scale(f float64) vec       { return vec{a.x * f, a.y * f, a.z * f} }
func (a vec) norm() float64             { return math.Sqrt(a.x*a.x + a.y*a.y + a.z*a.z) }
func (a vec) point() ik.Point           { return ik.Point{X: a.x, Y: a.y, Z: a.z} }
func vecOf(p ik.Point) vec              { return vec{p.X, p.Y, p.Z} }
func (a vec) dist(b vec) float64        { return a.sub(b).norm() }
func (a vec) lerp(b vec, f float64) vec { return a.add(b.sub(a).scale(f)) }

// brakeSpeed is the fastest speed from which braking at accel, in ticks of
// dt, stops exactly after dist: s with s·dt·(1 + (1 - a·dt/s) + …) = dist.
func brakeSpeed(dist, accel, dt float64) float64 {
	adt := accel * dt
	return adt * (math.Sqrt(0.25+2*dist/(adt*dt)) - 0.5)
}

// followVec advances position p with velocity v one tick of dt towards
// goal, itself moving at gv, within speed vmax and acceleration amax. It
// lands exactly on a goal at rest when that is within reach of this tick.
func followVec(p, v, goal, gv vec, vmax, amax, dt float64) (vec, vec) {
	e := goal.sub(p)
	d := e.norm()
	want := gv
	if d > 0 {
		want = want.add(e.scale(min(vmax, brakeSpeed(d, amax, dt)) / d))
	}
	if n := want.norm(); n > vmax {
		want = want.scale(vmax / n)
	}
	dv := want.sub(v)
	if n := dv.norm(); n > amax*dt {
		dv = dv.scale(amax * dt / n)
	}
	nv := v.add(dv)
	if gv == (vec{}) && d <= nv.norm()*dt+1e-9 && nv.norm() <= amax*dt*(1+1e-9)+1e-12 {
		return goal, vec{}
	}
	return p.add(nv.scale(dt)), nv
}

// follow1 is followVec for one coordinate.
func follow1(x, v, goal, vmax, amax, dt float64) (float64, float64) {
	p, nv := followVec(vec{x: x}, vec{x: v}, vec{x: goal}, vec{}, vmax, amax, dt)
	return p.x, nv.x
}

// canStopBy caps speed v so that braking at amax from p stops within
// slack past stop in v's own direction: a follower led ahead of its last
// real target by the stream's velocity then passes that target by at most
// slack when the stream ends abruptly.
func canStopBy(p, v, stop vec, slack, amax, dt float64) vec {
	n := v.norm()
	if n == 0 {
		return v
	}
	dir := v.scale(1 / n)
	r := stop.sub(p)
	room := r.x*dir.x + r.y*dir.y + r.z*dir.z + slack
	if limit := brakeSpeed(max(room, 0), amax, dt); n > limit {
		return v.scale(limit / n)
	}
	return v
}
