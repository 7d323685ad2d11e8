package link_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/link/internal/fakectl"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// lineWith returns the first received line whose request has id.
func lineWith(t *testing.T, s *fakectl.Server, id protocol.ID) map[string]any {
	t.Helper()
	for _, l := range s.Lines() {
		req, _ := protocol.DecodeRequest([]byte(l))
		if req.ID == id {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("server never received id %s; lines: %q", id, s.Lines())
	return nil
}

func TestV1HelloTargetsAndDiscrete(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "s3cret")
	var rec recorder
	cfg := rec.config(srv.Addr())
	cfg.Token = "s3cret"
	l := newLink(t, cfg)
	waitState(t, l, link.StateConnected)

	hello := srv.Lines()[0]
	for _, want := range []string{`"type":"hello"`, `"version":1`, `"client":"link_test"`, `"role":"control"`, `"token":"s3cret"`} {
		if !strings.Contains(hello, want) {
			t.Errorf("hello %s lacks %s", hello, want)
		}
	}
	if si := l.ServerInfo(); si == nil || si.Name != "fakectl" {
		t.Fatalf("ServerInfo = %+v, want the hello payload", si)
	}

	tid := l.SetTarget(link.Target{X: 120, Y: 35.5, Z: 210, Gripper: gp(0)})
	res := rec.one(t, tid)
	if !res.OK() || res.Kind != link.KindTarget || res.RTT <= 0 || res.Response.Message != protocol.MessageCommandReceived {
		t.Fatalf("target result %+v", res)
	}
	line := lineWith(t, srv, tid)
	for _, k := range []string{"x", "y", "z", "gripper", "ttl_ms"} {
		if _, ok := line[k]; !ok {
			t.Errorf("target line %v lacks %q", line, k)
		}
	}
	if ttl := line["ttl_ms"].(float64); ttl <= 0 || ttl > float64(cfg.MaxTargetAge.Milliseconds()) {
		t.Errorf("ttl_ms %v, want the target's remaining age in (0, %d]", ttl, cfg.MaxTargetAge.Milliseconds())
	}
	if id, _ := line["id"].(string); len(id) < 8 || id[6] != '-' {
		t.Errorf("id %q is not <6 hex>-<seq>", line["id"])
	}

	gid := mustSend(t, l, gripperCmd(1))
	if res := rec.one(t, gid); !res.OK() || res.Kind != link.KindDiscrete {
		t.Fatalf("gripper result %+v", res)
	}
	// A gripper change carries what is left of its deadline, like a target.
	if ttl, _ := lineWith(t, srv, gid)["ttl_ms"].(float64); ttl <= 0 || ttl > float64(cfg.MaxCommandAge.Milliseconds()) {
		t.Errorf("gripper command ttl_ms %v, want its remaining deadline in (0, %d]", ttl, cfg.MaxCommandAge.Milliseconds())
	}

	sid := mustSend(t, l, protocol.Request{Type: protocol.TypeStatus})
	if res := rec.one(t, sid); !res.OK() || res.Response.State == nil {
		t.Fatalf("status result %+v", res)
	}
	waitFor(t, 5*time.Second, "telemetry from the status reply", func() bool {
		for _, s := range rec.telemetry() {
			if s.LastID == gid {
				return true
			}
		}
		return false
	})

	m := l.Metrics()
	if m.Acked < 3 || m.Sent < m.Acked || m.Errors != 0 || m.P50RTT <= 0 || m.P99RTT < m.P50RTT || m.LastRTT <= 0 {
		t.Fatalf("metrics %+v", m)
	}
	for _, id := range []protocol.ID{tid, gid} {
		if n := srv.ExecCount(id); n != 1 {
			t.Errorf("%s executed %d times", id, n)
		}
	}
}

func TestIDsAreUniqueAcrossLinks(t *testing.T) {
	leakCheck(t)
	addr := testutil.HoldPort(t).Addr // nothing ever listens
	var r1, r2 recorder
	c2 := r2.config(addr)
	c2.QueueSize = 100
	l1, l2 := newLink(t, r1.config(addr)), newLink(t, c2)
	seen := map[protocol.ID]bool{}
	for i := 0; i < 100; i++ {
		for _, id := range []protocol.ID{l1.Stop(), l2.Stop(), l1.SetTarget(link.Target{X: 1}), mustSend(t, l2, gripperCmd(0))} {
			if seen[id] || id == "" {
				t.Fatalf("id %q repeated or empty", id)
			}
			seen[id] = true
		}
	}
}

func TestSendRejectsBadRequests(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	waitState(t, l, link.StateConnected)

	nan := math.NaN()
	nothing := protocol.Request{Type: protocol.TypeCommand}
	noZ := gripperCmd(0)
	noZ.Z = nil
	nanX := gripperCmd(0)
	nanX.X = &nan
	badGrip := gripperCmd(0)
	*badGrip.Gripper = 1.5
	zero := int64(0)
	badTTL := gripperCmd(0)
	badTTL.TTLms = &zero
	cases := []struct {
		name string
		r    protocol.Request
		code protocol.Code
		want string
	}{
		{"nothing to do", nothing, protocol.CodeMissingField, "gripper"},
		{"no z", noZ, protocol.CodeMissingField, `"z"`},
		{"NaN x", nanX, protocol.CodeOutOfRange, `"x"`},
		{"gripper 1.5", badGrip, protocol.CodeOutOfRange, "gripper"},
		{"ttl 0", badTTL, protocol.CodeOutOfRange, "ttl_ms"},
		{"hello", protocol.Request{Type: protocol.TypeHello}, protocol.CodeInvalidCommand, "token_file and client_name parameters"},
		{"subscribe", protocol.Request{Type: protocol.TypeSubscribe}, protocol.CodeInvalidCommand, "do not send it yourself"},
		{"unknown", protocol.Request{Type: "dance"}, protocol.CodeInvalidCommand, "dance"},
	}
	for _, tc := range cases {
		id, err := l.Send(tc.r)
		if err == nil || id != "" {
			t.Errorf("%s: Send = %q, %v; want an error and no id", tc.name, id, err)
			continue
		}
		if !errors.Is(err, &protocol.Error{Code: tc.code}) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want code %s mentioning %s", tc.name, err, tc.code, tc.want)
		}
	}
	if m := l.Metrics(); m.Queued != 0 {
		t.Fatalf("bad requests were queued: %+v", m)
	}

	// Invalid targets get an error Result and never reach the wire.
	bad := []link.Target{{X: nan}, {Y: math.Inf(1)}, {Gripper: gp(-0.1)}, {Gripper: gp(nan)}}
	var ids []protocol.ID
	for _, tg := range bad {
		ids = append(ids, l.SetTarget(tg))
	}
	for _, id := range ids {
		res := rec.one(t, id)
		var pe *protocol.Error
		if res.Err == nil || !errors.As(res.Err, &pe) || pe.Code != protocol.CodeOutOfRange {
			t.Errorf("invalid target %s: %+v, want an out_of_range error", id, res)
		}
	}
	// A valid request afterwards still goes through: nothing was lost.
	ok := mustSend(t, l, gripperCmd(0.5))
	if res := rec.one(t, ok); !res.OK() {
		t.Fatalf("valid command after bad ones: %+v", res)
	}
	for _, line := range srv.Lines() {
		if strings.Contains(line, "NaN") || strings.Contains(line, "dance") {
			t.Fatalf("bad input reached the wire: %s", line)
		}
	}
}

func TestLatestWinsAndStopFirst(t *testing.T) {
	leakCheck(t)
	port := testutil.HoldPort(t)
	var rec recorder
	l := newLink(t, rec.config(port.Addr))

	// Nothing listens yet: everything waits in the link.
	home := mustSend(t, l, protocol.Request{Type: protocol.TypeHome})
	t1 := l.SetTarget(link.Target{X: 100, Z: 200})
	t2 := l.SetTarget(link.Target{X: 110, Z: 200})
	grip := mustSend(t, l, gripperCmd(1))
	t3 := l.SetTarget(link.Target{X: 120, Z: 200})
	stop := l.Stop()
	for _, id := range []protocol.ID{t1, t2} {
		if res := rec.one(t, id); !errors.Is(res.Err, link.ErrReplaced) || res.Sends != 0 {
			t.Fatalf("replaced target %s: %+v", id, res)
		}
	}
	if m := l.Metrics(); m.Replaced != 2 || m.Queued != 2 || m.Errors != 0 {
		t.Fatalf("metrics %+v, want 2 replaced, 2 queued, no errors", m)
	}

	srv := startServerOn(t, port, fakectl.ModeV1, "")
	for _, id := range []protocol.ID{stop, home, grip, t3} {
		if res := rec.one(t, id); !res.OK() {
			t.Fatalf("%s: %+v", id, res)
		}
	}
	var order []protocol.ID
	for _, e := range srv.Executions() {
		order = append(order, e.Req.ID)
	}
	want := []protocol.ID{stop, home, grip, t3}
	if len(order) != len(want) {
		t.Fatalf("executed %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("executed %v, want stop first, then the FIFO, then the newest target: %v", order, want)
		}
	}
}

func TestQueueFullLosesNothing(t *testing.T) {
	leakCheck(t)
	port := testutil.HoldPort(t)
	var rec recorder
	cfg := rec.config(port.Addr)
	cfg.QueueSize = 3
	l := newLink(t, cfg)

	var ids []protocol.ID
	for i := 0; i < 3; i++ {
		ids = append(ids, mustSend(t, l, gripperCmd(float64(i)/2)))
	}
	id, err := l.Send(gripperCmd(1))
	if !errors.Is(err, link.ErrQueueFull) || id != "" {
		t.Fatalf("4th Send = %q, %v; want ErrQueueFull", id, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "link.queue_size parameter") || !strings.Contains(msg, "3 commands") {
		t.Fatalf("message %q should say how many wait and what to change", msg)
	}
	var ce interface{ AckCode() string }
	if !errors.As(err, &ce) || ce.AckCode() != "queue_full" {
		t.Fatalf("%v has no queue_full code", err)
	}
	// A stop still gets through a full queue.
	stop := l.Stop()

	srv := startServerOn(t, port, fakectl.ModeV1, "")
	for _, id := range append(ids, stop) {
		if res := rec.one(t, id); !res.OK() {
			t.Fatalf("%s: %+v", id, res)
		}
		if n := srv.ExecCount(id); n != 1 {
			t.Fatalf("%s executed %d times", id, n)
		}
	}
	ex := srv.Executions()
	for i, id := range ids { // FIFO order kept, after the stop
		if ex[i+1].Req.ID != id {
			t.Fatalf("execution order %+v, want stop then %v", ex, ids)
		}
	}
	if _, err := l.Send(gripperCmd(1)); err != nil {
		t.Fatalf("Send after the queue drained: %v", err)
	}
}

func TestEventsAreNotReplies(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "")
	var rec recorder
	cfg := rec.config(srv.Addr())
	cfg.Subscribe = true
	l := newLink(t, cfg)
	waitState(t, l, link.StateConnected)

	var ids []protocol.ID
	for i := 0; i < 5; i++ { // the fake pushes an event before each command reply
		ids = append(ids, mustSend(t, l, gripperCmd(float64(i)/4)))
	}
	for _, id := range ids {
		if res := rec.one(t, id); !res.OK() || res.Response.Type == protocol.TypeEvent {
			t.Fatalf("%s: %+v", id, res)
		}
	}
	waitFor(t, 5*time.Second, "pushed events on OnTelemetry", func() bool { return len(rec.telemetry()) > 0 })
	if m := l.Metrics(); m.Acked != m.Sent-uint64(m.InFlight) {
		t.Fatalf("an event was counted as a reply: %+v", m)
	}
	sawSubscribe := false
	for _, line := range srv.Lines() {
		sawSubscribe = sawSubscribe || strings.Contains(line, `"type":"subscribe"`)
	}
	if !sawSubscribe {
		t.Fatal("Subscribe set but no subscribe request sent")
	}
}

func TestHeartbeatPings(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	waitFor(t, 5*time.Second, "3 ping results", func() bool { return len(rec.kinds(link.KindPing)) >= 3 })
	for _, p := range rec.kinds(link.KindPing) {
		if !p.OK() || p.Response.Type != protocol.TypePong {
			t.Fatalf("ping result %+v", p)
		}
	}
	if len(srv.Executions()) != 0 {
		t.Fatal("pings were executed as commands")
	}
	_ = l
}

func TestWrongTokenIsNotLegacy(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "s3cret")
	var rec recorder
	cfg := rec.config(srv.Addr())
	cfg.Token = "wrong"
	l := newLink(t, cfg)
	waitFor(t, 5*time.Second, "a backoff naming the refused hello", func() bool {
		for _, r := range rec.reasons(link.StateBackoff) {
			if strings.Contains(r, "refused hello") && strings.Contains(r, "token_file parameter") && strings.Contains(r, "--token-file") && !strings.Contains(r, "Config.") {
				return true
			}
		}
		return false
	})
	if rec.stateSeen(link.StateLegacy) || rec.stateSeen(link.StateConnected) {
		t.Fatal("an unauthorized hello was taken for a legacy server or a connection")
	}
	if l.ServerInfo() != nil {
		t.Fatal("ServerInfo set without an accepted hello")
	}
}

func TestReconnectOnRequest(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "")
	var rec recorder
	l := newLink(t, rec.config(srv.Addr()))
	waitState(t, l, link.StateConnected)
	l.Reconnect()
	waitFor(t, 5*time.Second, "a second connection", func() bool { return srv.Accepted() >= 2 })
	waitState(t, l, link.StateConnected)
	id := mustSend(t, l, gripperCmd(0))
	if res := rec.one(t, id); !res.OK() {
		t.Fatalf("%+v", res)
	}
	if m := l.Metrics(); m.Reconnects < 1 {
		t.Fatalf("metrics %+v, want a reconnect", m)
	}
}

func TestCloseSettlesEverything(t *testing.T) {
	leakCheck(t)
	var rec recorder
	l, err := link.New(rec.config(testutil.HoldPort(t).Addr))
	if err != nil {
		t.Fatal(err)
	}
	ids := []protocol.ID{l.Stop(), l.SetTarget(link.Target{X: 1}), mustSend(t, l, gripperCmd(0))}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if res := rec.one(t, id); !errors.Is(res.Err, link.ErrClosed) {
			t.Fatalf("%s: %+v, want ErrClosed", id, res)
		}
	}
	rec.mu.Lock()
	last := rec.states[len(rec.states)-1]
	rec.mu.Unlock()
	if last.State != link.StateClosed {
		t.Fatalf("last state %v, want closed", last.State)
	}
	if _, err := l.Send(gripperCmd(0)); !errors.Is(err, link.ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	if id := l.SetTarget(link.Target{}); id != "" {
		t.Fatalf("SetTarget after Close returned %q", id)
	}
	if id := l.Stop(); id != "" {
		t.Fatalf("Stop after Close returned %q", id)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// CheckServer refusing the hello reply (the bridge's arm_hash check) keeps
// the link from connecting: nothing is executed, the refusal is the backoff
// reason, and the link keeps redialling.
func TestCheckServerRefusalKeepsTheLinkOff(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "")
	var rec recorder
	cfg := rec.config(srv.Addr())
	var mu sync.Mutex
	var seen []*protocol.ServerInfo
	cfg.CheckServer = func(info *protocol.ServerInfo) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, info)
		return errors.New("arm model mismatch: test")
	}
	l := newLink(t, cfg)
	l.SetTarget(link.Target{X: 120, Y: 35.5, Z: 210})
	waitFor(t, 5*time.Second, "two refused connections", func() bool {
		n := 0
		for _, r := range rec.reasons(link.StateBackoff) {
			if strings.HasPrefix(r, "arm model mismatch: test; next attempt in") {
				n++
			}
		}
		return n >= 2
	})
	if rec.stateSeen(link.StateConnected) || len(srv.Executions()) != 0 {
		t.Fatalf("connected %v, executions %v: a refused server got traffic", rec.stateSeen(link.StateConnected), srv.Executions())
	}
	mu.Lock()
	defer mu.Unlock()
	if seen[0] == nil || seen[0].Protocol != protocol.Version {
		t.Fatalf("CheckServer got %+v, want the hello reply's server info", seen[0])
	}
}
