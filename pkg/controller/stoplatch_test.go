package controller

import (
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// The panel's STOP is not undone by the bridge's ordinary traffic: its
// commands and home get estop, its reset is refused while the panel is
// connected; the panel's own reset clears it.
func TestPanelStopSurvivesBridgeTraffic(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	bridge := h.dial()
	wantOK(t, bridge.do(`{"type":"hello","version":1,"client":"aether_bridge"}`), "hello aether_bridge, role control")
	wantOK(t, bridge.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.step(3)
	panel := h.dial()
	wantOK(t, panel.do(`{"type":"hello","version":1,"client":"panel-1"}`), "hello panel-1, role control")
	wantOK(t, panel.do(`{"type":"stop"}`), "Stopped")
	halted := jointsDeg(h.srv.State())

	wantCode(t, bridge.do(`{"type":"command","x":150,"y":0,"z":150}`), protocol.CodeEstop, "send reset first, then send new commands")
	wantCode(t, bridge.do(`{"type":"home"}`), protocol.CodeEstop, "send reset first, then home")
	wantCode(t, bridge.do(`{"type":"command","gripper":"close"}`), protocol.CodeEstop, "send reset first")
	wantCode(t, bridge.do(`{"type":"reset"}`), protocol.CodeEstop, "latched by panel-1 at 127.0.0.1:", "only that client may reset it")
	h.step(5)
	if st := h.srv.State(); !st.Estopped || st.Moving || !sameJoints(jointsDeg(st), halted, 0) {
		t.Fatalf("the bridge's traffic moved a stopped arm: %+v (halted at %v)", st, halted)
	}

	// The panel resets without holding the lease; the bridge moves again.
	wantOK(t, panel.do(`{"type":"reset"}`), "Reset")
	if st := h.srv.State(); st.Estopped || st.Control != "aether_bridge" {
		t.Fatalf("after the panel's reset: %+v, want not stopped, lease still the bridge's", st)
	}
	wantOK(t, bridge.do(`{"type":"command","x":150,"y":0,"z":150}`), protocol.MessageCommandReceived)
	if !h.srv.State().Moving {
		t.Fatal("the bridge's command after reset did not move the arm")
	}
}

// Once every client that sent stop has gone, any control client may reset
// (nobody else could); a client reconnecting under the same name may reset
// its own stop; a monitor's stop is any control client's to reset.
func TestWhoMayResetAStop(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	bridge := h.dial()
	wantOK(t, bridge.do(`{"type":"hello","version":1,"client":"aether_bridge"}`), "hello aether_bridge, role control")
	panel := h.dial()
	wantOK(t, panel.do(`{"type":"hello","version":1,"client":"panel-1"}`), "hello panel-1, role control")
	wantOK(t, panel.do(`{"type":"stop"}`), "Stopped")
	wantCode(t, bridge.do(`{"type":"reset"}`), protocol.CodeEstop, "panel-1")
	panel.conn.Close()
	eventually(t, "bridge may reset after the panel left", func() bool {
		return bridge.do(`{"type":"reset"}`).Status == protocol.StatusOK
	})

	// The bridge's own stop, reset after a reconnect under the same name.
	wantOK(t, bridge.do(`{"type":"stop"}`), "Stopped")
	again := h.dial()
	wantOK(t, again.do(`{"type":"hello","version":1,"client":"aether_bridge"}`), "hello aether_bridge, role control")
	other := h.dial()
	wantCode(t, other.do(`{"type":"reset"}`), protocol.CodeEstop, "aether_bridge at 127.0.0.1:")
	wantOK(t, again.do(`{"type":"reset"}`), "Reset")

	// A monitor may stop; it cannot reset, so any control client may.
	mon := h.dial()
	wantOK(t, mon.do(`{"type":"hello","version":1,"client":"dash","role":"monitor"}`), "hello dash, role monitor")
	wantOK(t, mon.do(`{"type":"stop"}`), "Stopped")
	wantCode(t, mon.do(`{"type":"reset"}`), protocol.CodeUnauthorized, "monitor")
	wantOK(t, other.do(`{"type":"reset"}`), "Reset")
	if st := h.srv.State(); st.Estopped {
		t.Fatalf("still stopped: %+v", st)
	}
}
