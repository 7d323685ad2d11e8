package controller

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// opKind says what a request to the motion loop wants.
type opKind int

const (
	opCommand   opKind = iota // move to joints (and gripper)
	opHome                    // clear the stop latch, move to the home pose
	opReset                   // clear the stop latch, stay put
	opLeave                   // the session closed or became a monitor: drop its lease
	opServo                   // drive one servo with a raw pulse (calibration)
	opServoList               // report the servos' pulses and calibrations
)

// op is one request to the motion loop. Everything in it was validated by
// the session; the motion loop only decides lease, latch and ttl.
type op struct {
	kind    opKind
	sess    *session
	id      protocol.ID
	joints  []float64 // opCommand: target, rad, model frame
	gripper *float64  // opCommand: nil keeps the current gripper target
	recvAt  time.Time // when the line was read (Clock)
	ttl     time.Duration
	res     *result    // answered by the motion loop; nil for opLeave
	dedupe  *dedupeKey // set when the reply is cached for replays
	channel int        // opServo: servo board channel
	pulseUS int        // opServo: raw pulse width, µs
}

// maxStep caps the time one tick may integrate, so a stalled loop resumes
// smoothly instead of jumping the servos.
const maxStep = 100 * time.Millisecond

// reachedEps is how close (rad, or gripper units) counts as arrived.
const reachedEps = 1e-9

// motion is the state owned by the motion loop goroutine. Nothing else
// touches it.
type motion struct {
	s      *Server
	log    *slog.Logger
	home   []float64 // rad, model frame
	park   []float64
	lo, hi []float64 // joint limits the servos reach, rad, model frame
	out    []float64 // scratch for write
	maxVel float64   // rad/s
	parkV  float64   // rad/s
	gripV  float64   // per s

	cur, target       []float64 // commanded now / goal, rad, model frame
	grip, gripTarget  float64
	vel               float64 // joint speed of the current move, rad/s
	estopped          bool
	released          bool   // pulses off
	wd                string // protocol.Watchdog*
	holdSince         time.Time
	parkedSince       time.Time
	lease             *session
	lastID            protocol.ID
	lastTick          time.Time
	lastEvent         time.Time
	lastKey           eventKey
	writeErr          string      // last servo write error logged, "" when healthy
	raw               map[int]int // calibrating: channel → raw pulse µs; nil otherwise
	publishedAnything bool
}

// eventKey holds the state fields whose change is pushed at once.
type eventKey struct {
	moving, estopped bool
	watchdog         string
	control          string
}

func newMotion(s *Server) *motion {
	park, _ := s.arm.ParkPose()
	lo, hi := s.arm.Limits()
	m := &motion{
		lo:         lo,
		hi:         hi,
		out:        make([]float64, len(park)),
		s:          s,
		log:        s.log,
		home:       s.arm.HomePose(),
		park:       park,
		maxVel:     rad(s.arm.Motion.MaxJointSpeedDegS),
		parkV:      rad(s.arm.Motion.ParkSpeedDegS),
		gripV:      s.arm.Motion.GripperSpeedPerS,
		cur:        append([]float64(nil), park...),
		target:     append([]float64(nil), park...),
		released:   true,
		wd:         protocol.WatchdogOff,
		lastTick:   s.clock.Now(),
		lastEvent:  s.clock.Now(),
		grip:       0,
		gripTarget: 0,
	}
	m.vel = m.maxVel
	m.publish(s.clock.Now(), false)
	return m
}

// run is the motion loop: stops first, then requests in arrival order and
// ticks. It returns when ctx ends, after halting the servos.
func (m *motion) run(ctx context.Context) {
	t := m.s.clock.NewTicker(m.s.cfg.tickPeriod())
	defer t.Stop()
	for {
		m.pollStop()
		select {
		case <-ctx.Done():
			m.shutdown()
			return
		case <-m.s.stopNotify:
			m.stop()
		case o := <-m.s.ops:
			m.pollStop() // a stop read after o was queued still goes first
			m.handle(o)
		case <-t.C():
			m.tick(m.s.clock.Now())
			if m.s.afterTick != nil {
				m.s.afterTick()
			}
		}
	}
}

func (m *motion) pollStop() {
	select {
	case <-m.s.stopNotify:
		m.stop()
	default:
	}
}

// stop latches the stop and holds the servos where they are now.
func (m *motion) stop() {
	waiters := m.s.takeStops()
	if len(waiters) == 0 {
		return
	}
	now := m.s.clock.Now()
	if !m.estopped {
		m.log.Warn("stop: holding position; commands are refused until home or reset")
	}
	m.estopped = true
	copy(m.target, m.cur)
	m.gripTarget = m.grip
	if m.wd == protocol.WatchdogParking {
		m.setWatchdog(now, protocol.WatchdogHold, "stop while parking")
	}
	var err error
	if !m.released {
		err = m.write()
	}
	m.publish(now, false)
	for _, w := range waiters {
		if err != nil {
			w.res.resolve(protocol.Fail(w.id, protocol.CodeInternal, "stop is latched but the servos could not be told to halt: %v", err))
		} else {
			w.res.resolve(protocol.OK(w.id, "Stopped"))
		}
	}
}

// takeover hands the lease to sess when it is the same client reconnecting:
// both said hello with the same client name and the holder has been silent
// for longer than the watchdog. A bridge whose old connection is half-open
// (its host slept, a cable was pulled) would otherwise get busy until the
// read timeout closes it; a live holder that keeps talking never loses it.
func (m *motion) takeover(sess *session, now time.Time) bool {
	name := sess.clientName()
	if name == "" || name != m.lease.clientName() || now.Sub(m.lease.lastLine()) < m.s.cfg.Watchdog {
		return false
	}
	m.log.Info("control lease taken over by the same client reconnecting",
		"client", name, "from", m.lease.describe(), "to", sess.describe())
	m.lease = sess
	return true
}

// handle decides a request: lease, then latch and ttl; then applies it.
func (m *motion) handle(o *op) {
	now := m.s.clock.Now()
	if o.kind == opLeave {
		if m.lease == o.sess {
			m.lease = nil
			if m.wd == protocol.WatchdogOK {
				m.setWatchdog(now, protocol.WatchdogHold, "the control client disconnected or became a monitor")
			}
			m.publish(now, false)
		}
		return
	}
	if o.kind == opServoList {
		o.res.resolveWith(protocol.Response{Status: protocol.StatusOK, Message: "servos", Type: TypeServo, ID: o.id}, m.servoReport(-1))
		return
	}
	resp := m.decide(o, now)
	if o.dedupe != nil && resp.Code == protocol.CodeBusy {
		m.s.dedupe.forget(*o.dedupe, o.res) // not executed: a retry may run
	}
	m.publish(now, false) // before the reply: a status after it sees the effect
	if o.kind == opServo && resp.Status == protocol.StatusOK {
		resp.Type = TypeServo
		o.res.resolveWith(resp, m.servoReport(o.channel))
		return
	}
	o.res.resolve(resp)
}

func (m *motion) decide(o *op, now time.Time) protocol.Response {
	if m.lease != nil && m.lease != o.sess {
		if !m.takeover(o.sess, now) {
			return protocol.Fail(o.id, protocol.CodeBusy, "another client holds control (%s): wait until it disconnects", m.lease.describe())
		}
	}
	if o.kind == opServo {
		if m.estopped {
			return protocol.Fail(o.id, protocol.CodeEstop, "stopped: send home or reset before moving a servo")
		}
		if resp, ok := m.checkServo(o); !ok {
			return resp
		}
	}
	if o.kind == opCommand {
		if m.estopped {
			return protocol.Fail(o.id, protocol.CodeEstop, "stopped: send home or reset before new commands")
		}
		if late := now.Sub(o.recvAt); o.ttl > 0 && late > o.ttl {
			return protocol.Fail(o.id, protocol.CodeExpired, "command expired: it would start %d ms after it was received, later than its ttl_ms %d; send a fresh target",
				late.Milliseconds(), o.ttl.Milliseconds())
		}
	}
	if m.lease == nil {
		m.lease = o.sess
		m.log.Info("control lease taken", "client", o.sess.describe())
	}
	switch o.kind {
	case opServo:
		return m.applyPulse(o, now)
	case opCommand:
		m.endCalibration("command")
		copy(m.target, o.joints)
		if o.gripper != nil {
			m.gripTarget = *o.gripper
		}
		m.lastID = o.id
		m.engage(now, m.maxVel)
		return protocol.OK(o.id, protocol.MessageCommandReceived)
	case opHome:
		if m.estopped {
			m.log.Info("home clears the stop")
		}
		m.estopped = false
		m.endCalibration("home")
		copy(m.target, m.home)
		m.engage(now, m.maxVel)
		return protocol.OK(o.id, "Homing")
	default: // opReset
		if m.estopped {
			m.log.Info("reset clears the stop; the arm stays where it halted")
		}
		m.estopped = false
		copy(m.target, m.cur)
		m.gripTarget = m.grip
		if !m.released {
			m.setWatchdog(now, protocol.WatchdogOK, "reset")
		}
		return protocol.OK(o.id, "Reset")
	}
}

// engage starts a move at speed vel, powering the servos if released.
func (m *motion) engage(now time.Time, vel float64) {
	m.vel = vel
	m.released = false
	m.setWatchdog(now, protocol.WatchdogOK, "command accepted")
}

// tick advances the watchdog and the joints, and writes the servos.
func (m *motion) tick(now time.Time) {
	dt := min(max(now.Sub(m.lastTick), 0), maxStep).Seconds()
	m.lastTick = now
	m.watchdog(now)
	if !m.released {
		m.step(dt)
		if err := m.write(); err == nil && m.wd == protocol.WatchdogParking && m.reached() {
			m.parkedSince = now
			m.setWatchdog(now, protocol.WatchdogParked, "at the park pose")
		}
	}
	m.publish(now, true)
}

// watchdog moves ok → hold → parking, and parked → off, on the clock.
func (m *motion) watchdog(now time.Time) {
	cfg := m.s.cfg
	switch m.wd {
	case protocol.WatchdogOK:
		if m.lease == nil {
			m.setWatchdog(now, protocol.WatchdogHold, "no client holds control")
		} else if silent := now.Sub(m.lease.lastLine()); silent >= cfg.Watchdog {
			m.setWatchdog(now, protocol.WatchdogHold, fmt.Sprintf("the control client sent nothing for %v", silent.Round(time.Millisecond)))
		}
	case protocol.WatchdogHold:
		if m.estopped || now.Sub(m.holdSince) < cfg.ParkAfter {
			return
		}
		if m.raw == nil {
			copy(m.target, m.park)
			m.vel = m.parkV
			m.setWatchdog(now, protocol.WatchdogParking, fmt.Sprintf("held for %v", cfg.ParkAfter))
			return
		}
		// Calibrating: no calibrated way to park from a raw pulse, and a
		// servo pushed against a limit must not strain there for ever.
		if m.releaseServos() {
			m.endCalibration("watchdog")
			m.released = true
			m.setWatchdog(now, protocol.WatchdogOff, fmt.Sprintf("held for %v while calibrating: servo pulses off", cfg.ParkAfter))
		}
	case protocol.WatchdogParked:
		if now.Sub(m.parkedSince) >= cfg.ReleaseAfter && m.releaseServos() {
			m.released = true
			m.setWatchdog(now, protocol.WatchdogOff, fmt.Sprintf("parked for %v: servo pulses off", cfg.ReleaseAfter))
		}
	}
}

// releaseServos switches the servo pulses off; on failure it logs (once)
// and returns false, so the next tick tries again.
func (m *motion) releaseServos() bool {
	if err := m.s.backend.Release(); err != nil {
		m.logWriteErr(fmt.Errorf("release: %w", err))
		return false
	}
	return true
}

// setWatchdog changes the watchdog state, logging each step.
func (m *motion) setWatchdog(now time.Time, wd, why string) {
	if m.wd == wd {
		return
	}
	if wd == protocol.WatchdogHold {
		// No new motion from here on. A move in progress still ends at
		// its accepted, validated target rather than at whatever pose
		// lies between; stop is the way to freeze the arm.
		m.holdSince = now
	}
	lvl := slog.LevelInfo
	if wd != protocol.WatchdogOK {
		lvl = slog.LevelWarn
	}
	m.log.Log(context.Background(), lvl, "watchdog: "+m.wd+" → "+wd, "why", why)
	m.wd = wd
}

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

// publish stores the state for status replies and pushes an event when a
// key field changed, or periodically while moving (tick only).
func (m *motion) publish(now time.Time, tick bool) {
	st := m.snapshot(now)
	m.s.snap.Store(st)
	key := eventKey{moving: st.Moving, estopped: st.Estopped, watchdog: st.Watchdog, control: st.Control}
	switch {
	case key != m.lastKey || !m.publishedAnything:
	case tick && st.Moving && now.Sub(m.lastEvent).Seconds()*m.s.cfg.EventRate >= 1:
	default:
		return
	}
	m.lastKey, m.lastEvent, m.publishedAnything = key, now, true
	m.s.broadcast(st)
}

func (m *motion) snapshot(now time.Time) *protocol.State {
	st := &protocol.State{
		Joints:   make([]protocol.JointState, len(m.cur)),
		Gripper:  m.grip,
		Moving:   !m.released && !m.reached(),
		Estopped: m.estopped,
		LastID:   m.lastID,
		Watchdog: m.wd,
		TimeMS:   now.UnixMilli(),
	}
	for i, j := range m.s.model.Joints {
		st.Joints[i] = protocol.JointState{Name: j.Name, Deg: roundDeg(m.cur[i])}
	}
	if p, err := m.s.model.FK(m.cur); err == nil {
		st.Pose = protocol.Point{X: round3(p.X), Y: round3(p.Y), Z: round3(p.Z)}
	}
	if m.lease != nil {
		st.Control = m.lease.label()
	}
	return st
}

// shutdown halts the servos and answers everything still queued.
func (m *motion) shutdown() {
	copy(m.target, m.cur)
	m.gripTarget = m.grip
	if !m.released {
		if err := m.write(); err == nil {
			m.log.Info("shutdown: servos halted")
		}
	}
	for _, w := range m.s.takeStops() {
		w.res.resolve(protocol.Fail(w.id, protocol.CodeInternal, msgShuttingDown))
	}
	for {
		select {
		case o := <-m.s.ops:
			if o.res != nil {
				o.res.resolve(protocol.Fail(o.id, protocol.CodeInternal, msgShuttingDown))
			}
		default:
			return
		}
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
