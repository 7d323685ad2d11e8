package controller

import (
	"log/slog"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// opKind says what a request to the motion loop wants.
type opKind int

const (
	opCommand   opKind = iota // move to joints (and gripper)
	opHome                    // move to the home pose
	opReset                   // clear the stop latch, stay put
	opLeave                   // the session closed or became a monitor: drop its lease
	opServo                   // drive one servo with a raw pulse (calibration)
	opServoList               // report the servos' pulses and calibrations
	opResume                  // hello with resume: give the lease back to a client reconnecting
	opBarrier                 // answered once everything due before it was handled (tests)
	opTorque                  // switch bus-servo torque on (recovering a fault) or off
)

// String names the request type of k, for messages.
func (k opKind) String() string {
	switch k {
	case opCommand:
		return "command"
	case opHome:
		return "home"
	case opReset:
		return "reset"
	case opTorque:
		return "torque"
	}
	return "request"
}

// op is one request to the motion loop. Everything in it was validated by
// the session; the motion loop only decides lease, latch and ttl.
type op struct {
	kind    opKind
	sess    *session
	id      protocol.ID
	joints  []float64 // opCommand: target, rad, model frame; nil keeps the current target (a gripper change)
	gripper *float64  // opCommand: nil keeps the current gripper target
	on      bool      // opTorque: true holds, false goes limp
	recvAt  time.Time // when the line was read (Clock)
	ttl     time.Duration
	res     *result    // answered by the motion loop; nil for opLeave
	dedupe  *dedupeKey // set when the reply is cached for replays
	channel int        // opServo: servo board channel
	pulseUS int        // opServo: raw pulse width, µs
}

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
	vel               float64 // joint speed of the current move, rad/s: maxVel, or parkV while parking (scales every limit)
	lim               limits  // trajectory limits from the arm file
	tr                traj    // trajectory state
	still             deadband
	estopped          bool
	stoppers          []*session // who sent stop while latched (docs/protocol.md §8)
	released          bool       // pulses off
	wd                string     // protocol.Watchdog*
	holdSince         time.Time
	parkedSince       time.Time
	lease             *session
	lastID            protocol.ID
	lastTick          time.Time
	ticker            clock.Ticker // runs only while needsTick; nil otherwise
	wdTimer           clock.Timer  // armed for wdAt; nil when nothing is due
	wdAt              time.Time    // the watchdog deadline wdTimer is armed for
	releaseRetry      time.Time    // after a failed release: not before then
	lastEvent         time.Time
	lastKey           eventKey
	writeErr          string      // last servo write error logged, "" when healthy
	raw               map[int]int // calibrating: channel → raw pulse µs; nil otherwise
	publishedAnything bool
	fault             string    // servo fault holding the arm (feedback backends), "" none
	lastRecover       time.Time // last torque-on recovery attempt
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
	m.lim = limits{
		vmaxJ: s.arm.JointSpeedLimits(), amaxJ: s.arm.JointAccelLimits(),
		toolV: s.arm.Motion.MaxToolSpeedMMS, toolA: s.arm.Motion.MaxToolAccelMMS2,
	}
	m.tr.qv = make([]float64, len(park))
	m.still = newDeadband(s.arm.Motion.DeadbandMM)
	if s.fb != nil {
		m.seedFromMeasured()
	}
	m.publish(s.clock.Now(), false)
	return m
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

// resume gives the lease to sess after its hello asked to resume control:
// when nobody holds it, or when a connection of the same client name does
// (the client reconnected before its old connection was noticed gone). An
// arm held because the client left is then fed again; one already parking
// or parked stays so until a command, and one held by a latched stop or a
// servo fault stays held until reset or torque on.
func (m *motion) resume(sess *session, now time.Time) {
	name := sess.clientName()
	switch {
	case m.lease == sess:
		return
	case m.lease != nil && (name == "" || m.lease.clientName() != name):
		m.log.Info("cannot resume control: another client holds it", "client", sess.describe(), "holder", m.lease.describe())
		return
	}
	m.log.Info("control lease resumed by a client reconnecting", "client", sess.describe())
	m.lease = sess
	if m.wd == protocol.WatchdogHold && !m.released && !m.estopped && m.fault == "" { // a stop or fault holds on
		m.setWatchdog(now, protocol.WatchdogOK, "control resumed")
	}
	m.publish(now, false)
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
	if o.kind == opResume {
		m.resume(o.sess, now)
		return
	}
	if o.kind == opBarrier {
		m.armClocks()
		o.res.resolve(protocol.Response{Status: protocol.StatusOK})
		return
	}
	if o.kind == opServoList {
		o.res.resolveWith(protocol.Response{Status: protocol.StatusOK, Message: "servos", Type: TypeServo, ID: o.id}, m.servoReport(-1))
		return
	}
	resp := m.decide(o, now)
	m.armClocks() // before the reply: the move's first tick is one period from now
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
	if o.kind == opReset && m.estopped {
		// Clearing a stop moves nothing, so it needs no lease; it needs
		// to come from whoever latched it.
		if resp, late := expired(o, now); late {
			return resp
		}
		if ok, by := m.mayReset(o.sess); !ok {
			return protocol.Fail(o.id, protocol.CodeEstop, "the stop was latched by %s: only that client may reset it (any control client may once it has disconnected)", by)
		}
		m.clearStop(o.sess, now)
		return protocol.OK(o.id, "Reset")
	}
	if m.lease != nil && m.lease != o.sess {
		if !m.takeover(o.sess, now) {
			return protocol.Fail(o.id, protocol.CodeBusy, "another client holds control (%s): wait until it disconnects", m.lease.describe())
		}
	}
	if o.kind == opServo {
		if m.estopped {
			return m.latched(o, "move the servo")
		}
		if resp, ok := m.checkServo(o); !ok {
			return resp
		}
	}
	if o.kind == opCommand || o.kind == opHome {
		if resp, held := m.refuseOnFault(o.id); held {
			return resp
		}
	}
	switch {
	case o.kind == opCommand && m.estopped:
		return m.latched(o, "send new commands")
	case o.kind == opHome && m.estopped:
		return m.latched(o, "home")
	}
	if resp, late := expired(o, now); late {
		return resp
	}
	if m.lease == nil {
		m.lease = o.sess
		m.log.Info("control lease taken", "client", o.sess.describe())
	}
	switch o.kind {
	case opTorque:
		return m.applyTorque(o, now)
	case opServo:
		return m.applyPulse(o, now)
	case opCommand:
		return m.applyCommand(o, now)
	case opHome:
		m.endCalibration("home")
		m.still.reset()
		copy(m.target, m.home)
		m.engage(now, m.maxVel)
		return protocol.OK(o.id, "Homing")
	default: // opReset
		m.halt()
		if !m.released && m.fault == "" { // a fault holds on until torque on
			m.setWatchdog(now, protocol.WatchdogOK, "reset")
		}
		return protocol.OK(o.id, "Reset")
	}
}

// applyCommand starts an accepted command: a new target (through the
// deadband) and/or a gripper change.
func (m *motion) applyCommand(o *op, now time.Time) protocol.Response {
	m.endCalibration("command")
	if o.joints != nil {
		if q := m.still.filter(m.s.model, o.joints, m.goal(), now); q != nil {
			copy(m.target, q)
		}
	}
	if o.gripper != nil {
		m.gripTarget = *o.gripper
	}
	m.lastID = o.id
	vel := m.maxVel
	if o.joints == nil {
		// A gripper change keeps the arm's move as it is, speed
		// included: a park under way goes on at park speed.
		vel = m.vel
	}
	m.engage(now, vel)
	return protocol.OK(o.id, protocol.MessageCommandReceived)
}

// expired is the reply to o when it would start later than its ttl_ms.
func expired(o *op, now time.Time) (protocol.Response, bool) {
	if late := now.Sub(o.recvAt); o.ttl > 0 && late > o.ttl {
		return protocol.Fail(o.id, protocol.CodeExpired, "%s expired: it would start %d ms after it was received, later than its ttl_ms %d; send it again",
			o.kind, late.Milliseconds(), o.ttl.Milliseconds()), true
	}
	return protocol.Response{}, false
}
