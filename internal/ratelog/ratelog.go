// Package ratelog writes repeated log events as at most two lines per key
// per interval: the first event at once, and one summary with the count of
// the others when the interval ends. A peer that fails a thousand times a
// second then costs the log two lines a minute, not a thousand a second.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/clock"
)

// MaxKeys bounds how many keys a Limiter tracks; past it, events of new
// keys are counted under one overflow key, so a peer with many addresses
// cannot grow the map.
const MaxKeys = 4096

// overflowKey collects the events of keys past MaxKeys.
const overflowKey = "\x00overflow"

// Limiter logs events at one level, one line per key per interval plus a
// summary. It is safe for concurrent use. Call Close to write the pending
// summaries.
type Limiter struct {
	log   *slog.Logger
	level slog.Level
	every time.Duration
	clk   clock.Clock

	mu     sync.Mutex
	keys   map[string]*entry
	pruned time.Time // last prune: at most one per interval
	closed bool
}

// entry is one key's current interval.
type entry struct {
	since  time.Time // when the interval's first event was logged
	more   int       // events since, not logged yet
	msg    string    // the newest event's message and attributes
	args   []any
	summed clock.Timer // writes the summary at the interval's end; nil when more == 0
}

// New returns a Limiter writing to log at level, one line per key per
// every (> 0), timed by clk.
func New(log *slog.Logger, level slog.Level, every time.Duration, clk clock.Clock) *Limiter {
	return &Limiter{log: log, level: level, every: every, clk: clk, keys: make(map[string]*entry)}
}

// Interval returns the interval passed to New.
func (l *Limiter) Interval() time.Duration { return l.every }

// Log logs msg with args now if key had no event logged within the
// interval; otherwise it counts it for the key's summary line, which then
// carries the newest event's msg and args plus "repeated" (the count) and
// "within" (the interval).
func (l *Limiter) Log(key, msg string, args ...any) {
	now := l.clk.Now()
	l.mu.Lock()
	e, ok := l.keys[key]
	if !ok && len(l.keys) >= MaxKeys-1 {
		l.pruneLocked(now)
		if len(l.keys) >= MaxKeys-1 { // the last place is the overflow key's
			key = overflowKey
			e, ok = l.keys[key]
		}
	}
	if ok && e.more == 0 && now.Sub(e.since) >= l.every {
		ok = false // the key's interval ended without repeats: start a new one
	}
	if !ok {
		l.keys[key] = &entry{since: now}
		l.mu.Unlock()
		l.log.Log(context.Background(), l.level, msg, args...)
		return
	}
	e.more++
	e.msg, e.args = msg, args
	if e.summed == nil && !l.closed {
		e.summed = l.clk.AfterFunc(max(e.since.Add(l.every).Sub(now), 0), func() { l.summarise(key) })
	}
	l.mu.Unlock()
}

// summarise writes key's summary line and forgets the key.
func (l *Limiter) summarise(key string) {
	l.mu.Lock()
	e, ok := l.keys[key]
	if !ok || e.more == 0 {
		l.mu.Unlock()
		return
	}
	delete(l.keys, key)
	l.mu.Unlock()
	l.write(e)
}

func (l *Limiter) write(e *entry) {
	args := append(append([]any(nil), e.args...), "repeated", e.more, "within", l.every.String())
	l.log.Log(context.Background(), l.level, e.msg, args...)
}

// pruneLocked forgets keys whose interval ended without repeats, at most
// once per interval. Called with l.mu held.
func (l *Limiter) pruneLocked(now time.Time) {
	if !l.pruned.IsZero() && now.Sub(l.pruned) < l.every {
		return
	}
	l.pruned = now
	for k, e := range l.keys {
		if e.more == 0 && now.Sub(e.since) >= l.every {
			delete(l.keys, k)
		}
	}
}

// Close writes every pending summary now and stops the timers; later
// events are still logged, one per key, without summaries being scheduled.
func (l *Limiter) Close() {
	l.mu.Lock()
	l.closed = true
	var pending []*entry
	for k, e := range l.keys {
		if e.summed != nil {
			e.summed.Stop()
		}
		if e.more > 0 {
			pending = append(pending, e)
		}
		delete(l.keys, k)
	}
	l.mu.Unlock()
	for _, e := range pending {
		l.write(e)
	}
}
