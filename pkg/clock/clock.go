// Package clock abstracts time so that code with timeouts and periodic work
// (the controller's motion loop and watchdog) can be tested deterministically.
//
// Real returns the system clock. Fake is a manual clock for tests: time only
// moves when Advance is called, which fires every ticker and timer that fell
// due, in time order. BlockUntil lets a test wait until the code under test
// has created its tickers and timers instead of sleeping.
package clock

import "time"

// Clock tells the time and makes tickers and timers that follow it.
// Implementations are safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTicker returns a ticker that sends the time on its channel every
	// d. It drops ticks for a slow receiver, like time.Ticker. d must be
	// greater than zero.
	NewTicker(d time.Duration) Ticker
	// NewTimer returns a timer that sends the time on its channel once,
	// after d.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine (Real) or in the goroutine
	// calling Advance (Fake) once d has passed. The returned Timer's C is nil.
	AfterFunc(d time.Duration, f func()) Timer
}

// Ticker is the Clock version of *time.Ticker.
type Ticker interface {
	// C returns the channel the ticks are delivered on.
	C() <-chan time.Time
	// Stop turns the ticker off; no more ticks are sent after it returns.
	Stop()
	// Reset stops the ticker and restarts it with period d (> 0).
	Reset(d time.Duration)
}

// Timer is the Clock version of *time.Timer.
type Timer interface {
	// C returns the channel the timer fires on; nil for AfterFunc timers.
	C() <-chan time.Time
	// Stop prevents the timer from firing. It reports whether it stopped
	// the timer (false if it had already fired or been stopped).
	Stop() bool
	// Reset makes the timer fire after d from now. It reports whether the
	// timer was active.
	Reset(d time.Duration) bool
}

// Real returns the system clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{time.AfterFunc(d, f)}
}

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time   { return r.t.C }
func (r realTicker) Stop()                 { r.t.Stop() }
func (r realTicker) Reset(d time.Duration) { r.t.Reset(d) }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }
