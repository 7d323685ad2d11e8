package panel

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/aether-lab/aether-bridge/pkg/controller"
	"github.com/aether-lab/aether-bridge/pkg/tlsutil"
)

// TestRebindingRefused is DNS rebinding as a browser does it: a page from
// evil.example whose name now resolves to 127.0.0.1 opens the WebSocket
// with Host and Origin both evil.example. Same-origin holds, so only the
// Host check stops it: 403, a log line, and the arm does not move.
func TestRebindingRefused(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{})
	port := r.http.Listener.Addr().String()[strings.LastIndex(r.http.Listener.Addr().String(), ":"):]
	before, _ := r.sim.Positions()
	for range 3 {
		_, err := r.tryDialWS(&websocket.DialOptions{
			Host:       "evil.example" + port,
			HTTPHeader: http.Header{"Origin": {"http://evil.example" + port}},
		})
		if err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("rebinding WebSocket: %v, want 403", err)
		}
	}
	// The page itself is refused too, so the attacker's page cannot even
	// read the panel.
	req, _ := http.NewRequest(http.MethodGet, r.http.URL+"/", nil)
	req.Host = "evil.example" + port
	resp, err := r.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "--http-allow-host") {
		t.Fatalf("page for a foreign host: %d %q, want 403 naming --http-allow-host", resp.StatusCode, body)
	}
	if got := r.srv.Stats().Clients; got != 0 {
		t.Fatalf("%d protocol clients, want none", got)
	}
	if after, _ := r.sim.Positions(); !slices.Equal(before, after) || r.srv.State().Control != "" {
		t.Fatalf("the arm moved or was taken: %v → %v, control %q", before, after, r.srv.State().Control)
	}
	logs := r.logs.String()
	if n := strings.Count(logs, "panel request refused"); n != 1 {
		t.Fatalf("%d log lines for 4 refused requests from one source, want 1 (the rest summarised):\n%s", n, logs)
	}
	if !strings.Contains(logs, `host \"evil.example`) {
		t.Fatalf("the log does not say which host was refused:\n%s", logs)
	}
}

func TestAllowedHostsAndOrigins(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{AllowedHosts: []string{"pi.lab", "Tablet.Lab:8443"}})
	port := r.http.Listener.Addr().String()[strings.LastIndex(r.http.Listener.Addr().String(), ":"):]
	for _, tc := range []struct {
		host, origin string
		ok           bool
	}{
		{"localhost" + port, "http://localhost" + port, true},
		{"127.0.0.1" + port, "", true},
		{"[::1]" + port, "", true},
		{"pi.lab" + port, "http://pi.lab" + port, true},
		{"PI.LAB." + port, "", true},
		{"tablet.lab:8443", "https://tablet.lab:8443", true},
		{"tablet.lab" + port, "", false},                       // allowed on another port only
		{"pi.lab" + port, "http://evil.example" + port, false}, // right host, foreign page
		{"pi.lab" + port, "null", false},                       // sandboxed frame
		{"localhost.evil.example" + port, "", false},
		{"10.1.2.3" + port, "", false}, // an address this request did not arrive on
		{"", "", false},
	} {
		opts := &websocket.DialOptions{Host: tc.host, HTTPHeader: http.Header{}}
		if tc.origin != "" {
			opts.HTTPHeader.Set("Origin", tc.origin)
		}
		if tc.host == "" {
			opts.Host = " " // net/http sends the URL's host for ""
		}
		ws, err := r.tryDialWS(opts)
		switch {
		case tc.ok && err != nil:
			t.Errorf("Host %q Origin %q refused: %v", tc.host, tc.origin, err)
		case tc.ok:
			wantOK(t, ws.do(`{"type":"ping"}`), "pong")
		case err == nil || !strings.Contains(err.Error(), "40"):
			t.Errorf("Host %q Origin %q: %v, want refused", tc.host, tc.origin, err)
		}
	}
}

func TestAllowedHostsValidate(t *testing.T) {
	for _, h := range []string{"", "*.lab", "http://pi.lab", "pi lab"} {
		if err := (Config{AllowedHosts: []string{h}}).Validate(); err == nil || !strings.Contains(err.Error(), "AllowedHosts: ") {
			t.Errorf("AllowedHosts %q: %v, want an error naming it", h, err)
		}
	}
}

// TestFailedTLSHandshakesAreQuiet: a peer that keeps failing the panel's
// TLS handshake costs the log one line, not one per attempt.
func TestFailedTLSHandshakesAreQuiet(t *testing.T) {
	r := newRig(t, controller.Config{}, Config{})
	p, err := New(Config{Logger: r.panel.log}, r.srv)
	if err != nil {
		t.Fatal(err)
	}
	tc, _, err := tlsutil.SelfSignedConfig(nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- p.Serve(context.Background(), tls.NewListener(raw, tc)) }()
	for range 20 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") // plain HTTP to the TLS port
		c.SetReadDeadline(time.Now().Add(waitFor))
		io.Copy(io.Discard, c)
		c.Close()
	}
	p.Close()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	logs := r.logs.String()
	if n := strings.Count(logs, "panel connection failed"); n < 1 || n > 2 {
		t.Fatalf("%d log lines for 20 failed handshakes from one address, want the first and a summary:\n%s", n, logs)
	}
	if !strings.Contains(logs, "repeated=19") {
		t.Fatalf("the summary does not count the other 19:\n%s", logs)
	}
}
