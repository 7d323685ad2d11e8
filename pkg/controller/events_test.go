package controller

import (
	"bufio"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// TestEventsOnChangeAndRateLimited: a subscriber gets the state at once,
// every change of moving/watchdog/control, and at most EventRate periodic
// events per second while moving.
func TestEventsOnChangeAndRateLimited(t *testing.T) {
	const rate = 5
	slow := armfile.Default()
	slow.Motion.MaxJointSpeedDegS = 20 // every move below takes seconds
	h := newHarnessArm(t, Config{EventRate: rate, Watchdog: time.Hour}, slow)
	m := h.dial()
	wantOK(t, m.do(`{"type":"hello","version":1,"role":"monitor"}`), "hello "+m.conn.LocalAddr().String()+", role monitor")
	m.send(`{"type":"subscribe","id":1}`)
	if r := m.recv(); r.Message != "Subscribed" || r.ID != "1" {
		t.Fatalf("subscribe reply %+v; it must come before any event", r)
	}
	if ev := m.recv(); ev.Type != protocol.TypeEvent || ev.State.Watchdog != protocol.WatchdogOff {
		t.Fatalf("first event %+v, want the current state", ev)
	}

	c := h.dial()
	wantOK(t, c.do(`{"type":"hello","version":1,"client":"bridge"}`), "hello bridge, role control")
	wantOK(t, c.do(`{"type":"command","x":120,"y":-100,"z":250}`), protocol.MessageCommandReceived)
	ev := m.recv() // the command changed control, watchdog and moving
	if ev.Type != protocol.TypeEvent || !ev.State.Moving || ev.State.Control != "bridge" || ev.State.Watchdog != protocol.WatchdogOK {
		t.Fatalf("event after the command %+v", ev.State)
	}

	// Over one second of steady motion, exactly `rate` periodic events.
	before := h.srv.broadcasts.Load()
	h.step(50) // 1 s at 50 Hz
	if !h.srv.State().Moving {
		t.Fatal("the move ended early; pick a farther target")
	}
	if got := h.srv.broadcasts.Load() - before; got != rate {
		t.Fatalf("%d events in 1 s of motion, want %d (EventRate)", got, rate)
	}
	h.stepUntil(500, "arrive", func(st protocol.State) bool { return !st.Moving })
	deadline := time.Now().Add(waitFor)
	for {
		ev := m.recv()
		if ev.Type == protocol.TypeEvent && !ev.State.Moving {
			break // the stop of motion is pushed
		}
		if time.Now().After(deadline) {
			t.Fatal("no event for the end of the motion")
		}
	}
}

// dialSmallWindow connects with a tiny receive buffer, so a client that
// does not read backs the server up quickly.
func dialSmallWindow(t *testing.T, addr string) *client {
	t.Helper()
	d := net.Dialer{Timeout: waitFor, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// stallSubscriber keeps the arm moving (through c) until the writer of the
// subscribed session has been stuck in a Write for 100 ms on a client that
// does not read. Every tick must still be processed meanwhile: step fails
// if the motion loop is blocked.
func (h *harness) stallSubscriber(c *client) *session {
	h.t.Helper()
	var sub *session
	eventually(h.t, "subscriber registered", func() bool {
		h.srv.subsMu.Lock()
		defer h.srv.subsMu.Unlock()
		for s := range h.srv.subs {
			sub = s
		}
		return sub != nil
	})
	targets := []string{`{"type":"command","x":120,"y":-100,"z":250}`, `{"type":"command","x":200,"y":100,"z":100}`}
	deadline := time.Now().Add(waitFor)
	for i := 0; ; i++ {
		if since := sub.writingNS.Load(); since != 0 && time.Since(time.Unix(0, since)) > 100*time.Millisecond {
			return sub
		}
		if time.Now().After(deadline) {
			h.t.Fatal("the subscriber's writer never got stuck")
		}
		if !h.srv.State().Moving {
			wantOK(h.t, c.do(targets[i%2]), protocol.MessageCommandReceived)
		}
		h.step(1)
	}
}

// TestSlowSubscriberNeverBlocksMotion: a subscriber that stops reading
// loses events (counted) while the motion loop and other clients carry on.
func TestSlowSubscriberNeverBlocksMotion(t *testing.T) {
	h := newHarness(t, Config{EventRate: 1000, Watchdog: time.Hour, WriteTimeout: time.Hour})
	slow := dialSmallWindow(t, h.addr)
	wantOK(t, slow.do(`{"type":"subscribe"}`), "Subscribed") // and never reads again

	c := h.dial()
	sub := h.stallSubscriber(c)
	if sub.drops.Load() == 0 || h.srv.Stats().EventsDropped == 0 {
		t.Fatal("no event dropped for a subscriber that does not read")
	}
	wantOK(t, c.do(`{"type":"status"}`), "status")
	h.step(50)
	if h.srv.Stats().Clients != 2 {
		t.Fatalf("clients %d, want both still connected", h.srv.Stats().Clients)
	}
}

func TestSlowSubscriberClosedAfterWriteTimeout(t *testing.T) {
	h := newHarness(t, Config{EventRate: 1000, Watchdog: time.Hour, WriteTimeout: 200 * time.Millisecond})
	slow := dialSmallWindow(t, h.addr)
	wantOK(t, slow.do(`{"type":"subscribe"}`), "Subscribed")
	c := h.dial()
	wantOK(t, c.do(`{"type":"ping"}`), "pong")
	targets := []string{`{"type":"command","x":120,"y":-100,"z":250}`, `{"type":"command","x":200,"y":100,"z":100}`}
	// The motion loop keeps ticking (step would fail otherwise) until the
	// subscriber's writer has been stuck for WriteTimeout and gives up.
	// Bounded by wall time, not by a step count: the write deadline is real
	// time, and a step takes far less without -race than with it.
	deadline := time.Now().Add(waitFor)
	for i := 0; h.srv.Stats().Clients == 2; i++ {
		if time.Now().After(deadline) {
			t.Fatal("the slow subscriber was never closed")
		}
		if !h.srv.State().Moving {
			wantOK(t, c.do(targets[i%2]), protocol.MessageCommandReceived)
		}
		h.step(1)
	}
	wantOK(t, c.do(`{"type":"ping"}`), "pong")
}

// TestCloseWithStuckClient: a client that stopped reading does not hold up
// the shutdown for its WriteTimeout.
func TestCloseWithStuckClient(t *testing.T) {
	h := newHarness(t, Config{EventRate: 1000, Watchdog: time.Hour, WriteTimeout: time.Hour})
	slow := dialSmallWindow(t, h.addr)
	wantOK(t, slow.do(`{"type":"subscribe"}`), "Subscribed")
	h.stallSubscriber(h.dial())
	closed := make(chan error, 1)
	go func() { closed <- h.srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitFor):
		t.Fatal("Close waited on a client that does not read")
	}
}
