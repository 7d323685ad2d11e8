package link_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/link/internal/fakectl"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

func TestLegacySeedServer(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeSeed, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	waitState(t, l, link.StateLegacy)
	if l.ServerInfo() != nil {
		t.Fatal("ServerInfo set in legacy mode")
	}

	// Queued first: the writer may start between two calls, so the order
	// must not depend on who is faster.
	gid := mustSend(t, l, gripperCmd(0.7))
	tid := l.SetTarget(link.Target{X: 120, Y: 35.5, Z: 210, Gripper: gp(0)})
	for _, id := range []protocol.ID{tid, gid} {
		res := rec.one(t, id)
		if !res.OK() || res.Response.Message != protocol.MessageCommandReceived || res.RTT <= 0 {
			t.Fatalf("%s: %+v", id, res)
		}
	}
	// FIFO commands go before the target slot.
	want := []string{
		`{"type":"command","x":150,"y":0,"z":200,"gripper":"close"}`, // 0.7 rounds to close
		`{"type":"command","x":120,"y":35.5,"z":210,"gripper":"open"}`,
	}
	if got := executedLines(srv); got != strings.Join(want, "\n") {
		t.Fatalf("seed server executed\n%s\nwant the seed format\n%s", got, strings.Join(want, "\n"))
	}

	// A seed server does not know stop: its error reply is the final Result.
	sid := l.Stop()
	res := rec.one(t, sid)
	if res.Err != nil || res.Response.Status != protocol.StatusError || res.Response.Message != "Invalid command" || res.Sends != 1 {
		t.Fatalf("stop on a seed server: %+v", res)
	}
	for _, line := range srv.Lines()[1:] { // after the hello probe
		if strings.Contains(line, `"id"`) || strings.Contains(line, "ttl_ms") || strings.Contains(line, "ping") {
			t.Fatalf("legacy line carries v1 fields: %s", line)
		}
	}
	if m := l.Metrics(); m.Errors != 1 || m.Acked != 3 {
		t.Fatalf("metrics %+v, want 3 acked, 1 error (the stop)", m)
	}
}

func TestLegacyTimeoutNotResentButStopIs(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeSeed, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	waitState(t, l, link.StateLegacy)

	srv.SetMode(fakectl.ModeSilent)
	gid := mustSend(t, l, gripperCmd(1))
	waitFor(t, 5*time.Second, "the command on the wire", func() bool { return l.Metrics().InFlight == 1 })
	sid := l.Stop() // beyond the window of 1: two requests in flight
	res := rec.one(t, gid)
	if !errors.Is(res.Err, link.ErrAckTimeout) || res.Sends != 1 || !strings.Contains(res.Err.Error(), "legacy") {
		t.Fatalf("legacy command without reply: %+v, want ErrAckTimeout, sent once", res)
	}
	if rec.has(sid) {
		t.Fatalf("stop settled without a reply: %+v", rec.of(sid))
	}
	srv.SetMode(fakectl.ModeSeed)
	res = rec.one(t, sid)
	if res.Err != nil || res.Sends < 2 || res.Response.Message != "Invalid command" {
		t.Fatalf("stop: %+v, want re-sent until the seed server answered", res)
	}
	n := 0
	for _, line := range srv.Lines() {
		if strings.Contains(line, `"gripper":"close"`) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the unanswered legacy command was written %d times, want 1", n)
	}
}

func TestLegacyConnectionLostNotResent(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeSeed, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	waitState(t, l, link.StateLegacy)

	srv.SetMode(fakectl.ModeCloseMidLine)
	gid := mustSend(t, l, gripperCmd(0))
	res := rec.one(t, gid)
	if !errors.Is(res.Err, link.ErrConnLost) || !strings.Contains(res.Err.Error(), "not resent") {
		t.Fatalf("%+v, want ErrConnLost", res)
	}
	srv.SetMode(fakectl.ModeSeed)
	waitFor(t, 5*time.Second, "a new legacy connection", func() bool { return srv.Accepted() >= 2 && l.Metrics().State == link.StateLegacy })
	id := mustSend(t, l, gripperCmd(0))
	if res := rec.one(t, id); !res.OK() {
		t.Fatalf("after reconnect: %+v", res)
	}
	if n := len(srv.Executions()); n != 1 {
		t.Fatalf("%d executions, want 1 (the lost command is not re-sent)", n)
	}
}
