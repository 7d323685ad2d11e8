package clock

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/aether-lab/aether-bridge/pkg/servo/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// The sim servo backend takes the Fake as its clock.
var _ sim.Clock = (*Fake)(nil)

func recv(t *testing.T, c <-chan time.Time) (time.Time, bool) {
	t.Helper()
	select {
	case v := <-c:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestFakeTicker(t *testing.T) {
	f := NewFake(t0)
	tk := f.NewTicker(20 * time.Millisecond)
	defer tk.Stop()
	f.Advance(19 * time.Millisecond)
	if _, ok := recv(t, tk.C()); ok {
		t.Fatal("tick before the period elapsed")
	}
	f.Advance(time.Millisecond)
	if at, ok := recv(t, tk.C()); !ok || !at.Equal(t0.Add(20*time.Millisecond)) {
		t.Fatalf("tick = %v, %v; want one at +20ms", at, ok)
	}
	// Five periods at once: the channel holds one tick, the rest drop,
	// and the one kept is the first, like time.Ticker.
	f.Advance(100 * time.Millisecond)
	if at, ok := recv(t, tk.C()); !ok || !at.Equal(t0.Add(40*time.Millisecond)) {
		t.Fatalf("tick = %v, %v; want the +40ms one", at, ok)
	}
	if _, ok := recv(t, tk.C()); ok {
		t.Fatal("more than one tick buffered")
	}
	if got := f.Now(); !got.Equal(t0.Add(120 * time.Millisecond)) {
		t.Fatalf("Now = %v, want +120ms", got)
	}
	tk.Reset(50 * time.Millisecond)
	f.Advance(49 * time.Millisecond)
	if _, ok := recv(t, tk.C()); ok {
		t.Fatal("tick before the new period elapsed")
	}
	f.Advance(time.Millisecond)
	if _, ok := recv(t, tk.C()); !ok {
		t.Fatal("no tick after Reset period")
	}
	tk.Stop()
	f.Advance(time.Second)
	if _, ok := recv(t, tk.C()); ok {
		t.Fatal("tick after Stop")
	}
	if f.Waiters() != 0 {
		t.Fatalf("Waiters = %d after Stop, want 0", f.Waiters())
	}
}

func TestFakeTimerOrderAndNow(t *testing.T) {
	f := NewFake(t0)
	var order []string
	var seen []time.Duration
	f.AfterFunc(30*time.Millisecond, func() {
		order = append(order, "b")
		seen = append(seen, f.Since(t0))
	})
	f.AfterFunc(10*time.Millisecond, func() {
		order = append(order, "a")
		seen = append(seen, f.Since(t0))
	})
	stopped := f.AfterFunc(20*time.Millisecond, func() { order = append(order, "never") })
	if !stopped.Stop() {
		t.Fatal("Stop of an active timer = false")
	}
	if stopped.Stop() {
		t.Fatal("second Stop = true")
	}
	f.Advance(time.Second)
	if len(order) != 2 || order[0] != "a" || order[1] != "b" {
		t.Fatalf("fired %v, want [a b]", order)
	}
	if seen[0] != 10*time.Millisecond || seen[1] != 30*time.Millisecond {
		t.Fatalf("Now during callbacks = %v, want [10ms 30ms]", seen)
	}

	tm := f.NewTimer(time.Second)
	if tm.Reset(2*time.Second) != true {
		t.Fatal("Reset of an active timer reported inactive")
	}
	f.Advance(time.Second)
	if _, ok := recv(t, tm.C()); ok {
		t.Fatal("timer fired at its old deadline after Reset")
	}
	f.Advance(time.Second)
	if _, ok := recv(t, tm.C()); !ok {
		t.Fatal("timer did not fire at its new deadline")
	}
	if tm.Stop() {
		t.Fatal("Stop after firing = true")
	}
}

func TestFakeBlockUntil(t *testing.T) {
	f := NewFake(t0)
	done := make(chan struct{})
	ticks := make(chan time.Time, 1)
	go func() {
		defer close(done)
		tk := f.NewTicker(time.Second)
		defer tk.Stop()
		ticks <- <-tk.C()
	}()
	if !f.BlockUntil(1) {
		t.Fatal("BlockUntil(1) timed out")
	}
	f.Advance(time.Second)
	if got := <-ticks; !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("goroutine got tick %v", got)
	}
	<-done
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.BlockUntilContext(ctx, 5); err == nil {
		t.Fatal("BlockUntilContext with a cancelled context returned nil")
	}
}

func TestRealClock(t *testing.T) {
	c := Real()
	before := time.Now()
	if c.Now().Before(before) {
		t.Fatal("Real().Now went backwards")
	}
	tk := c.NewTicker(time.Millisecond)
	defer tk.Stop()
	select {
	case <-tk.C():
	case <-time.After(10 * time.Second):
		t.Fatal("real ticker never ticked")
	}
	fired := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(fired) })
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("real AfterFunc never fired")
	}
	tm := c.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatal("Stop of a fresh real timer = false")
	}
}
