package link_test

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"

	"go.uber.org/goleak"

	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/link/internal/fakectl"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// leakCheck registers a goleak check that runs after every later cleanup
// (link, servers, proxies), so the test proves it left nothing behind.
func leakCheck(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

// recorder collects everything a Link reports.
type recorder struct {
	mu      sync.Mutex
	results []link.Result
	states  []link.StateChange
	tele    []protocol.State
}

func (r *recorder) config(addr string) link.Config {
	return link.Config{
		Addr:              addr,
		AckTimeout:        300 * time.Millisecond,
		HeartbeatInterval: 50 * time.Millisecond,
		BackoffInitial:    5 * time.Millisecond,
		BackoffMax:        40 * time.Millisecond,
		MaxTargetAge:      2 * time.Second,
		MaxCommandAge:     2 * time.Second,
		ClientName:        "link_test",
		Logger:            testLogger(),
		OnResult: func(res link.Result) {
			r.mu.Lock()
			r.results = append(r.results, res)
			r.mu.Unlock()
		},
		OnState: func(s link.StateChange) {
			r.mu.Lock()
			r.states = append(r.states, s)
			r.mu.Unlock()
		},
		OnTelemetry: func(s protocol.State) {
			r.mu.Lock()
			r.tele = append(r.tele, s)
			r.mu.Unlock()
		},
	}
}

// of returns every Result for id.
func (r *recorder) of(id protocol.ID) []link.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []link.Result
	for _, res := range r.results {
		if res.ID == id {
			out = append(out, res)
		}
	}
	return out
}

// has reports whether id got a Result.
func (r *recorder) has(id protocol.ID) bool { return len(r.of(id)) > 0 }

// one waits for id's Result and checks it is the only one.
func (r *recorder) one(t *testing.T, id protocol.ID) link.Result {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("a Result for %s", id), func() bool { return r.has(id) })
	res := r.of(id)
	if len(res) != 1 {
		t.Fatalf("id %s got %d Results, want exactly 1: %+v", id, len(res), res)
	}
	return res[0]
}

func (r *recorder) kinds(k link.Kind) []link.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []link.Result
	for _, res := range r.results {
		if res.Kind == k {
			out = append(out, res)
		}
	}
	return out
}

func (r *recorder) stateSeen(s link.State) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.states {
		if c.State == s {
			return true
		}
	}
	return false
}

func (r *recorder) reasons(s link.State) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.states {
		if c.State == s {
			out = append(out, c.Reason)
		}
	}
	return out
}

func (r *recorder) telemetry() []protocol.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]protocol.State(nil), r.tele...)
}

func testLogger() *slog.Logger {
	if os.Getenv("LINK_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, d, what, cond)
}

// newLink starts a Link closed at cleanup.
func newLink(t *testing.T, cfg link.Config) *link.Link {
	t.Helper()
	l, err := link.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// startServer starts a fake controller closed at cleanup.
func startServer(t *testing.T, addr string, mode fakectl.Mode, token string) *fakectl.Server {
	t.Helper()
	s, err := fakectl.Start(addr, mode, token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// startServerOn starts a fake controller on the held port, closed at cleanup.
func startServerOn(t *testing.T, port *testutil.HeldPort, mode fakectl.Mode, token string) *fakectl.Server {
	t.Helper()
	s := fakectl.StartOn(port.Listener(t), mode, token)
	t.Cleanup(func() { s.Close() })
	return s
}

func waitState(t *testing.T, l *link.Link, s link.State) {
	t.Helper()
	waitFor(t, 10*time.Second, "state "+s.String(), func() bool { return l.Metrics().State == s })
}

// executedLines is every line srv executed, as received, one per line.
func executedLines(srv *fakectl.Server) string {
	var raws []string
	for _, e := range srv.Executions() {
		raws = append(raws, e.Raw)
	}
	return strings.Join(raws, "\n")
}

// gripperCmd is a discrete gripper change at a fixed pose.
func gripperCmd(g float64) protocol.Request {
	x, y, z := 150.0, 0.0, 200.0
	gr := protocol.Gripper(g)
	return protocol.Request{Type: protocol.TypeCommand, X: &x, Y: &y, Z: &z, Gripper: &gr}
}

func mustSend(t *testing.T, l *link.Link, r protocol.Request) protocol.ID {
	t.Helper()
	id, err := l.Send(r)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// gp returns a pointer to a gripper value.
func gp(v float64) *float64 { return &v }
