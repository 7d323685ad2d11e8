package panel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/controller"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

func TestSeedCommandOverWebSocket(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{})
	ws := r.dialWS(nil)
	ws.send(seedLine)
	if got := ws.recvLine(); got != `{"status":"ok","message":"Command received"}` {
		t.Fatalf("seed reply over WebSocket: %s", got)
	}
	// The WebSocket is a line stream: a line may span messages, and one
	// message may hold several lines; every reply is its own message.
	ws.sendRaw(websocket.MessageText, `{"type":"ping",`)
	ws.sendRaw(websocket.MessageText, `"id":1}`+"\n"+`{"type":"ping","id":2}`+"\n")
	for _, id := range []protocol.ID{"1", "2"} {
		if rep := ws.recv(); rep.Type != protocol.TypePong || rep.ID != id {
			t.Fatalf("reply %+v, want pong %s", rep, id)
		}
	}
	if st := r.srv.State(); st.Control == "" || !strings.HasPrefix(st.Control, "127.0.0.1:") {
		t.Fatalf("control %q, want the WebSocket's real address", st.Control)
	}
}

func TestBusyWhenATCPClientHoldsControl(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{})
	tcp := r.dialTCP()
	wantOK(t, tcp.do(`{"type":"hello","version":1,"client":"aether_bridge"}`), "hello aether_bridge, role control")
	wantOK(t, tcp.do(seedLine), protocol.MessageCommandReceived)

	ws := r.dialWS(nil)
	wantOK(t, ws.do(`{"type":"hello","version":1,"client":"panel-1"}`), "hello panel-1, role control")
	wantCode(t, ws.do(`{"type":"command","id":5,"x":150,"y":0,"z":150}`), protocol.CodeBusy, "another client holds control (aether_bridge at")
	wantCode(t, ws.do(`{"type":"home"}`), protocol.CodeBusy)
	// Stop always works, lease or not.
	wantOK(t, ws.do(`{"type":"stop"}`), "Stopped")
	if !r.srv.State().Estopped {
		t.Fatal("stop from the panel did not latch")
	}
	wantCode(t, tcp.do(seedLine), protocol.CodeEstop)
}

func TestTokenRequired(t *testing.T) {
	r := newRig(t, controller.Config{Token: "s3cret"}, Config{})
	ws := r.dialWS(nil)
	for _, line := range []string{`{"type":"ping"}`, seedLine, `{"type":"status"}`, `{"type":"subscribe"}`, `{"type":"servo"}`} {
		wantCode(t, ws.do(line), protocol.CodeUnauthorized, "not authenticated")
	}
	wantCode(t, ws.do(`{"type":"hello","version":1,"token":"wrong"}`), protocol.CodeUnauthorized, "wrong or missing token")
	ws.expectClosed()

	ws = r.dialWS(nil)
	wantOK(t, ws.do(`{"type":"hello","version":1,"client":"panel-2","token":"s3cret"}`), "hello panel-2, role control")
	wantOK(t, ws.do(seedLine), protocol.MessageCommandReceived)
	if strings.Contains(r.logs.String(), "s3cret") {
		t.Fatal("the token was logged")
	}
}

// servoReply is a reply with the servo payload.
type servoReply struct {
	protocol.Response
	Calibration *controller.ServoReport `json:"calibration"`
}

func (w *wsClient) doServo(line string) servoReply {
	w.t.Helper()
	w.send(line)
	for {
		l := w.recvLine()
		var rep servoReply
		if err := json.Unmarshal([]byte(l), &rep); err != nil {
			w.t.Fatal(err)
		}
		if rep.Type != protocol.TypeEvent {
			return rep
		}
	}
}

func TestServoStepLimitsOverWebSocket(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{})
	ws := r.dialWS(nil)
	hello := ws.do(`{"type":"hello","version":1,"client":"panel-3"}`)
	if caps := strings.Join(hello.Server.Capabilities, ","); !strings.Contains(caps, controller.CapabilityServo) {
		t.Fatalf("capabilities %s lack servo", caps)
	}
	list := ws.doServo(`{"type":"servo"}`)
	if list.Status != protocol.StatusOK || list.Calibration == nil || len(list.Calibration.Servos) != 6 {
		t.Fatalf("servo list %+v", list)
	}
	p0 := list.Calibration.Servos[2].PulseUS // elbow_pitch, channel 2
	step := ws.doServo(fmt.Sprintf(`{"type":"servo","channel":2,"pulse_us":%d}`, p0-50))
	if step.Status != protocol.StatusOK || step.Calibration.Servos[0].PulseUS != p0-50 || !step.Calibration.Servos[0].Raw {
		t.Fatalf("50 µs step: %+v", step)
	}
	if got := r.sim.RawPulses()[2]; got != p0-50 {
		t.Fatalf("sim channel 2 at %d µs, want %d", got, p0-50)
	}
	wantCode(t, ws.do(fmt.Sprintf(`{"type":"servo","channel":2,"pulse_us":%d}`, p0-101)), protocol.CodeOutOfRange, "at most 50 µs per servo request")
	wantCode(t, ws.do(`{"type":"servo","channel":2,"pulse_us":4001}`), protocol.CodeOutOfRange, "from 100 to 4000")
	wantOK(t, ws.do(`{"type":"stop"}`), "Stopped")
	wantCode(t, ws.do(fmt.Sprintf(`{"type":"servo","channel":2,"pulse_us":%d}`, p0-60)), protocol.CodeEstop)
	if got := r.sim.RawPulses()[2]; got != p0-50 {
		t.Fatalf("refused steps moved the servo to %d µs", got)
	}
}

func TestBadInputOverWebSocket(t *testing.T) {
	r := newRig(t, controller.Config{MaxLine: 256}, Config{})
	ws := r.dialWS(nil)
	wantCode(t, ws.do(strings.Repeat("x", 300)), protocol.CodeLineTooLong)
	wantCode(t, ws.do(`{"type":"command","x":"120","y":0,"z":0}`), protocol.CodeBadType, `field "x" must be a number`)
	wantOK(t, ws.do(`{"type":"ping"}`), "pong") // the connection survived

	// A binary message is not protocol text: closed with a reason.
	ws.sendRaw(websocket.MessageBinary, "\x00\x01")
	err := ws.expectClosed()
	if websocket.CloseStatus(err) != websocket.StatusUnsupportedData || !strings.Contains(err.Error(), "expected MessageText") {
		t.Fatalf("binary message: %v, want a close with StatusUnsupportedData naming text messages", err)
	}
}

func TestTooManyClientsOverWebSocket(t *testing.T) {
	r := newRig(t, controller.Config{MaxClients: 1}, Config{})
	first := r.dialWS(nil)
	wantOK(t, first.do(`{"type":"ping"}`), "pong")
	second := r.dialWS(nil)
	wantCode(t, second.recv(), protocol.CodeBusy, "too many clients: the controller serves 1 at once")
	second.expectClosed()
	wantOK(t, first.do(`{"type":"ping"}`), "pong")
}

func TestOrigins(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{OriginPatterns: []string{"tablet.lab:8080"}})
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true}, // not a browser
		{r.http.URL, true},
		{"http://tablet.lab:8080", true},
		{"http://evil.example", false},
		{"http://tablet.lab:9090", false},
	} {
		opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
		if tc.origin != "" {
			opts.HTTPHeader.Set("Origin", tc.origin)
		}
		ws, err := r.tryDialWS(opts)
		if tc.ok {
			if err != nil {
				t.Fatalf("origin %q refused: %v", tc.origin, err)
			}
			wantOK(t, ws.do(`{"type":"ping"}`), "pong")
		} else if err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("origin %q: %v, want 403", tc.origin, err)
		}
	}
	if !strings.Contains(r.logs.String(), "panel request refused") {
		t.Error("a refused origin is not logged")
	}
}

func TestPageAndAssets(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{})
	get := func(method, path string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, r.http.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := r.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	resp, body := get("GET", "/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `<script src="/static/panel.js" defer></script>`) || !strings.Contains(body, `id="stop"`) {
		t.Fatalf("GET / = %d %s:\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	for path, ctype := range map[string]string{"/static/panel.js": "text/javascript", "/static/calib.js": "text/javascript", "/static/panel.css": "text/css"} {
		if resp, _ := get("GET", path); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	for _, tc := range []struct {
		method, path string
		code         int
		msg          string
	}{
		{"GET", "/nope", 404, "the panel is at /"},
		{"GET", "/static/nope.js", 404, ""},
		{"GET", "/static/index.html", 404, "the panel is at /"},
		{"POST", "/", 405, "only serves GET"},
		{"GET", "/ws", 426, ""}, // not a WebSocket handshake
	} {
		resp, body := get(tc.method, tc.path)
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.msg) {
			t.Errorf("%s %s = %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, body, tc.code, tc.msg)
		}
	}
	// Nothing from a CDN: every asset refers to its own origin only.
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s refers to another origin (%q)", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCloseEndsWebSocketsOnly(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{})
	ws := r.dialWS(nil)
	wantOK(t, ws.do(`{"type":"ping"}`), "pong")
	eventually(t, "session counted", func() bool { return r.srv.Stats().Clients == 1 })
	r.panel.Close()
	ws.expectClosed()
	eventually(t, "session gone", func() bool { return r.srv.Stats().Clients == 0 })
	// The controller goes on serving TCP; the panel refuses new WebSockets.
	wantOK(t, r.dialTCP().do(`{"type":"ping"}`), "pong")
	if _, err := r.tryDialWS(nil); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("dial after Close: %v, want 503", err)
	}
}

func TestControllerShutdownReachesThePanel(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{})
	ws := r.dialWS(nil)
	wantOK(t, ws.do(`{"type":"ping"}`), "pong")
	go r.srv.Close()
	wantCode(t, ws.recv(), protocol.CodeInternal, "controller shutting down")
	ws.expectClosed()
}

func TestServe(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{})
	p, err := New(Config{Logger: r.panel.log}, r.srv)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, ln) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET / via Serve = %d", resp.StatusCode)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), waitFor)
	defer dcancel()
	c, _, err := websocket.Dial(dctx, "ws://"+ln.Addr().String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ws := &wsClient{t: t, c: c}
	wantOK(t, ws.do(`{"type":"ping"}`), "pong")

	cancel() // ends Serve, which closes the panel
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve = %v after its context ended, want nil", err)
		}
	case <-time.After(waitFor):
		t.Fatal("Serve did not return after its context ended")
	}
	ws.expectClosed()
	if _, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
		t.Fatal("the listener still accepts after Serve returned")
	}
	if err := p.Serve(context.Background(), ln); err != nil {
		t.Fatalf("Serve after Close = %v, want nil", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{OriginPatterns: []string{"*"}}, `OriginPatterns: entry 0: "*" allows every origin`},
		{Config{OriginPatterns: []string{"ok.lab", "[bad"}}, `OriginPatterns: entry 1: "[bad" is not a host pattern`},
		{Config{OriginPatterns: []string{""}}, `OriginPatterns: entry 0: "" is not a host pattern`},
		{Config{ReadHeaderTimeout: -1}, "ReadHeaderTimeout: -1ns is negative"},
		{Config{WriteTimeout: -time.Second}, "WriteTimeout: -1s is negative"},
		{Config{IdleTimeout: -1}, "IdleTimeout:"},
	}
	for _, tc := range tests {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
		if _, err := New(tc.cfg, fakeConns{}); err == nil {
			t.Errorf("New accepted %+v", tc.cfg)
		}
	}
	if err := (Config{OriginPatterns: []string{"*.lab.example", "tablet:8080"}}).Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	if _, err := New(Config{}, nil); err == nil || !strings.Contains(err.Error(), "conns is nil") {
		t.Fatalf("New(nil conns) = %v", err)
	}
	c := Config{}.withDefaults()
	if c.ReadHeaderTimeout != DefaultReadHeaderTimeout || c.WriteTimeout != DefaultWriteTimeout || c.IdleTimeout != DefaultIdleTimeout || c.Logger == nil {
		t.Fatalf("defaults %+v", c)
	}
}

// fakeConns refuses every connection.
type fakeConns struct{}

func (fakeConns) ServeConn(ctx context.Context, conn net.Conn) error {
	conn.Close()
	return errors.New("refused")
}

// The page's gripper button sends only the gripper (no position taken from
// the page, which could be stale): over the WebSocket that changes the
// gripper and leaves the arm where it rests.
func TestGripperButtonRequestLeavesTheArmWhereItIs(t *testing.T) {
	js, err := fs.ReadFile(static, "static/panel.js")
	if err != nil {
		t.Fatal(err)
	}
	const pageSends = "send({ type: 'command', gripper: arm.gripper })"
	if !strings.Contains(string(js), pageSends) {
		t.Fatalf("panel.js no longer sends %s for the gripper button: test what it sends instead", pageSends)
	}
	r := newRig(t, controller.Config{}, Config{})
	ws := r.dialWS(nil)
	if rep := ws.do(seedLine); rep.Status != protocol.StatusOK {
		t.Fatalf("seed command: %+v", rep)
	}
	testutil.Eventually(t, waitFor, "the arm at rest at the seed target", func() bool {
		st := r.srv.State()
		return !st.Moving && math.Abs(st.Pose.X-120) < 1 && math.Abs(st.Pose.Z-210) < 1
	})
	before := r.srv.State().Pose
	if rep := ws.do(`{"type":"command","gripper":1,"id":7}`); rep.Status != protocol.StatusOK {
		t.Fatalf("gripper-only command: %+v", rep)
	}
	testutil.Eventually(t, waitFor, "the gripper closed, the arm at rest", func() bool {
		st := r.srv.State()
		return st.Gripper == 1 && !st.Moving
	})
	if after := r.srv.State().Pose; math.Abs(after.X-before.X) > 0.5 || math.Abs(after.Y-before.Y) > 0.5 || math.Abs(after.Z-before.Z) > 0.5 {
		t.Fatalf("the gripper button moved the arm from %+v to %+v", before, after)
	}
}
