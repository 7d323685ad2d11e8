package panel

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/controller"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor bounds every wait: long for a loaded machine, short enough that
// a broken test fails instead of hanging.
const waitFor = 10 * time.Second

const seedLine = `{"type":"command","x":120.0,"y":35.5,"z":210.0,"gripper":"open"}`

// rig is a controller with sim servos, the panel in front of it on an
// httptest server, and the controller's TCP port.
type rig struct {
	t     *testing.T
	srv   *controller.Server
	sim   *sim.Backend
	panel *Panel
	http  *httptest.Server
	tcp   string
	logs  *syncBuffer
	wsURL string
}

func newRig(t *testing.T, cfg controller.Config, pcfg Config) *rig {
	t.Helper()
	r := &rig{t: t, logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	arm := armfile.Default()
	park, _ := arm.ParkPose()
	start, err := arm.Kinematics.ToExternal(park)
	if err != nil {
		t.Fatal(err)
	}
	if r.sim, err = sim.New(sim.Config{Calibrations: arm.Servos, StartJoints: start}, nil); err != nil {
		t.Fatal(err)
	}
	if cfg.Watchdog == 0 {
		cfg.Watchdog = time.Hour // no watchdog holds in the middle of a test
	}
	cfg.Logger = log
	if r.srv, err = controller.New(cfg, arm, r.sim); err != nil {
		t.Fatal(err)
	}
	pcfg.Logger = log
	if r.panel, err = New(pcfg, r.srv); err != nil {
		t.Fatal(err)
	}
	r.http = httptest.NewServer(r.panel)
	r.wsURL = "ws" + strings.TrimPrefix(r.http.URL, "http") + "/ws"

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.tcp = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- r.srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		r.panel.Close()
		r.http.Close()
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		r.srv.Close()
		if t.Failed() {
			t.Logf("log:\n%s", r.logs.String())
		}
	})
	return r
}

// wsClient is a real WebSocket client of the panel.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

func (r *rig) dialWS(opts *websocket.DialOptions) *wsClient {
	r.t.Helper()
	c, err := r.tryDialWS(opts)
	if err != nil {
		r.t.Fatalf("dial %s: %v", r.wsURL, err)
	}
	return c
}

func (r *rig) tryDialWS(opts *websocket.DialOptions) (*wsClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, r.wsURL, opts)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	r.t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: r.t, c: c}, nil
}

func (w *wsClient) sendRaw(typ websocket.MessageType, b string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := w.c.Write(ctx, typ, []byte(b)); err != nil {
		w.t.Fatalf("write %q: %v", b, err)
	}
}

func (w *wsClient) send(line string) { w.sendRaw(websocket.MessageText, line+"\n") }

// recvMessage returns the next message, which must be text.
func (w *wsClient) recvMessage() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	typ, b, err := w.c.Read(ctx)
	if err == nil && typ != websocket.MessageText {
		w.t.Fatalf("got a %v message, want text", typ)
	}
	return string(b), err
}

// recvLine returns the next message, checking it is exactly one line.
func (w *wsClient) recvLine() string {
	w.t.Helper()
	m, err := w.recvMessage()
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	if !strings.HasSuffix(m, "\n") || strings.Count(m, "\n") != 1 {
		w.t.Fatalf("message %q is not one \\n-terminated line", m)
	}
	return strings.TrimSuffix(m, "\n")
}

// recv returns the next reply, skipping pushed events.
func (w *wsClient) recv() protocol.Response {
	w.t.Helper()
	for {
		line := w.recvLine()
		r, err := protocol.DecodeResponse([]byte(line))
		if err != nil {
			w.t.Fatalf("decode %s: %v", line, err)
		}
		if r.Type != protocol.TypeEvent {
			return r
		}
	}
}

func (w *wsClient) do(line string) protocol.Response {
	w.t.Helper()
	w.send(line)
	return w.recv()
}

// expectClosed reads until the server closes the connection.
func (w *wsClient) expectClosed() error {
	w.t.Helper()
	for {
		if _, err := w.recvMessage(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				w.t.Fatal("the server did not close the connection")
			}
			return err
		}
	}
}

// tcpClient is a plain protocol client on the controller's TCP port.
type tcpClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func (r *rig) dialTCP() *tcpClient {
	r.t.Helper()
	conn, err := net.DialTimeout("tcp", r.tcp, waitFor)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { conn.Close() })
	return &tcpClient{t: r.t, conn: conn, r: bufio.NewReader(conn)}
}

func (c *tcpClient) do(line string) protocol.Response {
	c.t.Helper()
	c.conn.SetDeadline(time.Now().Add(waitFor))
	if _, err := io.WriteString(c.conn, line+"\n"); err != nil {
		c.t.Fatal(err)
	}
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		r, err := protocol.DecodeResponse([]byte(l))
		if err != nil {
			c.t.Fatal(err)
		}
		if r.Type != protocol.TypeEvent {
			return r
		}
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

// eventually polls cond until it holds or waitFor passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, waitFor, what, cond)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer = testutil.SyncBuffer
