package controller

import (
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// A command with only a gripper changes the gripper and keeps the arm's
// target: the arm stays where it was sent, even mid-move.
func TestGripperOnlyCommandKeepsTheTarget(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","id":1,"x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.step(2) // on its way
	wantOK(t, c.do(`{"type":"command","id":2,"gripper":"close"}`), protocol.MessageCommandReceived)
	h.stepUntil(500, "move finished", func(st protocol.State) bool { return !st.Moving })
	st := h.srv.State()
	if !near(st.Pose.X, 200, 1e-2) || !near(st.Pose.Y, 0, 1e-2) || !near(st.Pose.Z, 100, 1e-2) {
		t.Fatalf("arm at %+v after a gripper change, want the target (200, 0, 100)", st.Pose)
	}
	if st.Gripper != 1 {
		t.Fatalf("gripper %v, want 1 (closed)", st.Gripper)
	}

	// After home, a gripper change leaves the arm at home.
	wantOK(t, c.do(`{"type":"home","id":3}`), "Homing")
	h.stepUntil(500, "homed", func(st protocol.State) bool { return !st.Moving })
	home := h.srv.State().Pose
	wantOK(t, c.do(`{"type":"command","id":4,"gripper":"open"}`), protocol.MessageCommandReceived)
	h.stepUntil(500, "gripper opened", func(st protocol.State) bool { return !st.Moving })
	if got := h.srv.State().Pose; got != home {
		t.Fatalf("a gripper change moved the arm from home %+v to %+v", home, got)
	}
}

// ttl_ms bounds home and reset too: a home that would start late is
// refused and the arm does not move.
func TestTTLBoundsHome(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","id":1,"x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.stallInServoWrite()
	c.send(`{"type":"home","id":2,"ttl_ms":100}`)
	eventually(t, "home queued", func() bool { return len(h.srv.ops) == 1 })
	h.clk.Advance(150 * time.Millisecond)
	h.servos.open()
	wantCode(t, c.recvReply(), protocol.CodeExpired, "home expired", "ttl_ms 100")
}

// A client that held control and reconnects with "resume" holds it again,
// so its idle arm is fed, not parked; another client cannot resume it.
func TestResumeKeepsControlAcrossAReconnect(t *testing.T) {
	h := newHarness(t, Config{Watchdog: 500 * time.Millisecond, ParkAfter: time.Second})
	old := h.dial()
	wantOK(t, old.do(`{"type":"hello","version":1,"client":"bridge-a"}`), "hello bridge-a, role control")
	wantOK(t, old.do(seedLine), protocol.MessageCommandReceived)
	h.stepUntil(500, "move finished", func(st protocol.State) bool { return !st.Moving })
	old.conn.Close()
	eventually(t, "lease released and the arm held after the disconnect", func() bool {
		st := h.srv.State()
		return st.Control == "" && st.Watchdog == protocol.WatchdogHold
	})

	other := h.dial()
	wantOK(t, other.do(`{"type":"hello","version":1,"client":"dash","resume":true}`), "hello dash, role control")
	eventually(t, "a client that never held control resumes a free lease", func() bool { return h.srv.State().Control == "dash" })
	wantOK(t, other.do(`{"type":"hello","version":1,"client":"dash","role":"monitor"}`), "hello dash, role monitor")
	eventually(t, "lease free again", func() bool { return h.srv.State().Control == "" })

	again := h.dial()
	wantOK(t, again.do(`{"type":"hello","version":1,"client":"bridge-a","resume":true}`), "hello bridge-a, role control")
	eventually(t, "control resumed", func() bool {
		st := h.srv.State()
		return st.Control == "bridge-a" && st.Watchdog == protocol.WatchdogOK
	})
	// Idle but talking (pings) for longer than ParkAfter: never parked.
	for range 30 {
		wantOK(t, again.do(`{"type":"ping"}`), "pong")
		h.clk.Advance(100 * time.Millisecond)
	}
	h.step(1)
	if st := h.srv.State(); st.Watchdog != protocol.WatchdogOK || st.Control != "bridge-a" {
		t.Fatalf("after 3 s of pings: watchdog %q, control %q; want ok, bridge-a", st.Watchdog, st.Control)
	}

	thief := h.dial()
	wantOK(t, thief.do(`{"type":"hello","version":1,"client":"other","resume":true}`), "hello other, role control")
	wantCode(t, thief.do(seedLine), protocol.CodeBusy, "bridge-a")
}

// stallInServoWrite lets the motion loop start a move, then holds it inside
// its next servo write (until h.servos.open), so requests queue up behind it.
func (h *harness) stallInServoWrite() {
	h.t.Helper()
	h.step(1)
	h.servos.close()
	h.clk.Advance(h.period)
	select {
	case <-h.servos.entered:
	case <-time.After(waitFor):
		h.t.Fatal("motion loop never wrote the servos")
	}
}

// A client that latched a stop and reconnects with "resume" gets control
// back, but the arm stays held: the watchdog does not report ok while the
// stop is latched.
func TestResumeUnderALatchedStopStaysHeld(t *testing.T) {
	h := newHarness(t, Config{Watchdog: 500 * time.Millisecond, ParkAfter: time.Second})
	old := h.dial()
	wantOK(t, old.do(`{"type":"hello","version":1,"client":"bridge-a"}`), "hello bridge-a, role control")
	wantOK(t, old.do(seedLine), protocol.MessageCommandReceived)
	h.step(2)
	wantOK(t, old.do(`{"type":"stop"}`), "Stopped")
	old.conn.Close()
	eventually(t, "lease released", func() bool { return h.srv.State().Control == "" })

	again := h.dial()
	wantOK(t, again.do(`{"type":"hello","version":1,"client":"bridge-a","resume":true}`), "hello bridge-a, role control")
	eventually(t, "control resumed", func() bool { return h.srv.State().Control == "bridge-a" })
	if st := h.srv.State(); st.Watchdog != protocol.WatchdogHold || !st.Estopped {
		t.Fatalf("resumed under a latched stop: watchdog %q estopped %v, want hold, latched", st.Watchdog, st.Estopped)
	}
}
