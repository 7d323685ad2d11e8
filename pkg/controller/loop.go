package controller

import (
	"context"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// run is the motion loop: stops first, then what fell due on the clock,
// then requests in arrival order. It returns when ctx ends, after halting
// the servos.
//
// It wakes only when there is something to do: the servo ticker runs only
// while a move is under way (or a servo write must be retried), and the
// watchdog is one timer armed for its next deadline (docs/protocol.md §7).
// At rest, and with the servos released, nothing wakes it but a request.
func (m *motion) run(ctx context.Context) {
	defer m.stopClocks()
	for {
		m.pollStop()
		m.armClocks()
		select {
		case <-ctx.Done():
			m.shutdown()
			return
		case <-m.s.stopNotify:
			m.stop()
		case o := <-m.s.ops:
			m.pollStop() // a stop read after o was queued still goes first
			m.pollDue()  // and so does what fell due before it
			m.handle(o)
		case <-m.tickC():
			m.onTick()
		case <-m.wdC():
			m.onWatchdog()
		}
	}
}

// onTick runs one servo tick.
func (m *motion) onTick() {
	m.tick(m.s.clock.Now())
	if m.s.afterTick != nil {
		m.s.afterTick()
	}
}

// onWatchdog runs the watchdog when its timer fired.
func (m *motion) onWatchdog() {
	m.wdAt = time.Time{} // fired: armClocks sets the next deadline
	now := m.s.clock.Now()
	m.watchdog(now)
	m.publish(now, false)
}

// pollDue handles a tick or watchdog deadline that has already fired, so a
// request read after it sees its effect.
func (m *motion) pollDue() {
	select {
	case <-m.tickC():
		m.onTick()
	default:
	}
	select {
	case <-m.wdC():
		m.onWatchdog()
	default:
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
		m.log.Warn("stop: holding position; commands are refused until reset")
	}
	for _, w := range waiters {
		m.latchStop(w.sess)
	}
	m.halt()
	if m.wd == protocol.WatchdogParking || m.wd == protocol.WatchdogParked {
		// Latched, the arm only holds: no park and no release (§7).
		m.setWatchdog(now, protocol.WatchdogHold, "stop while "+m.wd)
	}
	var err error
	if !m.released {
		err = m.write()
	}
	m.publish(now, false)
	m.armClocks()
	for _, w := range waiters {
		if err != nil {
			w.res.resolve(protocol.Fail(w.id, protocol.CodeInternal, "stop is latched but the servos could not be told to halt: %v", err))
		} else {
			w.res.resolve(protocol.OK(w.id, "Stopped"))
		}
	}
}

// engage starts a move at speed vel, powering the servos if released;
// under a latched stop (torque on) it only powers them.
func (m *motion) engage(now time.Time, vel float64) {
	m.vel = vel
	m.released = false
	if m.estopped { // torque on under a latched stop: powered, but held
		m.setWatchdog(now, protocol.WatchdogHold, "torque on while stopped")
		return
	}
	m.setWatchdog(now, protocol.WatchdogOK, "command accepted")
}

// tick advances the joints and writes the servos.
func (m *motion) tick(now time.Time) {
	dt := min(max(now.Sub(m.lastTick), 0), maxStep).Seconds()
	m.lastTick = now
	if m.s.fb != nil {
		m.sense(now)
	}
	if !m.released && dt > 0 { // two ticks read at one time (a late loop) integrate nothing
		m.step(dt)
		if err := m.write(); err == nil && m.wd == protocol.WatchdogParking && m.reached() {
			m.parkedSince = now
			m.setWatchdog(now, protocol.WatchdogParked, "at the park pose")
		}
	}
	m.publish(now, true)
}

// publish stores the state for status replies and pushes an event when a
// key field changed, or periodically while moving (tick only); after a
// tick also to subscribers that asked for states at a rate. An event
// carries the time of the tick it describes.
func (m *motion) publish(now time.Time, tick bool) {
	st := m.snapshot(now)
	m.s.snap.Store(st)
	key := eventKey{moving: st.Moving, estopped: st.Estopped, watchdog: st.Watchdog, control: st.Control}
	sent := true
	switch {
	case key != m.lastKey || !m.publishedAnything:
	case tick && st.Moving && now.Sub(m.lastEvent).Seconds()*m.s.cfg.EventRate >= 1:
	default:
		sent = false
	}
	if sent {
		m.lastKey, m.lastEvent, m.publishedAnything = key, now, true
		m.s.broadcast(st)
	}
	if tick {
		m.s.broadcastTick(st, now, sent)
	}
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
	if m.s.fb != nil {
		m.addMeasured(st)
	}
	return st
}

// shutdown halts the servos and answers everything still queued.
func (m *motion) shutdown() {
	m.halt()
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

// needsTick reports whether the servos need ticks: a move or a park is
// under way, or the last servo write or release failed and is retried.
// A servo at rest holds its last pulse by itself.
func (m *motion) needsTick() bool {
	if m.writeErr != "" || m.s.fb != nil { // servos with feedback are read every tick
		return true
	}
	return !m.released && m.raw == nil && !m.reached()
}

// armClocks starts or stops the servo ticker and (re)arms the watchdog
// timer for the next deadline, after every event the loop handled.
func (m *motion) armClocks() {
	now := m.s.clock.Now()
	switch need := m.needsTick(); {
	case need && m.ticker == nil:
		m.ticker = m.s.clock.NewTicker(m.s.cfg.tickPeriod())
		m.lastTick = now // the first tick integrates one period, not the idle time
	case !need && m.ticker != nil:
		m.ticker.Stop()
		m.ticker = nil
	}
	at := m.nextDeadline()
	if at.Equal(m.wdAt) {
		return
	}
	if m.wdTimer != nil {
		m.wdTimer.Stop()
		m.wdTimer = nil
	}
	m.wdAt = at
	if !at.IsZero() {
		m.wdTimer = m.s.clock.NewTimer(at.Sub(now))
	}
}

// stopClocks stops the ticker and the watchdog timer.
func (m *motion) stopClocks() {
	if m.ticker != nil {
		m.ticker.Stop()
	}
	if m.wdTimer != nil {
		m.wdTimer.Stop()
	}
}

// tickC and wdC are the ticker's and the watchdog timer's channels; nil
// (never ready) when not armed.
func (m *motion) tickC() <-chan time.Time {
	if m.ticker == nil {
		return nil
	}
	return m.ticker.C()
}

func (m *motion) wdC() <-chan time.Time {
	if m.wdTimer == nil {
		return nil
	}
	return m.wdTimer.C()
}
