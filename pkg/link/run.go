package link

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/transport"
)

// errReconnect ends a connection on Reconnect().
var errReconnect = errors.New("reconnect requested")

// run is the outer loop: connect, serve until the connection is lost, wait
// out the backoff, again; until Close. It owns every connection, one at a
// time, and on exit settles every request still held.
func (l *Link) run() {
	defer func() {
		l.failAll()
		l.setState(StateClosed, "Close called")
		l.disp.close()
	}()
	backoff := l.cfg.BackoffInitial
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			l.mu.Lock()
			l.m.reconnects++
			l.mu.Unlock()
		}
		select { // a Reconnect asked for before this attempt is served by it
		case <-l.reconnect:
		default:
		}
		established, err := l.connect()
		if l.ctx.Err() != nil {
			return
		}
		if established {
			backoff = l.cfg.BackoffInitial
		}
		if errors.Is(err, errReconnect) {
			l.log.Info("reconnecting on request")
			continue
		}
		wait := l.jitter(backoff)
		backoff = min(2*backoff, l.cfg.BackoffMax)
		l.setState(StateBackoff, fmt.Sprintf("%v; next attempt in %v", err, wait.Round(time.Millisecond)))
		if !l.backoff(wait) {
			return
		}
	}
}

// jitter spreads d by ± BackoffJitter.
func (l *Link) jitter(d time.Duration) time.Duration {
	f := 1 + l.cfg.BackoffJitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

// backoff waits d, cut short by Reconnect, dropping targets that go stale
// meanwhile. It returns false when the link is closing.
func (l *Link) backoff(d time.Duration) bool {
	done := time.NewTimer(d)
	defer done.Stop()
	expire := time.NewTimer(time.Hour)
	defer expire.Stop()
	for {
		expire.Stop()
		if at := l.nextExpiry(); !at.IsZero() {
			expire.Reset(time.Until(at))
		}
		select {
		case <-l.ctx.Done():
			return false
		case <-done.C:
			return true
		case <-l.reconnect:
			return true
		case <-l.wake: // maybe a new request: re-arm the expiry
		case now := <-expire.C:
			l.expire(now)
		}
	}
}

// connect dials, says hello and serves the connection until it ends.
// established reports whether hello completed (which resets the backoff).
func (l *Link) connect() (established bool, err error) {
	l.expire(time.Now())
	l.setState(StateConnecting, "dialing "+l.cfg.Addr)
	nc, err := l.dial(l.tls)
	if err != nil {
		return false, fmt.Errorf("dial: %w", err)
	}
	c := transport.New(nc, 0)
	stop := context.AfterFunc(l.ctx, func() { c.Close() }) // Close must not wait out a hello
	defer stop()

	legacy, err := l.handshake(c)
	if err != nil {
		if errors.Is(err, ErrAckTimeout) {
			l.mu.Lock()
			l.m.ackTimeouts++
			l.mu.Unlock()
		}
		c.Close()
		return false, err
	}
	// A new connection may be a restarted server, its arm anywhere: what
	// the last one was sent says nothing of where this arm is.
	l.mu.Lock()
	l.legacy = legacyMemory{}
	l.mu.Unlock()
	if legacy {
		l.setState(StateLegacy, "seed-protocol server at "+c.RemoteAddr().String())
	} else {
		l.setState(StateConnected, "hello answered by "+c.RemoteAddr().String())
	}
	err = l.runInner(c, legacy)
	if l.ctx.Err() == nil {
		l.log.Warn("connection lost", "err", err, "legacy", legacy)
		l.requeueLost(legacy, err)
	}
	return true, err
}

// runInner writes and matches replies on one connection until it fails,
// and closes it. All writes happen here; a reader goroutine feeds replies.
func (l *Link) runInner(c *transport.Conn, legacy bool) error {
	ctx, cancel := context.WithCancel(l.ctx)
	in := make(chan inbound, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); readLoop(ctx, c, in) }()
	defer func() {
		cancel()
		c.Close()
		wg.Wait()
	}()

	window := l.cfg.MaxInFlight
	if legacy {
		window = 1 // a seed server may not expect pipelining
	}
	since := time.Now()
	lastSend := since
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := l.fill(c, legacy, window, &lastSend); err != nil {
			return err
		}
		now := time.Now()
		if err := l.checkDeadlines(now); err != nil {
			return err
		}
		timer.Reset(l.nextWake(now, legacy, window, lastSend))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.reconnect:
			return errReconnect
		case <-l.wake:
		case <-timer.C:
		case m := <-in:
			if m.err != nil {
				return m.err
			}
			if err := l.handleReply(m, legacy, since); err != nil {
				return err
			}
		}
	}
}

// fill writes everything next() allows, then a ping if the connection has
// been quiet for HeartbeatInterval (v1 mode).
func (l *Link) fill(c *transport.Conn, legacy bool, window int, lastSend *time.Time) error {
	for {
		now := time.Now()
		e := l.next(now, window)
		if e == nil {
			if legacy || now.Sub(*lastSend) < l.cfg.HeartbeatInterval || int(l.inflightN.Load()) >= window {
				return nil
			}
			id, seq := nextID()
			e = &entry{id: id, seq: seq, kind: KindPing, req: protocol.Request{Type: protocol.TypePing, ID: id}, created: now}
		}
		l.mu.Lock()
		req := l.wireRequest(e, now)
		if legacy {
			if err := l.legacy.complete(&req); err != nil {
				l.finishLocked(e, err)
				l.mu.Unlock()
				continue
			}
		}
		e.sends++
		e.sentAt, e.deadline, e.lastErr = now, now.Add(l.cfg.AckTimeout), nil
		l.inflight = append(l.inflight, e)
		l.inflightN.Store(int64(len(l.inflight)))
		l.m.sent++
		l.mu.Unlock()
		*lastSend = now
		// A failed write may have reached the controller: e stays in
		// flight and is settled like any request of a lost connection.
		if err := l.write(c, &req, legacy); err != nil {
			return fmt.Errorf("write %s %s: %w", e.kind, e.id, err)
		}
	}
}

// checkDeadlines fails the connection if a reply is overdue.
func (l *Link) checkDeadlines(now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var late *entry
	for _, e := range l.inflight {
		if now.Before(e.deadline) {
			continue
		}
		e.lastErr = fmt.Errorf("%w (%v) for %s %s", ErrAckTimeout, l.cfg.AckTimeout, e.kind, e.id)
		l.m.ackTimeouts++
		if late == nil {
			late = e
		}
	}
	if late != nil {
		return fmt.Errorf("%w: no reply to %s %s within %v", ErrAckTimeout, late.kind, late.id, l.cfg.AckTimeout)
	}
	return nil
}

// nextWake is how long runInner may wait for something to happen: the
// earliest reply deadline, the next heartbeat, a held-back request's
// retry time. Only times that can make fill write something count, so a
// full window never spins on a due heartbeat.
func (l *Link) nextWake(now time.Time, legacy bool, window int, lastSend time.Time) time.Duration {
	wake := now.Add(time.Hour)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.inflight) < window {
		if !legacy {
			wake = lastSend.Add(l.cfg.HeartbeatInterval)
		}
		if at := l.retryAtLocked(now); !at.IsZero() && at.Before(wake) {
			wake = at
		}
	}
	// A request waiting behind a full window (or behind a status or ping,
	// which have no deadline) still gets its expired Result on time.
	if at := l.nextExpiryLocked(); !at.IsZero() && at.Before(wake) {
		wake = at
	}
	for _, e := range l.inflight {
		if e.deadline.Before(wake) {
			wake = e.deadline
		}
	}
	return max(wake.Sub(now), 0)
}

// handleReply settles the request a reply answers: by id, or in legacy
// mode by order.
func (l *Link) handleReply(m inbound, legacy bool, since time.Time) error {
	if m.resp.Type == protocol.TypeEvent {
		l.telemetry(m.resp)
		return nil
	}
	if !legacy && m.resp.ID.IsZero() {
		// Every v1 request carries an id, so this answers none of them: a
		// notice such as "controller shutting down", or the reply to a line
		// that arrived garbled. Start over; pending requests are re-sent.
		return fmt.Errorf("controller sent an error without id: %s (code %s)", m.resp.Message, m.resp.Code)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	i := -1
	if legacy {
		if len(l.inflight) > 0 {
			i = 0
		}
	} else {
		for j, e := range l.inflight {
			if e.id == m.resp.ID {
				i = j
				break
			}
		}
	}
	if i < 0 {
		return fmt.Errorf("controller sent a reply for no pending request (id %s, status %s, message %.80q)", m.resp.ID, m.resp.Status, m.resp.Message)
	}
	e := l.inflight[i]
	l.inflight = append(l.inflight[:i], l.inflight[i+1:]...)
	l.inflightN.Store(int64(len(l.inflight)))
	rtt := m.at.Sub(e.sentAt)
	l.m.acked++
	l.m.addRTT(rtt)
	if !legacy && m.resp.Code == protocol.CodeBusy && m.at.Sub(since) < l.cfg.BusyGrace && e.kind != KindPing {
		// Right after a reconnect the controller may not have noticed yet
		// that our previous connection is gone, and that one still holds
		// the control lease. A busy request was not executed (nor cached
		// as a duplicate), so it is re-sent, same id, a little later.
		e.notBefore = m.at.Add(l.cfg.BackoffInitial)
		l.log.Info("controller busy right after reconnecting: retrying", "id", e.id, "reply", m.resp.Message)
		if e.kind == KindTarget {
			l.restoreTargetLocked(e)
		} else {
			l.resend = append([]*entry{e}, l.resend...)
		}
		return nil
	}
	l.finishWith(e, m.resp, nil, rtt)
	l.telemetry(m.resp)
	return nil
}

// setState records and reports a state change.
func (l *Link) setState(s State, reason string) {
	l.mu.Lock()
	l.m.state = s
	l.disp.state(StateChange{State: s, Reason: reason, At: time.Now()})
	l.mu.Unlock()
	switch s {
	case StateBackoff:
		l.log.Warn("link down", "reason", reason)
	case StateConnecting:
		l.log.Debug("connecting", "reason", reason)
	default:
		l.log.Info("link "+s.String(), "reason", reason)
	}
}
