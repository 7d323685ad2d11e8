package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// The watchdog is timer-driven: hold, park and pulses-off come at their
// configured times to the millisecond, not at the next 50 Hz tick, for
// watchdogs that are no multiple of the tick period (the issue: 100 ms held
// after up to 119 ms).
func TestWatchdogOnTime(t *testing.T) {
	for _, wd := range []time.Duration{MinWatchdog, 73 * time.Millisecond, 100 * time.Millisecond, 1234 * time.Millisecond} {
		t.Run(wd.String(), func(t *testing.T) {
			cfg := Config{Watchdog: wd, ParkAfter: 333 * time.Millisecond, ReleaseAfter: 77 * time.Millisecond}
			h := newHarness(t, cfg)
			h.clk.Advance(7 * time.Millisecond) // the line comes between two ticks
			c := h.dial()
			wantOK(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
			start := h.clk.Now()
			// at is when, stepping 1 ms at a time, the watchdog first reads want.
			at := func(want string) time.Duration {
				t.Helper()
				for range 60000 {
					if h.srv.State().Watchdog == want {
						return h.clk.Now().Sub(start)
					}
					h.clk.Advance(time.Millisecond)
					h.sync()
				}
				t.Fatalf("watchdog never reached %s: %+v", want, h.srv.State())
				return 0
			}
			within := func(what string, got, want time.Duration) {
				t.Helper()
				if got < want || got > want+want/10 {
					t.Errorf("%s after %v, want %v (+10 %% at most)", what, got, want)
				}
			}
			hold := at(protocol.WatchdogHold)
			within("hold", hold, wd)
			within("parking", at(protocol.WatchdogParking)-hold, cfg.ParkAfter)
			parked := at(protocol.WatchdogParked)
			within("pulses off", at(protocol.WatchdogOff)-parked, cfg.ReleaseAfter)
		})
	}
}

// Idle costs nothing: no ticker runs while the arm is at rest or released,
// so the motion loop does not wake up; the watchdog timer is armed only
// while a deadline is pending.
func TestIdleArmsNoClocks(t *testing.T) {
	h := newHarness(t, Config{Watchdog: 500 * time.Millisecond, ParkAfter: time.Second, ReleaseAfter: time.Second})
	if n := h.clk.Waiters(); n != 0 {
		t.Fatalf("%d timers armed on a fresh controller with the servos off, want none", n)
	}
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	if n := h.clk.Waiters(); n != 2 {
		t.Fatalf("%d timers armed while moving, want the ticker and the watchdog", n)
	}
	for h.srv.State().Moving { // pings keep control: at rest, watchdog ok
		h.step(10)
		wantOK(t, c.do(`{"type":"ping"}`), "pong")
	}
	ticks := h.ticks.Load()
	for range 10 {
		h.clk.Advance(300 * time.Millisecond)
		h.sync()
		wantOK(t, c.do(`{"type":"ping"}`), "pong")
		if n := h.clk.Waiters(); n != 1 {
			t.Fatalf("%d timers armed at rest, want only the watchdog's", n)
		}
	}
	if got := h.ticks.Load() - ticks; got != 0 {
		t.Fatalf("%d servo ticks in 3 s at rest, want none", got)
	}
	// Silent: hold, park (ticks again), pulses off; then nothing at all.
	h.stepUntil(1000, "off", func(st protocol.State) bool { return st.Watchdog == protocol.WatchdogOff })
	h.sync()
	if n := h.clk.Waiters(); n != 0 {
		t.Fatalf("%d timers armed with the servos off, want none", n)
	}
	ticks = h.ticks.Load()
	h.clk.Advance(time.Minute)
	h.sync()
	if got := h.ticks.Load() - ticks; got != 0 {
		t.Fatalf("%d ticks in a minute with the servos off, want none", got)
	}
}

// Config refuses a watchdog below the floor, naming the field and unit.
func TestWatchdogFloor(t *testing.T) {
	for _, wd := range []time.Duration{time.Nanosecond, 49 * time.Millisecond} {
		err := Config{Watchdog: wd}.Validate()
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("Watchdog: %v is below the floor of 50ms", wd)) {
			t.Errorf("Watchdog %v: %v, want refused below the 50ms floor", wd, err)
		}
	}
	if err := (Config{Watchdog: MinWatchdog}).Validate(); err != nil {
		t.Errorf("Watchdog at the floor refused: %v", err)
	}
}
