package link_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/link/internal/fakectl"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// linesWith counts received lines carrying id.
func linesWith(s *fakectl.Server, id protocol.ID) int {
	n := 0
	for _, l := range s.Lines() {
		if strings.Contains(l, `"id":`+string(id)) {
			n++
		}
	}
	return n
}

func TestSilentServerHelloTimesOut(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeSilent, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	gid := mustSend(t, l, gripperCmd(1))
	waitFor(t, 10*time.Second, "two failed hellos", func() bool { return srv.Accepted() >= 3 })
	m := l.Metrics()
	if m.Reconnects < 2 || m.AckTimeouts < 2 || m.Queued != 1 {
		t.Fatalf("metrics %+v: want reconnects and hello timeouts, the command still queued", m)
	}
	if rs := rec.reasons(link.StateBackoff); len(rs) == 0 || !strings.Contains(rs[0], "no reply to hello") {
		t.Fatalf("backoff reasons %q", rs)
	}
	if rec.has(gid) || srv.ExecCount(gid) != 0 || linesWith(srv, gid) != 0 {
		t.Fatal("the queued command was settled or sent before any hello was answered")
	}
	srv.SetMode(fakectl.ModeV1)
	if res := rec.one(t, gid); !res.OK() || srv.ExecCount(gid) != 1 {
		t.Fatalf("%+v, executed %d times", res, srv.ExecCount(gid))
	}
}

// An ack timeout in v1 mode drops the connection; the request is re-sent
// with the same id, executes once, and its one Result is the real reply.
func TestAckTimeoutResendsSameID(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "")
	var rec recorder
	cfg := rec.config(srv.Addr())
	cfg.MaxTargetAge = 500 * time.Millisecond
	l := newLink(t, cfg)
	waitState(t, l, link.StateConnected)

	srv.SetMode(fakectl.ModeLoseReplies) // executes, but the reply never comes
	gid := mustSend(t, l, gripperCmd(1))
	tid := l.SetTarget(link.Target{X: 150, Z: 200, Gripper: gp(1)})
	waitFor(t, 10*time.Second, "the command written twice", func() bool { return linesWith(srv, gid) >= 2 })
	if rec.has(gid) {
		t.Fatalf("ack timeout settled a request that is still being re-sent: %+v", rec.of(gid))
	}

	// The target outlives MaxTargetAge unanswered: given up, both causes named.
	res := rec.one(t, tid)
	if !errors.Is(res.Err, link.ErrTargetExpired) || !errors.Is(res.Err, link.ErrAckTimeout) || res.Sends < 2 {
		t.Fatalf("target: %+v, want re-sent, then ErrTargetExpired after ErrAckTimeout", res)
	}
	// A re-send repeats the request exactly (ttl_ms included): the
	// controller's duplicate check compares it.
	var first string
	for _, line := range srv.Lines() {
		if strings.Contains(line, `"id":`+string(tid)) {
			if first == "" {
				first = line
			} else if line != first {
				t.Fatalf("re-sent target differs:\n%s\n%s", first, line)
			}
		}
	}

	srv.SetMode(fakectl.ModeV1)
	res = rec.one(t, gid)
	if !res.OK() || res.Sends < 2 {
		t.Fatalf("command: %+v, want the replayed ok after re-sends", res)
	}
	if n := srv.ExecCount(gid); n != 1 {
		t.Fatalf("command executed %d times, want 1 (same id re-sent)", n)
	}
	m := l.Metrics()
	if m.AckTimeouts < 2 || m.Reconnects < 2 || m.Dropped != 1 {
		t.Fatalf("metrics %+v", m)
	}
}

func TestGarbageAndHalfLines(t *testing.T) {
	for _, mode := range []fakectl.Mode{fakectl.ModeGarbage, fakectl.ModeCloseMidLine} {
		t.Run(map[fakectl.Mode]string{fakectl.ModeGarbage: "garbage", fakectl.ModeCloseMidLine: "closeMidLine"}[mode], func(t *testing.T) {
			leakCheck(t)
			srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "")
			var rec recorder
			l := newLink(t, rec.config(srv.Addr()))
			waitState(t, l, link.StateConnected)

			srv.SetMode(mode)
			gid := mustSend(t, l, gripperCmd(1))
			waitFor(t, 10*time.Second, "the bad reply dropping connections", func() bool { return srv.Accepted() >= 3 })
			if rec.has(gid) {
				t.Fatalf("a bad reply settled the command: %+v", rec.of(gid))
			}
			want := map[fakectl.Mode]string{fakectl.ModeGarbage: "not a reply", fakectl.ModeCloseMidLine: "connection closed"}[mode]
			found := false
			for _, r := range rec.reasons(link.StateBackoff) {
				found = found || strings.Contains(r, want)
			}
			if !found {
				t.Fatalf("no backoff reason mentions %q: %q", want, rec.reasons(link.StateBackoff))
			}
			srv.SetMode(fakectl.ModeV1)
			if res := rec.one(t, gid); !res.OK() || srv.ExecCount(gid) != 1 {
				t.Fatalf("%+v, executed %d times", res, srv.ExecCount(gid))
			}
		})
	}
}

func TestControllerRestartReplaysNothingStale(t *testing.T) {
	leakCheck(t)
	port := testutil.HoldPort(t) // the restart serves the same socket: nobody can take the port meanwhile
	srv := startServerOn(t, port, fakectl.ModeV1, "")
	var rec recorder
	cfg := rec.config(port.Addr)
	cfg.MaxTargetAge = 150 * time.Millisecond
	l := newLink(t, cfg)
	waitState(t, l, link.StateConnected)

	// Mid-stream: targets flowing, some in flight when the controller dies.
	var old []protocol.ID
	for i := 0; i < 30; i++ {
		old = append(old, l.SetTarget(link.Target{X: 100 + float64(i), Z: 200}))
	}
	grip := mustSend(t, l, gripperCmd(1))
	srv.Close()
	waitState(t, l, link.StateBackoff)
	for i := 0; i < 5; i++ { // set while the controller is down
		old = append(old, l.SetTarget(link.Target{X: 200 + float64(i), Z: 200}))
	}
	waitFor(t, 10*time.Second, "every pre-restart target settled", func() bool {
		for _, id := range old {
			if !rec.has(id) {
				return false
			}
		}
		return true
	})
	if l.Metrics().Dropped == 0 {
		t.Fatal("no target dropped as stale while the controller was down")
	}

	srv2 := startServerOn(t, port, fakectl.ModeV1, "")
	waitState(t, l, link.StateConnected)
	fresh := l.SetTarget(link.Target{X: 300, Z: 200})
	if res := rec.one(t, fresh); !res.OK() {
		t.Fatalf("next target after restart: %+v", res)
	}
	for _, id := range old {
		if n := linesWith(srv2, id); n != 0 {
			t.Fatalf("stale target %s replayed to the restarted controller", id)
		}
		if len(rec.of(id)) != 1 {
			t.Fatalf("target %s: %d Results", id, len(rec.of(id)))
		}
	}
	// The discrete command is never dropped: answered before the kill, or
	// re-sent to the new controller. The duplicate-id cache dies with the
	// controller, so a command whose reply was lost in the kill may run once
	// on each instance (all commands are absolute, so that is harmless),
	// but never twice on one.
	if res := rec.one(t, grip); !res.OK() {
		t.Fatalf("gripper command: %+v", res)
	}
	if n1, n2 := srv.ExecCount(grip), srv2.ExecCount(grip); n1 > 1 || n2 > 1 || n1+n2 == 0 {
		t.Fatalf("gripper command executed %d times before and %d after the restart", n1, n2)
	}
}

// A v1 error line without id answers none of our requests (the controller
// says it is shutting down): reconnect and re-send, never settle on it.
func TestIDlessNoticeIsNotAReply(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	waitState(t, l, link.StateConnected)
	srv.SetMode(fakectl.ModeNotice)
	gid := mustSend(t, l, gripperCmd(1))
	waitFor(t, 10*time.Second, "a reconnect after the notice", func() bool { return srv.Accepted() >= 2 })
	srv.SetMode(fakectl.ModeV1)
	res := rec.one(t, gid)
	if !res.OK() || res.Sends < 2 || srv.ExecCount(gid) != 1 {
		t.Fatalf("%+v, executed %d times; want ok after a re-send", res, srv.ExecCount(gid))
	}
	found := false
	for _, r := range rec.reasons(link.StateBackoff) {
		found = found || strings.Contains(r, "controller shutting down")
	}
	if !found {
		t.Fatalf("backoff reasons %q do not relay the notice", rec.reasons(link.StateBackoff))
	}
}

// Busy right after hello is our own old connection still holding the
// lease: retried with the same id. Outside BusyGrace it is final.
func TestBusyAfterReconnect(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	waitState(t, l, link.StateConnected)
	srv.SetBusy(2)
	gid := mustSend(t, l, gripperCmd(1))
	tid := l.SetTarget(link.Target{X: 120, Z: 200})
	for _, id := range []protocol.ID{gid, tid} {
		if res := rec.one(t, id); !res.OK() || srv.ExecCount(id) != 1 {
			t.Fatalf("%s: %+v, executed %d times", id, res, srv.ExecCount(id))
		}
	}
	if res := rec.one(t, gid); res.Sends < 2 {
		t.Fatalf("%+v: busy was not retried", res)
	}

	var rec2 recorder
	cfg := rec2.config(srv.Addr())
	cfg.BusyGrace = time.Nanosecond
	l2 := newLink(t, cfg)
	waitState(t, l2, link.StateConnected)
	srv.SetBusy(1)
	id := mustSend(t, l2, gripperCmd(0))
	res := rec2.one(t, id)
	if res.Err != nil || res.Response.Code != protocol.CodeBusy || res.Sends != 1 || srv.ExecCount(id) != 0 {
		t.Fatalf("busy outside the grace: %+v, want the busy reply as the final Result", res)
	}
}
