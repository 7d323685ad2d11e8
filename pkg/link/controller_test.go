package link_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/controller"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/link/internal/faultproxy"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo/sim"
)

// logCounter is a slog.Handler that counts, per request id, the lines the
// controller received ("in", Verbose), the duplicates it replayed, and the
// link's busy retries, so tests can count executions on the real server.
type logCounter struct {
	mu       sync.Mutex
	received map[protocol.ID]int
	replayed map[protocol.ID]int
	busy     map[protocol.ID]int
}

func newLogCounter() *logCounter {
	return &logCounter{received: map[protocol.ID]int{}, replayed: map[protocol.ID]int{}, busy: map[protocol.ID]int{}}
}

func (c *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCounter) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCounter) WithGroup(string) slog.Handler            { return c }
func (c *logCounter) Handle(_ context.Context, r slog.Record) error {
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case r.Message == "in":
		if req, _ := protocol.DecodeRequest([]byte(attrs["line"])); !req.ID.IsZero() {
			c.received[req.ID]++
		}
	case strings.HasPrefix(r.Message, "duplicate id"):
		c.replayed[protocol.ID(attrs["id"])]++
	case strings.HasPrefix(r.Message, "controller busy"):
		c.busy[protocol.ID(attrs["id"])]++
	}
	return nil
}

// executions is how many times the controller ran id: received, minus
// replays of the cached reply, minus busy refusals the link retried.
func (c *logCounter) executions(id protocol.ID) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.received[id] - c.replayed[id] - c.busy[id]
}

func (c *logCounter) got(id protocol.ID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.received[id] > 0
}

// realController runs pkg/controller in-process on the sim backend.
type realController struct {
	srv     *controller.Server
	backend *sim.Backend
	addr    string
	done    chan error
	once    sync.Once
}

func startController(t testing.TB, addr string, logs slog.Handler, tune func(*controller.Config)) *realController {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return startControllerOn(t, ln, logs, tune)
}

// startControllerOn is startController serving on ln (e.g. a TLS listener).
func startControllerOn(t testing.TB, ln net.Listener, logs slog.Handler, tune func(*controller.Config)) *realController {
	t.Helper()
	arm := armfile.Default()
	park, _ := arm.ParkPose()
	start, err := arm.Kinematics.ToExternal(park)
	if err != nil {
		t.Fatal(err)
	}
	backend, err := sim.New(sim.Config{Calibrations: arm.Servos, StartJoints: start}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if logs == nil {
		logs = slog.DiscardHandler
	}
	cfg := controller.Config{Verbose: true, Logger: slog.New(logs)}
	if tune != nil {
		tune(&cfg)
	}
	srv, err := controller.New(cfg, arm, backend)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	c := &realController{srv: srv, backend: backend, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { c.done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(c.stop)
	return c
}

// stop kills the controller (it tells clients it is shutting down).
func (c *realController) stop() {
	c.once.Do(func() {
		c.srv.Close()
		<-c.done
		c.backend.Close()
	})
}

func TestRealControllerSession(t *testing.T) {
	leakCheck(t)
	ctl := startController(t, "127.0.0.1:0", nil, nil)
	var rec recorder
	cfg := rec.config(ctl.addr)
	cfg.Subscribe = true
	l := newLink(t, cfg)
	waitState(t, l, link.StateConnected)
	si := l.ServerInfo()
	if si == nil || si.Arm == "" || !strings.HasPrefix(si.ArmHash, "sha256:") || len(si.Joints) == 0 {
		t.Fatalf("ServerInfo %+v", si)
	}

	t1 := l.SetTarget(link.Target{X: 150, Y: 0, Z: 200, Gripper: gp(0)})
	g := mustSend(t, l, gripperCmd(1))
	for _, id := range []protocol.ID{t1, g} {
		if res := rec.one(t, id); !res.OK() || res.Response.Message != protocol.MessageCommandReceived {
			t.Fatalf("%s: %+v", id, res)
		}
	}
	waitFor(t, 5*time.Second, "pushed events", func() bool { return len(rec.telemetry()) > 0 })

	s := l.Stop()
	if res := rec.one(t, s); !res.OK() || res.Response.Message != "Stopped" {
		t.Fatalf("stop: %+v", res)
	}
	t2 := l.SetTarget(link.Target{X: 150, Y: 10, Z: 200})
	if res := rec.one(t, t2); res.Err != nil || res.Response.Code != protocol.CodeEstop {
		t.Fatalf("target after stop: %+v, want the controller's estop reply", res)
	}
	r := mustSend(t, l, protocol.Request{Type: protocol.TypeReset})
	if res := rec.one(t, r); !res.OK() {
		t.Fatalf("reset: %+v", res)
	}
	t3 := l.SetTarget(link.Target{X: 120, Y: 35.5, Z: 210, Gripper: gp(0.5)})
	if res := rec.one(t, t3); !res.OK() {
		t.Fatalf("target after reset: %+v", res)
	}
	if st := ctl.srv.State(); st.LastID != t3 {
		t.Fatalf("controller last_id %s, want %s", st.LastID, t3)
	}
	st := mustSend(t, l, protocol.Request{Type: protocol.TypeStatus})
	if res := rec.one(t, st); !res.OK() || res.Response.State == nil || res.Response.State.Control != "link_test" {
		t.Fatalf("status: %+v", res)
	}
	if m := l.Metrics(); m.Errors != 1 {
		t.Fatalf("metrics %+v, want exactly one error (the estop reply)", m)
	}
}

// The controller is killed mid-stream and restarted on the same port (the
// socket held by the test, so nobody can take the port meanwhile): the
// link reconnects, replays no stale target, and the next target is acked.
func TestRealControllerRestartMidStream(t *testing.T) {
	leakCheck(t)
	port := testutil.HoldPort(t)
	ctl := startControllerOn(t, port.Listener(t), nil, nil)
	var rec recorder
	cfg := rec.config(port.Addr)
	cfg.MaxTargetAge = 150 * time.Millisecond
	l := newLink(t, cfg)
	waitState(t, l, link.StateConnected)

	var old []protocol.ID
	for i := 0; i < 30; i++ {
		old = append(old, l.SetTarget(link.Target{X: 100 + float64(i), Y: 10, Z: 200}))
	}
	grip := mustSend(t, l, gripperCmd(1))
	ctl.stop()
	waitState(t, l, link.StateBackoff)
	for i := 0; i < 5; i++ {
		old = append(old, l.SetTarget(link.Target{X: 140 + float64(i), Y: 10, Z: 200}))
	}
	waitFor(t, 10*time.Second, "every pre-restart target settled", func() bool {
		for _, id := range old {
			if !rec.has(id) {
				return false
			}
		}
		return true
	})

	logs := newLogCounter()
	startControllerOn(t, port.Listener(t), logs, nil)
	waitState(t, l, link.StateConnected)
	fresh := l.SetTarget(link.Target{X: 150, Y: 0, Z: 200})
	if res := rec.one(t, fresh); !res.OK() {
		t.Fatalf("first target after the restart: %+v", res)
	}
	for _, id := range old {
		if logs.got(id) {
			t.Fatalf("stale target %s replayed to the restarted controller", id)
		}
		if n := len(rec.of(id)); n != 1 {
			t.Fatalf("target %s: %d Results", id, n)
		}
	}
	// The gripper command was answered (ok or "controller shutting down"),
	// or re-sent: exactly one final Result, never lost.
	if res := rec.one(t, grip); !res.OK() && !(res.Err == nil && res.Response.Code == protocol.CodeInternal) {
		t.Fatalf("gripper command: %+v", res)
	}
	if logs.executions(grip) > 1 {
		t.Fatal("gripper command executed twice by the restarted controller")
	}
}

// TestRealControllerFaultProxy is TestFaultProxyExactlyOnce against the
// real controller (stop latches there, so each stop is followed by reset).
func TestRealControllerFaultProxy(t *testing.T) {
	leakCheck(t)
	logs := newLogCounter()
	ctl := startController(t, "127.0.0.1:0", logs, nil)
	px, err := faultproxy.New(ctl.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	var rec recorder
	cfg := rec.config(px.Addr())
	cfg.AckTimeout = 800 * time.Millisecond
	cfg.HeartbeatInterval = 100 * time.Millisecond
	cfg.MaxTargetAge = 5 * time.Second
	cfg.MaxCommandAge = 5 * time.Second
	cfg.Subscribe = true
	cfg.Logger = slog.New(logs) // counts the link's busy retries
	l := newLink(t, cfg)
	waitState(t, l, link.StateConnected)

	var targets, must []protocol.ID
	n := 0
	burst := func(k int) {
		for range k {
			n++
			targets = append(targets, l.SetTarget(link.Target{X: 100 + float64(n%50), Y: 10, Z: 200, Gripper: gp(0.5)}))
			if n%3 == 0 {
				must = append(must, mustSend(t, l, gripperCmd(float64(n%2))))
			}
		}
	}
	settled := func(what string) {
		t.Helper()
		waitFor(t, 30*time.Second, "every request settled after "+what, func() bool {
			for _, ids := range [][]protocol.ID{must, targets} {
				for _, id := range ids {
					if !rec.has(id) {
						return false
					}
				}
			}
			return true
		})
	}
	stopReset := func() {
		must = append(must, l.Stop(), mustSend(t, l, protocol.Request{Type: protocol.TypeReset}))
		settled("stop and reset")
	}

	px.SetSegmentSize(1)
	burst(15)
	settled("1-byte segments")
	stopReset()

	px.SetSegmentSize(0)
	px.SetLatency(200 * time.Millisecond)
	burst(15)
	settled("200 ms latency")
	stopReset()

	px.SetLatency(100 * time.Millisecond)
	for range 3 {
		accepted := px.Accepted()
		burst(6)
		last := must[len(must)-1]
		waitFor(t, 10*time.Second, "the controller reading "+string(last), func() bool { return logs.got(last) })
		if px.ResetAll() == 0 {
			t.Fatal("no connection to reset")
		}
		waitFor(t, 10*time.Second, "a new connection", func() bool {
			return px.Accepted() > accepted && l.Metrics().State == link.StateConnected
		})
	}
	px.SetLatency(0)
	settled("resets")
	stopReset()

	before := l.Metrics().AckTimeouts
	px.SetBlackhole(true)
	burst(6)
	waitFor(t, 10*time.Second, "an ack timeout in the blackhole", func() bool { return l.Metrics().AckTimeouts > before })
	px.SetBlackhole(false)
	settled("blackhole")
	stopReset()

	newest := l.SetTarget(link.Target{X: 120, Y: 35.5, Z: 210})
	if res := rec.one(t, newest); !res.OK() {
		t.Fatalf("newest target: %+v", res)
	}
	if id := ctl.srv.State().LastID; id != newest {
		t.Fatalf("controller last_id %s, want the newest target %s", id, newest)
	}

	for _, id := range must {
		res := rec.one(t, id)
		if !res.OK() {
			t.Errorf("%s (%s %s): %+v, want one ok Result", id, res.Kind, res.Request.Type, res)
		}
		// The controller deduplicates motion requests; stop is idempotent
		// and not deduplicated, so only count the others.
		if res.Kind != link.KindStop {
			if n := logs.executions(id); n != 1 {
				t.Errorf("%s executed %d times, want exactly once", id, n)
			}
		}
	}
	for _, id := range targets {
		if len(rec.of(id)) != 1 {
			t.Errorf("target %s: %d Results", id, len(rec.of(id)))
		}
		if n := logs.executions(id); n > 1 {
			t.Errorf("target %s executed %d times", id, n)
		}
	}
	logs.mu.Lock()
	t.Logf("controller replayed %d duplicate ids; link retried %d busy replies", len(logs.replayed), len(logs.busy))
	logs.mu.Unlock()
	if m := l.Metrics(); m.Reconnects < 4 || m.AckTimeouts == 0 {
		t.Errorf("metrics %+v: want >= 4 reconnects and an ack timeout", m)
	}
}

// BenchmarkLinkRoundTrip measures acked commands per second over loopback
// against the real controller: one at a time (latency bound) and with the
// default pipelining window.
func BenchmarkLinkRoundTrip(b *testing.B) {
	for _, mode := range []struct {
		name     string
		inFlight int
		wait     bool
	}{{"sequential", 1, true}, {"pipelined", link.DefaultMaxInFlight, false}} {
		b.Run(mode.name, func(b *testing.B) {
			ctl := startController(b, "127.0.0.1:0", nil, func(c *controller.Config) {
				c.Verbose = false
				c.MaxLineRate = 1 << 30 // the default 1000 lines/s would cut the benchmark off
			})
			acked := make(chan link.Result, 1024)
			l, err := link.New(link.Config{Addr: ctl.addr, MaxInFlight: mode.inFlight, QueueSize: 1024,
				AckTimeout: 5 * time.Second, OnResult: func(r link.Result) {
					if r.Kind != link.KindPing {
						acked <- r
					}
				}})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			tick := time.NewTicker(time.Millisecond)
			for l.Metrics().State != link.StateConnected {
				<-tick.C
			}
			tick.Stop()
			cmds := []protocol.Request{gripperCmd(0), gripperCmd(1)}
			b.ReportAllocs()
			b.ResetTimer()
			sent, got := 0, 0
			check := func(r link.Result) {
				if !r.OK() {
					b.Fatalf("%+v", r)
				}
				got++
			}
			for sent < b.N {
				if _, err := l.Send(cmds[sent%2]); err != nil {
					b.Fatal(err)
				}
				sent++
				if mode.wait || sent-got >= 512 {
					check(<-acked)
				}
			}
			for got < b.N {
				check(<-acked)
			}
			b.StopTimer()
			m := l.Metrics()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "acks/s")
			b.ReportMetric(float64(m.P50RTT.Microseconds()), "p50-µs")
			b.ReportMetric(float64(m.P99RTT.Microseconds()), "p99-µs")
		})
	}
}
