package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/aether-lab/aether-bridge/pkg/tlsutil"
)

// TestBinaryTLS runs the controller with --tls-cert/--tls-key, a token
// and the panel: a TLS client that trusts the certificate file moves the
// arm, the panel is https and its WebSocket wss, and plain TCP gets no
// protocol at all.
func TestBinaryTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, tokenFile := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key"), filepath.Join(dir, "token")
	certPEM, keyPEM, err := tlsutil.SelfSigned(nil, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, certPEM, 0o644)
	os.WriteFile(keyFile, keyPEM, 0o600)
	os.WriteFile(tokenFile, []byte("tls-token\n"), 0o600)
	p := startBinary(t, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--backend", "sim",
		"--token-file", tokenFile, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(p.panelURL, "https://") {
		t.Fatalf("panel at %q, want https://", p.panelURL)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	tc := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}

	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", p.addr, tc)
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(waitFor))
	r := bufio.NewReader(conn)
	for _, step := range []struct{ send, want string }{
		{`{"type":"hello","version":1,"client":"tls","token":"tls-token"}`, `"message":"hello tls, role control"`},
		{`{"type":"command","x":120.0,"y":35.5,"z":210.0,"gripper":"open"}`, `{"status":"ok","message":"Command received"}`},
	} {
		io.WriteString(conn, step.send+"\n")
		if got, _ := r.ReadString('\n'); !strings.Contains(got, step.want) {
			t.Fatalf("%s over TLS: %q, want %s", step.send, got, step.want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
	ws, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(p.panelURL, "https")+"ws", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("wss: %v", err)
	}
	defer ws.CloseNow()
	ws.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","version":1,"client":"panel-t","role":"monitor","token":"tls-token"}`+"\n"))
	if _, b, err := ws.Read(ctx); err != nil || !strings.Contains(string(b), "hello panel-t, role monitor") {
		t.Fatalf("hello over wss: %q %v", b, err)
	}

	plain, err := net.DialTimeout("tcp", p.addr, waitFor)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plain.SetDeadline(time.Now().Add(waitFor))
	io.WriteString(plain, `{"type":"ping"}`+"\n")
	if b, _ := io.ReadAll(plain); strings.Contains(string(b), "status") {
		t.Fatalf("plain TCP got a protocol reply from a TLS controller: %q", b)
	}

	p.sigterm(t)
	p.waitExit(t)
}

func TestTLSFlagsGoTogether(t *testing.T) {
	for _, args := range [][]string{{"--tls-cert", "x.crt"}, {"--tls-key", "x.key"}} {
		if err := run(append([]string{"--listen", "127.0.0.1:0"}, args...), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "go together") {
			t.Errorf("%v: %v", args, err)
		}
	}
	err := run([]string{"--listen", "127.0.0.1:0", "--tls-cert", "none.crt", "--tls-key", "none.key"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "aether_tlscert") {
		t.Errorf("missing files: %v, want a hint to make a pair", err)
	}
}

// A bad setting is reported before the servos are opened: the controller
// never powers the arm only to stop on a typo.
func TestSettingsAreCheckedBeforeTheServosAreOpened(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "no-such-adapter")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", "none.crt", "--tls-key", "none.key"}, "aether_tlscert"},
		{[]string{"--watchdog", "10ms"}, "--watchdog"},
	} {
		args := append([]string{"--listen", "127.0.0.1:0", "--arm", "../../config/so101.yaml", "--backend", "feetech", "--serial-port", dev}, tc.args...)
		err := run(args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), dev) {
			t.Errorf("%v: %v, want the %s error, not one from opening the servos", tc.args, err, tc.want)
		}
	}
}
