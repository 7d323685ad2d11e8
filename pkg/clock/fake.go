package clock

import (
	"context"
	"sync"
	"time"
)

// Fake is a manual Clock for tests. Its time only moves when Advance is
// called; Advance fires every ticker and timer that falls due, one at a
// time in time order, so the outcome never depends on goroutine scheduling.
// A Fake is safe for concurrent use; its zero value is not usable, call
// NewFake.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	waiters []*fakeWaiter // active tickers and timers
	changed chan struct{} // closed and replaced whenever waiters changes
}

// NewFake returns a fake clock reading start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Since returns the fake time elapsed since t.
func (f *Fake) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

// NewTicker returns a ticker driven by Advance. Its channel holds one tick;
// further ticks are dropped until it is read, as with time.Ticker. It
// panics if d <= 0, as time.NewTicker does.
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	w := &fakeWaiter{f: f, period: d, ch: make(chan time.Time, 1)}
	f.add(w, d)
	return fakeTicker{w}
}

// NewTimer returns a timer driven by Advance. d <= 0 fires on the next
// Advance (even Advance(0)).
func (f *Fake) NewTimer(d time.Duration) Timer {
	w := &fakeWaiter{f: f, ch: make(chan time.Time, 1)}
	f.add(w, d)
	return w
}

// AfterFunc arranges for fn to be called by Advance, in Advance's
// goroutine, once d has passed.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	w := &fakeWaiter{f: f, fn: fn}
	f.add(w, d)
	return w
}

// Advance moves the clock forward by d, firing every ticker and timer that
// falls due on the way in time order (ties in creation order). While a
// waiter fires, Now reads its due time. A negative d is treated as zero.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	end := f.now.Add(max(d, 0))
	f.mu.Unlock()
	for {
		f.mu.Lock()
		w := f.next(end)
		if w == nil {
			if f.now.Before(end) {
				f.now = end
			}
			f.mu.Unlock()
			return
		}
		at := w.when
		f.now = at
		if w.period > 0 {
			w.when = w.when.Add(w.period)
		} else {
			f.remove(w)
		}
		f.mu.Unlock()
		w.fire(at)
	}
}

// Waiters returns the number of active tickers and timers.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// BlockUntil waits until at least n tickers and timers are active, so a
// test can be sure the code under test is waiting on the clock before it
// calls Advance. It waits at most a minute, then returns false, so that a
// broken test fails instead of hanging.
func (f *Fake) BlockUntil(n int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return f.BlockUntilContext(ctx, n) == nil
}

// BlockUntilContext is BlockUntil with a caller-chosen deadline: it returns
// ctx.Err() if ctx ends before n tickers and timers are active.
func (f *Fake) BlockUntilContext(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		got, changed := len(f.waiters), f.changed
		f.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// next returns the earliest waiter due at or before end, or nil. Called
// with f.mu held.
func (f *Fake) next(end time.Time) *fakeWaiter {
	var best *fakeWaiter
	for _, w := range f.waiters {
		if w.when.After(end) {
			continue
		}
		if best == nil || w.when.Before(best.when) || (w.when.Equal(best.when) && w.seq < best.seq) {
			best = w
		}
	}
	return best
}

func (f *Fake) add(w *fakeWaiter, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.when = f.now.Add(d)
	f.seq++
	w.seq = f.seq
	w.active = true
	f.waiters = append(f.waiters, w)
	f.notify()
}

// remove deactivates w; it reports whether w was active. Called with f.mu
// held.
func (f *Fake) remove(w *fakeWaiter) bool {
	if !w.active {
		return false
	}
	w.active = false
	for i, x := range f.waiters {
		if x == w {
			f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
			break
		}
	}
	f.notify()
	return true
}

// notify wakes BlockUntil callers. Called with f.mu held.
func (f *Fake) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// fakeWaiter is a Fake ticker (period > 0), timer (ch set) or AfterFunc
// timer (fn set).
type fakeWaiter struct {
	f      *Fake
	when   time.Time // next due time; guarded by f.mu
	period time.Duration
	ch     chan time.Time
	fn     func()
	seq    uint64 // creation order, for ties
	active bool   // guarded by f.mu
}

func (w *fakeWaiter) fire(at time.Time) {
	if w.fn != nil {
		w.fn()
		return
	}
	select {
	case w.ch <- at:
	default: // receiver is behind: drop, as time.Ticker does
	}
}

// C returns the tick channel (nil for AfterFunc timers).
func (w *fakeWaiter) C() <-chan time.Time { return w.ch }

// Stop deactivates the ticker or timer and reports whether it was active.
func (w *fakeWaiter) Stop() bool {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	return w.f.remove(w)
}

// Reset re-arms the timer (or ticker, with a new period) to fire d from
// now, and reports whether it was active.
func (w *fakeWaiter) Reset(d time.Duration) bool {
	w.f.mu.Lock()
	was := w.f.remove(w)
	if w.period > 0 {
		if d <= 0 {
			w.f.mu.Unlock()
			panic("clock: non-positive interval for Ticker.Reset")
		}
		w.period = d
	}
	w.f.mu.Unlock()
	w.f.add(w, d)
	return was
}

// fakeTicker adapts a fakeWaiter to Ticker, whose methods return nothing.
type fakeTicker struct{ w *fakeWaiter }

func (t fakeTicker) C() <-chan time.Time   { return t.w.ch }
func (t fakeTicker) Stop()                 { t.w.Stop() }
func (t fakeTicker) Reset(d time.Duration) { t.w.Reset(d) }

var (
	_ Timer  = (*fakeWaiter)(nil)
	_ Ticker = fakeTicker{}
	_ Clock  = (*Fake)(nil)
)
