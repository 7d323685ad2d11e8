package link_test

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/controller"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/tlsutil"
)

// tlsController runs the real controller, with a token, behind TLS with a
// fresh self-signed certificate, and returns it with the certificate
// file and its fingerprint.
func tlsController(t *testing.T, token string) (ctl *realController, certFile, fingerprint string) {
	t.Helper()
	dir := t.TempDir()
	certPEM, keyPEM, err := tlsutil.SelfSigned(nil, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	sc, err := tlsutil.ServerConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctl = startControllerOn(t, tls.NewListener(ln, sc), nil, func(c *controller.Config) { c.Token = token })
	if fingerprint, err = tlsutil.FileFingerprint(certFile); err != nil {
		t.Fatal(err)
	}
	return ctl, certFile, fingerprint
}

// TestTLSSlice: the bridge's link reaches a TLS controller, checked by
// the certificate file or by the pinned fingerprint, and the slice works
// end to end: hello with the token, a target moves the arm, gripper,
// stop, reset, status.
func TestTLSSlice(t *testing.T) {
	leakCheck(t)
	ctl, certFile, fp := tlsController(t, "tls-token")
	for name, tune := range map[string]func(*link.Config){
		"ca file":     func(c *link.Config) { c.TLSCAFile = certFile },
		"fingerprint": func(c *link.Config) { c.TLSFingerprint = strings.ToUpper(strings.TrimPrefix(fp, "sha256:")) },
	} {
		t.Run(name, func(t *testing.T) {
			var rec recorder
			cfg := rec.config(ctl.addr)
			cfg.TLS, cfg.Token = true, "tls-token"
			tune(&cfg)
			l := newLink(t, cfg)
			waitState(t, l, link.StateConnected)
			tgt := l.SetTarget(link.Target{X: 150, Y: 0, Z: 200})
			g := mustSend(t, l, gripperCmd(1))
			for _, id := range []protocol.ID{tgt, g} {
				if res := rec.one(t, id); !res.OK() {
					t.Fatalf("%s over TLS: %+v", id, res)
				}
			}
			if res := rec.one(t, l.Stop()); !res.OK() || res.Response.Message != "Stopped" {
				t.Fatalf("stop over TLS: %+v", res)
			}
			if res := rec.one(t, mustSend(t, l, protocol.Request{Type: protocol.TypeReset})); !res.OK() {
				t.Fatalf("reset over TLS: %+v", res)
			}
			st := mustSend(t, l, protocol.Request{Type: protocol.TypeStatus})
			if res := rec.one(t, st); !res.OK() || res.Response.State == nil || res.Response.State.Control != "link_test" {
				t.Fatalf("status over TLS: %+v", res)
			}
			l.Close()
		})
	}
}

// TestTLSWrongFingerprint: a controller whose certificate is not the
// pinned one is refused before anything is sent, and the link's state
// says what to check.
func TestTLSWrongFingerprint(t *testing.T) {
	leakCheck(t)
	ctl, _, _ := tlsController(t, "tls-token")
	var rec recorder
	cfg := rec.config(ctl.addr)
	cfg.TLS, cfg.Token = true, "tls-token"
	cfg.TLSFingerprint = "sha256:" + strings.Repeat("ab", 32)
	l := newLink(t, cfg)
	waitFor(t, 10*time.Second, "a refused connection", func() bool { return len(rec.reasons(link.StateBackoff)) > 0 })
	why := rec.reasons(link.StateBackoff)[0]
	for _, want := range []string{"fingerprint", strings.Repeat("ab", 32), "check that controller_host points at the right controller", "aether_tlscert -fingerprint"} {
		if !strings.Contains(why, want) {
			t.Errorf("reason %q does not mention %q", why, want)
		}
	}
	if rec.stateSeen(link.StateConnected) {
		t.Fatal("connected to a controller with the wrong certificate")
	}
	if st := ctl.srv.State(); st.Control != "" {
		t.Fatalf("the controller saw a client: %+v", st)
	}
	l.Close()
}

// TestTLSConfigErrors: bad TLS settings are refused at New, saying why.
func TestTLSConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		tune func(*link.Config)
		want string
	}{
		{func(c *link.Config) { c.TLSFingerprint = "abc" }, "not a SHA-256 certificate fingerprint"},
		{func(c *link.Config) { c.TLSCAFile = filepath.Join(t.TempDir(), "none.crt") }, "none.crt"},
		{func(c *link.Config) { c.TLSCAFile = os.Args[0] }, "holds no PEM certificate"},
	} {
		cfg := link.Config{Addr: "127.0.0.1:5000", TLS: true}
		tc.tune(&cfg)
		if _, err := link.New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error mentioning %q", cfg, err, tc.want)
		}
	}
}
