package controller

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"

	"go.uber.org/goleak"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo"
	"github.com/aether-lab/aether-bridge/pkg/servo/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor bounds every wait in these tests: long enough for a loaded CI
// machine, short enough that a broken test fails instead of hanging.
const waitFor = 10 * time.Second

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// seedLine is the lab document's request, byte for byte.
const seedLine = `{"type":"command","x":120.0,"y":35.5,"z":210.0,"gripper":"open"}`

// harness is a Server on 127.0.0.1 with a fake clock, sim servos behind a
// gate, and a tick counter.
type harness struct {
	t       *testing.T
	srv     *Server
	clk     *clock.Fake
	servos  *gatedBackend
	sim     *sim.Backend
	addr    string
	logs    *syncBuffer
	ticks   atomic.Int64
	tickSig chan struct{}
	period  time.Duration
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	return newHarnessArm(t, cfg, armfile.Default())
}

func newHarnessArm(t *testing.T, cfg Config, arm armfile.Arm) *harness {
	t.Helper()
	return newHarnessWith(t, cfg, arm, nil)
}

// newHarnessWith is newHarnessArm with the servos wrapped by wrap (nil:
// the gated sim servos as they are), e.g. to add servo.Feedback.
func newHarnessWith(t *testing.T, cfg Config, arm armfile.Arm, wrap func(*harness) servo.Backend) *harness {
	t.Helper()
	h := &harness{t: t, clk: clock.NewFake(t0), logs: &syncBuffer{}, tickSig: make(chan struct{}, 1)}
	park, _ := arm.ParkPose()
	start, err := arm.Kinematics.ToExternal(park)
	if err != nil {
		t.Fatal(err)
	}
	h.sim, err = sim.New(sim.Config{Calibrations: arm.Servos, StartJoints: start}, h.clk)
	if err != nil {
		t.Fatal(err)
	}
	h.servos = &gatedBackend{Backend: h.sim}
	cfg.Clock = h.clk
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var backend servo.Backend = h.servos
	if wrap != nil {
		backend = wrap(h)
	}
	h.srv, err = newServer(cfg, arm, backend, func() {
		h.ticks.Add(1)
		select {
		case h.tickSig <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.period = h.srv.cfg.tickPeriod()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		h.servos.open() // never leave the motion loop stuck in a gated write
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		h.srv.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", h.logs.String())
		}
	})
	return h
}

// step advances the fake clock by n tick periods, waiting each time until
// the motion loop has handled whatever fell due (a tick, the watchdog). The
// loop ticks only while the arm moves, so this waits on a barrier request,
// not on a tick.
func (h *harness) step(n int) {
	h.t.Helper()
	for range n {
		h.clk.Advance(h.period)
		h.sync()
	}
}

// sync waits until the motion loop has handled everything due so far.
func (h *harness) sync() {
	h.t.Helper()
	r := newResult()
	h.srv.submit(context.Background(), &op{kind: opBarrier, res: r})
	select {
	case <-r.done:
	case <-time.After(waitFor):
		h.t.Fatalf("motion loop did not answer within %v", waitFor)
	}
}

// stepUntil steps tick by tick until cond holds, at most max ticks, and
// returns the ticks taken.
func (h *harness) stepUntil(max int, what string, cond func(protocol.State) bool) int {
	h.t.Helper()
	for n := 0; n <= max; n++ {
		if cond(h.srv.State()) {
			return n
		}
		h.step(1)
	}
	h.t.Fatalf("%s: not reached within %d ticks; state %+v", what, max, h.srv.State())
	return 0
}

// eventually polls cond (real time) until it holds or waitFor passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, waitFor, what, cond)
}

// client is a test connection speaking raw lines.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func (h *harness) dial() *client {
	h.t.Helper()
	return dial(h.t, h.addr)
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, waitFor)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, r: bufio.NewReaderSize(conn, 1<<16)}
}

func (c *client) send(line string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(waitFor))
	if _, err := io.WriteString(c.conn, line+"\n"); err != nil {
		c.t.Fatalf("send %s: %v", line, err)
	}
}

// recvRaw returns the next line without its newline.
func (c *client) recvRaw() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(waitFor))
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("recv: %v (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

func (c *client) recv() protocol.Response {
	c.t.Helper()
	line := c.recvRaw()
	r, err := protocol.DecodeResponse([]byte(line))
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	return r
}

// recvReply skips pushed events.
func (c *client) recvReply() protocol.Response {
	c.t.Helper()
	for {
		if r := c.recv(); r.Type != protocol.TypeEvent {
			return r
		}
	}
}

func (c *client) do(line string) protocol.Response {
	c.t.Helper()
	c.send(line)
	return c.recvReply()
}

// expectEOF waits for the server to close the connection, reading past
// anything still sent.
func (c *client) expectEOF() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(waitFor))
	if _, err := io.Copy(io.Discard, c.r); err != nil {
		c.t.Fatalf("waiting for the server to close: %v", err)
	}
}

func wantOK(t *testing.T, r protocol.Response, msg string) {
	t.Helper()
	if r.Status != protocol.StatusOK || r.Message != msg {
		t.Fatalf("reply %+v, want ok %q", r, msg)
	}
}

func wantCode(t *testing.T, r protocol.Response, code protocol.Code, msgParts ...string) {
	t.Helper()
	if r.Status != protocol.StatusError || r.Code != code {
		t.Fatalf("reply %+v, want error %s", r, code)
	}
	for _, p := range msgParts {
		if !strings.Contains(r.Message, p) {
			t.Errorf("message %q does not mention %q", r.Message, p)
		}
	}
}

// gatedBackend wraps the sim servos; close() makes Write block until open().
type gatedBackend struct {
	*sim.Backend
	mu      sync.Mutex
	gate    chan struct{} // nil = open
	entered chan struct{} // signalled when a Write blocks on the gate
}

func (g *gatedBackend) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
	g.entered = make(chan struct{}, 1)
}

func (g *gatedBackend) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
}

func (g *gatedBackend) Write(joints []float64, gripper float64) error {
	g.mu.Lock()
	gate, entered := g.gate, g.entered
	g.mu.Unlock()
	if gate != nil {
		entered <- struct{}{}
		<-gate
	}
	return g.Backend.Write(joints, gripper)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer = testutil.SyncBuffer

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
