package link_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/controller"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/link/internal/fakectl"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Commands given while the controller is down expire with one Result that
// says the controller was unreachable, and are never sent once it is up;
// a stop given meanwhile is kept and sent first.
func TestCommandsWhileTheControllerIsDownNeverRunLate(t *testing.T) {
	leakCheck(t)
	port := testutil.HoldPort(t)
	var rec recorder
	cfg := rec.config(port.Addr)
	cfg.MaxCommandAge = 150 * time.Millisecond
	cfg.MaxTargetAge = 150 * time.Millisecond
	l := newLink(t, cfg)
	waitFor(t, 10*time.Second, "the link to fail its first dial", func() bool { return rec.stateSeen(link.StateBackoff) })

	home := mustSend(t, l, protocol.Request{Type: protocol.TypeHome})
	g := protocol.Gripper(1)
	grip := mustSend(t, l, protocol.Request{Type: protocol.TypeCommand, Gripper: &g})
	target := l.SetTarget(link.Target{X: 120, Y: 35.5, Z: 210})
	stop := l.Stop()
	for _, c := range []struct {
		id   protocol.ID
		want *link.Error
	}{{home, link.ErrCommandExpired}, {grip, link.ErrCommandExpired}, {target, link.ErrTargetExpired}} {
		res := rec.one(t, c.id)
		if !errors.Is(res.Err, c.want) || res.Sends != 0 {
			t.Fatalf("%s: %+v, want %v and never sent", res.Request.Type, res, c.want)
		}
		if msg := res.Err.Error(); !strings.Contains(msg, "controller was unreachable") || strings.Contains(msg, "MaxCommandAge") {
			t.Errorf("message %q: want it to say the controller was unreachable, without Go names", msg)
		}
	}

	srv := startServerOn(t, port, fakectl.ModeV1, "")
	if res := rec.one(t, stop); !res.OK() {
		t.Fatalf("stop kept for the reconnect: %+v", res)
	}
	// A probe after the stop: once it ran, anything the link still held would have run too.
	probe := mustSend(t, l, protocol.Request{Type: protocol.TypeReset})
	if res := rec.one(t, probe); !res.OK() {
		t.Fatalf("probe: %+v", res)
	}
	var ran []string
	for _, e := range srv.Executions() {
		ran = append(ran, string(e.Req.Type))
	}
	if strings.Join(ran, ",") != "stop,reset" {
		t.Fatalf("controller executed %v, want only the kept stop and the probe", ran)
	}
}

// A command that waits behind a full window gets its expired Result at its
// deadline, also when a request without a deadline (status) waits ahead of
// it, not only once the request in flight times out.
func TestACommandBehindAFullWindowExpiresOnTime(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeMute, "") // answers hello, never a request
	var rec recorder
	cfg := rec.config(srv.Addr())
	cfg.MaxInFlight = 1
	cfg.AckTimeout = time.Minute
	cfg.MaxCommandAge = 100 * time.Millisecond
	l := newLink(t, cfg)
	waitState(t, l, link.StateConnected)

	home := mustSend(t, l, protocol.Request{Type: protocol.TypeHome}) // fills the window
	waitFor(t, 10*time.Second, "the home in flight", func() bool { return l.Metrics().Sent >= 1 })
	mustSend(t, l, protocol.Request{Type: protocol.TypeStatus})
	g := protocol.Gripper(1)
	grip := mustSend(t, l, protocol.Request{Type: protocol.TypeCommand, Gripper: &g})
	if res := rec.one(t, grip); !errors.Is(res.Err, link.ErrCommandExpired) || res.Sends != 0 {
		t.Fatalf("gripper behind a full window: %+v, want ErrCommandExpired, never sent", res)
	}
	if rec.has(home) {
		t.Fatal("the gripper's Result waited for the home's ack timeout")
	}
}

// A seed-protocol server needs a position in every command: a gripper
// change gets the position the link last sent to that server, never a
// guess, and is refused before any was sent.
func TestLegacyGripperChangeUsesTheLastPositionSent(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeSeed, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	waitState(t, l, link.StateLegacy)

	g := protocol.Gripper(1)
	early := mustSend(t, l, protocol.Request{Type: protocol.TypeCommand, Gripper: &g})
	if res := rec.one(t, early); !errors.Is(res.Err, link.ErrNeedsPosition) {
		t.Fatalf("gripper change before any target: %+v, want ErrNeedsPosition", res)
	}
	if res := rec.one(t, l.SetTarget(link.Target{X: 120, Y: 35.5, Z: 210})); !res.OK() {
		t.Fatalf("target: %+v", res)
	}
	if res := rec.one(t, mustSend(t, l, protocol.Request{Type: protocol.TypeCommand, Gripper: &g})); !res.OK() {
		t.Fatalf("gripper change: %+v", res)
	}
	want := `{"type":"command","x":120,"y":35.5,"z":210,"gripper":"open"}` + "\n" +
		`{"type":"command","x":120,"y":35.5,"z":210,"gripper":"close"}`
	if got := executedLines(srv); got != want {
		t.Fatalf("seed server executed\n%s\nwant\n%s", got, want)
	}
}

// What a seed server was sent before a reconnect or a stop says nothing of
// where its arm is now (it may have restarted, or halted): a gripper change
// then needs a new target first, and never replays the old position.
func TestLegacyGripperChangeForgetsThePositionOnReconnectAndStop(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeSeed, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	waitState(t, l, link.StateLegacy)
	g := protocol.Gripper(1)
	gripperOnly := func() protocol.Request { return protocol.Request{Type: protocol.TypeCommand, Gripper: &g} }

	if res := rec.one(t, l.SetTarget(link.Target{X: 120, Y: 35.5, Z: 210})); !res.OK() {
		t.Fatalf("target: %+v", res)
	}
	l.Reconnect()
	waitFor(t, 5*time.Second, "a new legacy connection", func() bool { return srv.Accepted() >= 2 && l.Metrics().State == link.StateLegacy })
	if res := rec.one(t, mustSend(t, l, gripperOnly())); !errors.Is(res.Err, link.ErrNeedsPosition) {
		t.Fatalf("gripper change after a reconnect: %+v, want ErrNeedsPosition", res)
	}

	if res := rec.one(t, l.SetTarget(link.Target{X: 150, Y: 0, Z: 200})); !res.OK() {
		t.Fatalf("target: %+v", res)
	}
	rec.one(t, l.Stop()) // the seed server refuses it; one that knows stop halts short of the target
	if res := rec.one(t, mustSend(t, l, gripperOnly())); !errors.Is(res.Err, link.ErrNeedsPosition) {
		t.Fatalf("gripper change after a stop: %+v, want ErrNeedsPosition", res)
	}

	want := `{"type":"command","x":120,"y":35.5,"z":210,"gripper":"open"}` + "\n" +
		`{"type":"command","x":150,"y":0,"z":200,"gripper":"open"}`
	if got := executedLines(srv); got != want {
		t.Fatalf("seed server executed\n%s\nwant only the two targets\n%s", got, want)
	}
}

// A link that held the control lease resumes it after a reconnect, so the
// controller never parks its idle arm; it sends no motion to get it back.
func TestControlResumesAfterAReconnect(t *testing.T) {
	leakCheck(t)
	ctl := startController(t, "127.0.0.1:0", nil, func(c *controller.Config) {
		c.Watchdog = 200 * time.Millisecond
		c.ParkAfter = 300 * time.Millisecond
	})
	var rec recorder
	cfg := rec.config(ctl.addr)
	cfg.Subscribe = true
	l := newLink(t, cfg)
	waitState(t, l, link.StateConnected)
	if res := rec.one(t, l.SetTarget(link.Target{X: 120, Y: 35.5, Z: 210})); !res.OK() {
		t.Fatalf("target: %+v", res)
	}
	waitFor(t, 10*time.Second, "the link to see itself holding control", func() bool {
		tel := rec.telemetry()
		return len(tel) > 0 && tel[len(tel)-1].Control == cfg.ClientName
	})
	seen := len(rec.telemetry())
	l.Reconnect()
	waitFor(t, 10*time.Second, "a reconnect", func() bool {
		m := l.Metrics()
		return m.Reconnects >= 1 && m.State == link.StateConnected
	})
	waitFor(t, 10*time.Second, "control resumed with the watchdog fed", func() bool {
		st := ctl.srv.State()
		return st.Control == cfg.ClientName && st.Watchdog == protocol.WatchdogOK
	})
	// Idle for three park delays (the behaviour under test is about time
	// passing): pings keep the lease and the watchdog fed.
	<-time.After(900 * time.Millisecond)
	if st := ctl.srv.State(); st.Watchdog != protocol.WatchdogOK || st.Control != cfg.ClientName {
		t.Fatalf("idle after the reconnect: watchdog %q, control %q", st.Watchdog, st.Control)
	}
	for _, st := range rec.telemetry()[seen:] {
		if st.Watchdog != protocol.WatchdogOK && st.Watchdog != protocol.WatchdogHold {
			t.Fatalf("the controller reported watchdog %q after the reconnect", st.Watchdog)
		}
	}
	if n := len(rec.kinds(link.KindTarget)) + len(rec.kinds(link.KindDiscrete)); n != 1 {
		t.Fatalf("%d motion requests, want only the first target: control came back without motion", n)
	}
}
