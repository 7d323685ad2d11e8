package controller

import (
	"math"
	"time"
)

// maxStep caps the time one tick may integrate, so a stalled loop resumes
// smoothly instead of jumping the servos.
const maxStep = 100 * time.Millisecond

// reachedEps is how close (rad, or gripper units) counts as arrived.
const reachedEps = 1e-9

// step moves cur toward target by at most vel·dt on the joint with the
// longest way, scaling the others so that all arrive together.
func (m *motion) step(dt float64) {
	far := 0.0
	for i := range m.cur {
		far = max(far, math.Abs(m.target[i]-m.cur[i]))
	}
	if far <= m.vel*dt {
		copy(m.cur, m.target)
	} else {
		f := m.vel * dt / far
		for i := range m.cur {
			m.cur[i] += f * (m.target[i] - m.cur[i])
		}
	}
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
