package controller

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/tlsutil"
)

const testToken = "s3cret-T0ken"

const goodHello = `{"type":"hello","version":1,"client":"bridge","token":"` + testToken + `"}`

// accepted returns how many connections the server has accepted so far.
func (h *harness) accepted() uint64 {
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	return h.srv.nextConn
}

// TestUnauthenticatedPeersCannotKeepAClientOut: with a token, 300 peers
// that connect and never authenticate (half silent, half trickling a
// ping line byte by byte) hold sockets; a client with the token still
// connects, authenticates within a second and moves the arm. The hello
// deadline is an hour, so it is the budget that makes room, not the
// deadline.
func TestUnauthenticatedPeersCannotKeepAClientOut(t *testing.T) {
	h := newHarness(t, Config{Token: testToken, HelloTimeout: time.Hour})
	const peers = 300
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { stop(); wg.Wait() })
	conns := make([]net.Conn, peers)
	for i := range conns {
		conn, err := net.DialTimeout("tcp", h.addr, waitFor)
		if err != nil {
			t.Fatalf("peer %d: %v", i, err)
		}
		t.Cleanup(func() { conn.Close() })
		conns[i] = conn
		if i%2 == 1 { // trickle `{"type":"ping"}` one byte every 20 ms, forever
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				line := []byte(`{"type":"ping"}` + "\n")
				for n := 0; ; n++ {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
					conn.SetWriteDeadline(time.Now().Add(waitFor))
					if _, err := conn.Write(line[n%len(line) : n%len(line)+1]); err != nil {
						return // evicted
					}
				}
			}()
		}
	}
	eventually(t, "the server accepted every peer", func() bool { return h.accepted() >= peers })
	if st := h.srv.Stats(); st.Unauthenticated != DefaultMaxUnauthenticated {
		t.Fatalf("%d connections wait to authenticate, want the budget %d", st.Unauthenticated, DefaultMaxUnauthenticated)
	}

	start := time.Now()
	c := h.dial()
	wantOK(t, c.do(goodHello), "hello bridge, role control")
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the client with the token took %v to connect and authenticate, want under a second", took)
	}
	wantOK(t, c.do(seedLine), protocol.MessageCommandReceived)
	if got := h.srv.State().Control; got != "bridge" {
		t.Fatalf("control %q, want bridge", got)
	}

	// The oldest peers were told why they were closed.
	r := make([]byte, 512)
	conns[0].SetReadDeadline(time.Now().Add(waitFor))
	n, _ := io.ReadAtLeast(conns[0], r, 1)
	if !strings.Contains(string(r[:n]), "waiting to authenticate") || !strings.Contains(string(r[:n]), `"code":"busy"`) {
		t.Fatalf("an evicted peer got %q", r[:n])
	}
	// 300 peers cost a handful of log lines, not one per connection.
	stop()
	wg.Wait()
	if n := strings.Count(h.logs.String(), "\n") - strings.Count(h.logs.String(), "level=DEBUG"); n > 10 {
		t.Fatalf("%d log lines for 300 unauthenticated peers:\n%s", n, h.logs.String())
	}
}

// TestHelloDeadline: with a token, a connection that does not
// authenticate within HelloTimeout is told so and closed, however it
// trickles; nothing but hello is answered before it.
func TestHelloDeadline(t *testing.T) {
	h := newHarness(t, Config{Token: testToken, HelloTimeout: 300 * time.Millisecond})
	c := h.dial()
	wantCode(t, c.do(`{"type":"ping"}`), protocol.CodeUnauthorized, "not authenticated")
	io.WriteString(c.conn, `{"type":`) // half a line, then nothing
	wantCode(t, c.recv(), protocol.CodeUnauthorized, "no hello with the token within 300ms")
	c.expectEOF()
	if h.srv.Stats().Unauthenticated != 0 {
		eventually(t, "the late connection leaves its place", func() bool { return h.srv.Stats().Unauthenticated == 0 })
	}
	// A client that says hello in time stays, past the deadline.
	ok := h.dial()
	wantOK(t, ok.do(goodHello), "hello bridge, role control")
	late := h.dial()
	wantCode(t, late.recv(), protocol.CodeUnauthorized, "no hello")
	wantOK(t, ok.do(`{"type":"ping"}`), "pong")
}

// TestMonitorsLeaveRoomForControl: authenticated monitors may fill all
// slots but one; that one is for a control client.
func TestMonitorsLeaveRoomForControl(t *testing.T) {
	h := newHarness(t, Config{Token: testToken, MaxClients: 2})
	mon := `{"type":"hello","version":1,"role":"monitor","token":"` + testToken + `"}`
	m1 := h.dial()
	if r := m1.do(mon); r.Status != protocol.StatusOK {
		t.Fatalf("first monitor: %+v", r)
	}
	m2 := h.dial()
	wantCode(t, m2.do(mon), protocol.CodeBusy, "too many clients")
	m2.expectEOF()
	ctl := h.dial()
	wantOK(t, ctl.do(goodHello), "hello bridge, role control")
	extra := h.dial()
	wantCode(t, extra.do(goodHello), protocol.CodeBusy, "too many clients")
}

func TestLockoutSchedule(t *testing.T) {
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for n := 1; n < len(want); n++ {
		if got := lockout(n); got != want[n] {
			t.Errorf("lockout after %d failures = %v, want %v", n, got, want[n])
		}
	}
	if got := lockout(1000); got != MaxHelloLockout {
		t.Errorf("lockout(1000) = %v", got)
	}
}

func TestSourceOf(t *testing.T) {
	for addr, want := range map[net.Addr]string{
		&net.TCPAddr{IP: net.ParseIP("10.0.0.5"), Port: 1}:             "10.0.0.5",
		&net.TCPAddr{IP: net.ParseIP("::ffff:10.0.0.5"), Port: 1}:      "10.0.0.5",
		&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:3:4:5:6"), Port: 1}: "2001:db8:1:2::/64",
	} {
		if got := sourceOf(addr); got != want {
			t.Errorf("sourceOf(%v) = %q, want %q", addr, got, want)
		}
	}
}

// authLogLines counts the log lines about refused hellos.
func (h *harness) authLogLines() int {
	n := 0
	for _, l := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(l, "hello with a wrong") || strings.Contains(l, "too many failed hellos") {
			n++
		}
	}
	return n
}

// TestGuessingIsSlowAndQuiet: 100 wrong tokens in a row from one
// address. Fired back to back, only the first FreeHelloFailures are
// compared at all (later ones, even with the right token, are refused
// unread) and the log gets one line, then one summary per minute. Paced
// as fast as the lockouts allow, 100 guesses take the documented time
// (1 s doubling to 60 s after the third failure: 5523 s ≈ 92 minutes).
func TestGuessingIsSlowAndQuiet(t *testing.T) {
	h := newHarness(t, Config{Token: testToken})
	wrong := `{"type":"hello","version":1,"client":"guesser","token":"guess"}`
	compared := 0
	for range 100 {
		c := h.dial()
		r := c.do(wrong)
		switch {
		case r.Code == protocol.CodeUnauthorized && strings.Contains(r.Message, "wrong or missing token"):
			compared++
		case r.Code == protocol.CodeUnauthorized && strings.Contains(r.Message, "too many failed hellos from 127.0.0.1: wait 1s"):
		default:
			t.Fatalf("reply %+v", r)
		}
		c.expectEOF()
	}
	if compared != FreeHelloFailures {
		t.Fatalf("%d of 100 back-to-back guesses were compared, want %d", compared, FreeHelloFailures)
	}
	wantCode(t, h.dial().do(goodHello), protocol.CodeUnauthorized, "too many failed hellos") // not even compared
	if n := h.authLogLines(); n != 1 {
		t.Fatalf("%d log lines for 101 refused hellos within a minute, want 1:\n%s", n, h.logs.String())
	}
	h.clk.Advance(QuietLogInterval)
	if n := h.authLogLines(); n != 2 || !strings.Contains(h.logs.String(), "repeated=100") {
		t.Fatalf("after a minute: %d lines, want the first and one summary with repeated=100:\n%s", n, h.logs.String())
	}

	// Paced: guess again as soon as allowed, until 100 guesses were compared.
	waited := lockout(FreeHelloFailures) // the burst's, over by now
	for {
		r := h.dial().do(wrong)
		if !strings.Contains(r.Message, "wrong or missing token") {
			t.Fatalf("guess %d after its lockout: %+v", compared+1, r)
		}
		if compared++; compared == 100 {
			break
		}
		r = h.dial().do(wrong)
		want := lockout(compared)
		if !strings.Contains(r.Message, "wait "+want.String()) {
			t.Fatalf("after %d failures: %q, want a wait of %v", compared, r.Message, want)
		}
		h.clk.Advance(want)
		waited += want
	}
	if waited != 5523*time.Second {
		t.Fatalf("100 guesses took %v of lockouts, want 5523s as documented", waited)
	}
	if r := h.dial().do(goodHello); !strings.Contains(r.Message, "wait 1m0s") {
		t.Fatalf("right after the 100th guess: %+v, want a minute's wait", r)
	}
	minutes := int(waited/QuietLogInterval) + 2
	if n := h.authLogLines(); n > 2*minutes {
		t.Fatalf("%d log lines over %d minutes of guessing, want at most two a minute", n, minutes)
	}
	// The right token works once the lockout is over, and resets it.
	h.clk.Advance(MaxHelloLockout)
	wantOK(t, h.dial().do(goodHello), "hello bridge, role control")
	if w := h.srv.guard.wait("127.0.0.1", h.clk.Now()); w != 0 {
		t.Fatalf("still locked out for %v after a good hello", w)
	}
}

// TestEvictionEndsATLSHandshake: on a TLS listener, peers that connect
// and never start the handshake are evicted like any other, at once, not
// after the (here hour-long) hello deadline.
func TestEvictionEndsATLSHandshake(t *testing.T) {
	h := newHarness(t, Config{Token: testToken, HelloTimeout: time.Hour, MaxUnauthenticated: 2})
	tc, _, err := tlsutil.SelfSignedConfig(nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := tls.NewListener(raw, tc)
	served := make(chan error, 1)
	go func() { served <- h.srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() { h.srv.Close(); <-served })

	first := dial(t, ln.Addr().String()) // silent: the server waits in its handshake
	eventually(t, "the first peer is accepted", func() bool { return h.accepted() == 1 })
	dial(t, ln.Addr().String())
	dial(t, ln.Addr().String()) // the third pushes the first out
	first.conn.SetReadDeadline(time.Now().Add(waitFor))
	if _, err := io.Copy(io.Discard, first.conn); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("the evicted TLS peer was not closed: %v", err)
	}
	if n := strings.Count(h.logs.String(), "level=WARN"); n > 1 {
		t.Fatalf("%d warnings for one eviction:\n%s", n, h.logs.String())
	}
}
