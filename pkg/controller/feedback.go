package controller

import (
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// Servos that report their position (servo.Feedback, the bus backends):
// the controller starts from the measured pose, tracks the arm while it is
// limp, reports measured joints, and holds the arm when a servo raises an
// error flag until the lease holder switches torque on again.

// recoverEvery rate-limits fault recovery, so a REBOOT of a servo that
// overheated is not hammered by a client retrying in a loop.
const recoverEvery = 2 * time.Second

// applyTorque switches torque off (limp: the commanded pose follows the
// measured one) or on (after recovering a fault, holding the measured pose).
func (m *motion) applyTorque(o *op, now time.Time) protocol.Response {
	if !o.on {
		m.halt()
		if !m.releaseServos() {
			return protocol.Fail(o.id, protocol.CodeInternal, "torque off failed (%s): the servos may still hold", m.writeErr)
		}
		m.released = true
		m.setWatchdog(now, protocol.WatchdogOff, "torque off requested")
		return protocol.OK(o.id, "Torque off: the arm is limp; the state shows the measured angles")
	}
	if m.fault != "" {
		if since := now.Sub(m.lastRecover); !m.lastRecover.IsZero() && since < recoverEvery {
			return protocol.Fail(o.id, protocol.CodeServoFault, "recovery was tried %v ago: try again in %v (%s)",
				since.Round(time.Millisecond), (recoverEvery - since).Round(time.Millisecond), m.fault)
		}
		m.lastRecover = now
		if err := m.s.fb.Recover(); err != nil {
			return protocol.Fail(o.id, protocol.CodeServoFault, "recovery failed: %v", err)
		}
		if f := m.s.fb.Measured().Fault; f != nil {
			m.fault = f.Error()
			return protocol.Fail(o.id, protocol.CodeServoFault, "still faulted after recovery: %v", f)
		}
		m.log.Info("servo fault cleared: torque on at the measured pose")
		m.fault = ""
	}
	m.seedFromMeasured()
	m.engage(now, m.maxVel)
	return protocol.OK(o.id, "Torque on: holding the measured pose")
}

// seedFromMeasured makes the commanded pose the measured one, so the next
// write (which turns torque on) holds the arm where it is: power-on,
// torque on and recovery never move it.
func (m *motion) seedFromMeasured() {
	m.trackMeasured(m.s.fb.Measured())
	m.halt() // target = cur, at rest
}

// trackMeasured puts the commanded pose at the measured one, keeping the
// target.
func (m *motion) trackMeasured(meas servo.Measurement) {
	if meas.At.IsZero() {
		return
	}
	q, err := m.s.model.FromExternal(meas.Joints)
	if err != nil {
		return
	}
	copy(m.cur, q)
	m.grip = meas.Gripper
	m.resync()
}

// sense reads the servos while nothing commands them (released, or held on
// a fault) and follows a limp arm; then it latches a new fault.
func (m *motion) sense(now time.Time) {
	if m.released || m.fault != "" {
		if err := m.s.fb.Sense(); err != nil {
			m.logWriteErr(err)
		}
	}
	meas := m.s.fb.Measured()
	switch {
	case m.released:
		m.seedFromMeasured()
	case !meas.Torque && m.fault == "":
		// Engaged, but the servos refused torque so far (a read missed
		// its budget): keep the target and start the move from where
		// the arm is, so the goal that turns torque on is next to it.
		m.trackMeasured(meas)
	}
	if meas.Fault != nil && m.fault == "" {
		m.fault = meas.Fault.Error()
		m.halt()
		if m.released { // limp: nothing to hold; motion stays refused
			m.log.Error("servo fault on the limp arm; send torque on after removing the cause", "err", meas.Fault)
			return
		}
		m.log.Error("servo fault: holding the arm; send torque on after removing the cause", "err", meas.Fault)
		m.setWatchdog(now, protocol.WatchdogHold, "servo fault")
	}
}

// addMeasured fills the state fields of a feedback backend: measured
// joints, the commanded ones beside them, torque, fault and telemetry.
func (m *motion) addMeasured(st *protocol.State) {
	meas := m.s.fb.Measured()
	st.Feedback = protocol.FeedbackMeasured
	st.Commanded = st.Joints
	st.Torque = "off"
	if meas.Torque {
		st.Torque = "on"
	}
	st.Fault = m.fault
	if q, err := m.s.model.FromExternal(meas.Joints); err == nil && !meas.At.IsZero() {
		st.Joints = make([]protocol.JointState, len(q))
		for i, j := range m.s.model.Joints {
			st.Joints[i] = protocol.JointState{Name: j.Name, Deg: roundDeg(q[i])}
		}
		st.Gripper = round3(meas.Gripper)
		if p, err := m.s.model.FK(q); err == nil {
			st.Pose = protocol.Point{X: round3(p.X), Y: round3(p.Y), Z: round3(p.Z)}
		}
	}
	for _, h := range meas.Servos {
		st.Servos = append(st.Servos, protocol.ServoHealth{ID: h.ID, Joint: h.Joint, Load: h.LoadPct, Volts: h.Volts,
			TempC: h.TempC, Moving: h.Moving, Flags: h.Flags})
	}
}

// refuseOnFault is the reply to a motion request while a fault holds the arm.
func (m *motion) refuseOnFault(id protocol.ID) (protocol.Response, bool) {
	if m.fault == "" {
		return protocol.Response{}, false
	}
	return protocol.Fail(id, protocol.CodeServoFault, "%s", m.fault), true
}
