package link

import (
	"fmt"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// entry is one request on its way through the link.
type entry struct {
	id      protocol.ID
	seq     uint64 // from the id: a larger seq is a newer request
	kind    Kind
	req     protocol.Request // as queued, id set; ttl_ms is added per write for targets
	created time.Time        // targets: Target.Created; others: when queued
	expires time.Time        // never written at or after this; zero = no deadline (stop, status, ping)

	sends     int       // writes so far
	sentAt    time.Time // last write
	deadline  time.Time // last write + AckTimeout
	notBefore time.Time // not written again before this (retry after busy)
	ttl       *int64    // ttl_ms of the first write, kept for re-sends (the controller's duplicate check compares it)
	lastErr   error     // why the last attempt got no reply (ack timeout), for the final Result if given up
}

// age is how old a request is at now.
func (e *entry) age(now time.Time) time.Duration { return now.Sub(e.created) }

// expired reports whether e's deadline has passed at now.
func (e *entry) expired(now time.Time) bool { return !e.expires.IsZero() && !now.Before(e.expires) }

// next removes and returns the request to write now, or nil. Priority:
// stops (beyond the window), then re-sends from a lost connection, the
// discrete FIFO, the target slot. Requests past their deadline are dropped
// first.
func (l *Link) next(now time.Time, window int) *entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expireLocked(now)
	if len(l.stops) > 0 {
		e := l.stops[0]
		l.stops = l.stops[1:]
		return e
	}
	if len(l.inflight) >= window {
		return nil
	}
	// A re-send waiting out a busy reply holds back the FIFO behind it.
	if len(l.resend) > 0 && !now.Before(l.resend[0].notBefore) {
		e := l.resend[0]
		l.resend = l.resend[1:]
		return e
	}
	if len(l.resend) == 0 && len(l.queue) > 0 {
		e := l.queue[0]
		l.queue[0] = nil
		l.queue = l.queue[1:]
		return e
	}
	e := l.target
	if e == nil || now.Before(e.notBefore) {
		return nil
	}
	l.target = nil
	return e
}

// retryAtLocked returns the earliest future time a held-back request may
// be written, or the zero time. l.mu must be held.
func (l *Link) retryAtLocked(now time.Time) time.Time {
	var at time.Time
	consider := func(e *entry) {
		if e != nil && e.notBefore.After(now) && (at.IsZero() || e.notBefore.Before(at)) {
			at = e.notBefore
		}
	}
	consider(l.target)
	if len(l.resend) > 0 {
		consider(l.resend[0])
	}
	return at
}

// expireLocked gives every request waiting past its deadline (the slot's
// target, queued and lost discrete commands) its final expired Result:
// none of them is ever written. l.mu must be held.
func (l *Link) expireLocked(now time.Time) {
	if e := l.target; e != nil && e.expired(now) {
		l.target = nil
		l.drop(e, now, ErrTargetExpired, l.cfg.MaxTargetAge)
	}
	keep := func(q []*entry) []*entry {
		out := q[:0]
		for _, e := range q {
			if e.expired(now) {
				l.drop(e, now, ErrCommandExpired, l.cfg.MaxCommandAge)
				continue
			}
			out = append(out, e)
		}
		clear(q[len(out):])
		return out
	}
	l.resend = keep(l.resend)
	l.queue = keep(l.queue)
}

// drop finishes e as expired, saying how late it is and why it got no
// reply before, if it was written. l.mu must be held.
func (l *Link) drop(e *entry, now time.Time, why *Error, limit time.Duration) {
	l.m.dropped++
	err := fmt.Errorf("%w (waited %v, deadline %v; link %s)", why, e.age(now).Round(time.Millisecond), limit, l.m.state)
	if e.lastErr != nil {
		err = fmt.Errorf("%w after %w", err, e.lastErr)
	}
	l.finishLocked(e, err)
}

func (l *Link) expire(now time.Time) {
	l.mu.Lock()
	l.expireLocked(now)
	l.mu.Unlock()
}

// nextExpiry returns the earliest deadline of a request waiting to be
// written, or the zero time.
func (l *Link) nextExpiry() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nextExpiryLocked()
}

// nextExpiryLocked is nextExpiry with l.mu held.
func (l *Link) nextExpiryLocked() time.Time {
	var at time.Time
	for _, t := range [...]time.Time{l.targetExpiryLocked(), firstExpiry(l.resend), firstExpiry(l.queue)} {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	return at
}

// targetExpiryLocked is the slot target's deadline, or zero.
func (l *Link) targetExpiryLocked() time.Time {
	if l.target == nil {
		return time.Time{}
	}
	return l.target.expires
}

// firstExpiry is the deadline of the first request in q that has one (a
// stop, status or ping has none): the earliest, since q holds requests in
// the order they were made and each lives MaxCommandAge. Zero if none.
func firstExpiry(q []*entry) time.Time {
	for _, e := range q {
		if !e.expires.IsZero() {
			return e.expires
		}
	}
	return time.Time{}
}

// requeueLost sorts out what was in flight when a connection ended: stops
// are re-sent first; in v1 mode discrete requests are re-sent with the same
// id and the newest target goes back to the slot (unless a newer one is
// there); anything else gets its final Result now.
func (l *Link) requeueLost(legacy bool, cause error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var stops []*entry
	for _, e := range l.inflight {
		lost := e.lastErr
		if lost == nil {
			// Why a request kept for a re-send got no reply here, for its
			// final Result should it expire before one.
			lost = fmt.Errorf("%w (%w)", ErrConnLost, cause)
			e.lastErr = lost
		}
		switch {
		case e.kind == KindStop:
			stops = append(stops, e)
		case e.kind == KindPing:
			l.finishLocked(e, lost)
		case legacy:
			l.finishLocked(e, fmt.Errorf("%w (legacy mode: no id to deduplicate a re-send)", lost))
		case e.kind == KindTarget:
			l.restoreTargetLocked(e)
		default:
			l.resend = append(l.resend, e)
		}
	}
	clear(l.inflight)
	l.inflight = l.inflight[:0]
	l.inflightN.Store(0)
	l.stops = append(stops, l.stops...)
}

// restoreTargetLocked puts an unanswered target back in the slot, unless
// the slot holds a newer one, so only the newest target is ever re-sent.
func (l *Link) restoreTargetLocked(e *entry) {
	old := l.target
	if old != nil && old.seq > e.seq {
		l.m.replaced++
		l.finishLocked(e, fmt.Errorf("%w while awaiting its reply (newer id %s)", ErrReplaced, old.id))
		return
	}
	if old != nil {
		l.m.replaced++
		l.finishLocked(old, fmt.Errorf("%w (newer id %s)", ErrReplaced, e.id))
	}
	l.target = e
}

// failAll gives every request still held its final ErrClosed Result.
func (l *Link) failAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	all := append(append(append([]*entry{}, l.inflight...), l.stops...), l.resend...)
	all = append(all, l.queue...)
	if l.target != nil {
		all = append(all, l.target)
	}
	for _, e := range all {
		l.finishLocked(e, fmt.Errorf("%w before the request was answered", ErrClosed))
	}
	l.inflight, l.stops, l.resend, l.queue, l.target = nil, nil, nil, nil, nil
	l.inflightN.Store(0)
}
