package controller

import (
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// TestGripperChangeWhileParkingKeepsParkSpeed: the client goes quiet, the
// watchdog parks the arm slowly, then the client comes back with a gripper
// change only. The arm goes on to where it was going (docs/protocol.md §3),
// but a gripper change must not make it go there faster: the park move
// keeps park_speed_deg_s.
func TestGripperChangeWhileParkingKeepsParkSpeed(t *testing.T) {
	cfg := Config{Watchdog: 500 * time.Millisecond, ParkAfter: time.Second, ReleaseAfter: 400 * time.Millisecond}
	h := newHarness(t, cfg)
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.stepUntil(200, "parking", func(st protocol.State) bool { return st.Watchdog == protocol.WatchdogParking })
	h.step(3) // under way to the park pose

	wantOK(t, c.do(`{"type":"command","gripper":"close"}`), protocol.MessageCommandReceived)
	perTick := armfile.DefaultParkSpeedDeg*h.period.Seconds() + 1e-6
	prev := jointsDeg(h.srv.State())
	for range 20 {
		h.step(1)
		cur := jointsDeg(h.srv.State())
		if d := maxAbsDiff(prev, cur); d > perTick {
			t.Fatalf("after a gripper change a joint moved %.3f° in a tick, faster than park_speed_deg_s (%.3f° per tick)", d, perTick)
		}
		prev = cur
	}
}

// TestStopWhileParkedKeepsTorque: a stop sent while the arm rests parked
// latches like any other: the arm holds there and is not made limp when
// the release timeout passes (docs/protocol.md §7), until a reset.
func TestStopWhileParkedKeepsTorque(t *testing.T) {
	cfg := Config{Watchdog: 100 * time.Millisecond, ParkAfter: 200 * time.Millisecond, ReleaseAfter: 400 * time.Millisecond}
	h := newHarness(t, cfg)
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.stepUntil(1000, "parked", func(st protocol.State) bool { return st.Watchdog == protocol.WatchdogParked })
	wantOK(t, c.do(`{"type":"stop"}`), "Stopped")
	h.step(100) // 2 s: far past the release timeout
	if st := h.srv.State(); st.Watchdog != protocol.WatchdogHold || !st.Estopped || h.sim.Released() {
		t.Fatalf("stop while parked: watchdog %q estopped %v released %v; want holding with torque on", st.Watchdog, st.Estopped, h.sim.Released())
	}
}
