package controller

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// TestHugeLinesBoundedMemory sends 1 MiB lines; the server skips them
// through its fixed 64 KiB buffer instead of holding them.
func TestHugeLinesBoundedMemory(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial()
	const lines = 8
	big := []byte(`{"type":"command","x":120,"y":35.5,"z":210,"pad":"` + strings.Repeat("x", 1<<20) + "\"}\n")
	wantOK(t, c.do(`{"type":"ping"}`), "pong") // session set up before measuring

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range lines {
		c.conn.SetWriteDeadline(time.Now().Add(waitFor))
		if _, err := c.conn.Write(big); err != nil {
			t.Fatal(err)
		}
		wantCode(t, c.recv(), protocol.CodeLineTooLong, "65536 bytes")
	}
	runtime.ReadMemStats(&after)
	// A server that buffered the lines would allocate at least 8 MiB.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 3<<20 {
		t.Fatalf("%d lines of 1 MiB allocated %.1f MiB; want under 3 MiB", lines, float64(grew)/(1<<20))
	} else {
		t.Logf("%d lines of 1 MiB: %.0f KiB allocated", lines, float64(grew)/(1<<10))
	}
	wantOK(t, c.do(`{"type":"ping"}`), "pong")
	if h.srv.State().Control != "" {
		t.Fatal("an overlong command line took control")
	}
}

// rawRoundTrip sends line and reads one reply without t.Fatal, for use
// in goroutines.
func rawRoundTrip(conn net.Conn, r *bufio.Reader, line string) (protocol.Response, error) {
	conn.SetDeadline(time.Now().Add(waitFor))
	if _, err := io.WriteString(conn, line+"\n"); err != nil {
		return protocol.Response{}, err
	}
	s, err := r.ReadString('\n')
	if err != nil {
		return protocol.Response{}, err
	}
	return protocol.DecodeResponse([]byte(s))
}

func TestTwoHundredClients(t *testing.T) {
	h := newHarness(t, Config{MaxClients: 250})
	const n = 200
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = h.dial()
	}
	var wg sync.WaitGroup
	codes := make(chan string, n)
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := rawRoundTrip(c.conn, c.r, `{"type":"ping"}`); err != nil || r.Message != "pong" {
				codes <- fmt.Sprintf("ping: %v %+v", err, r)
				return
			}
			r, err := rawRoundTrip(c.conn, c.r, seedLine)
			switch {
			case err != nil:
				codes <- err.Error()
			case r.Status == protocol.StatusOK:
				codes <- "ok"
			default:
				codes <- string(r.Code)
			}
		}()
	}
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	// Exactly one takes control; the others are told who holds it.
	if count["ok"] != 1 || count[string(protocol.CodeBusy)] != n-1 {
		t.Fatalf("seed line from %d clients: %v; want 1 ok and %d busy", n, count, n-1)
	}
	if got := h.srv.Stats().Clients; got != n {
		t.Fatalf("Stats().Clients = %d, want %d", got, n)
	}
}

func TestClientLimitAtDefault(t *testing.T) {
	h := newHarness(t, Config{})
	var open []*client
	for range DefaultMaxClients {
		c := h.dial()
		wantOK(t, c.do(`{"type":"ping"}`), "pong")
		open = append(open, c)
	}
	extra := h.dial()
	wantCode(t, extra.recv(), protocol.CodeBusy, "too many clients", "8")
	extra.expectEOF()
	for _, c := range open { // the others are unaffected
		wantOK(t, c.do(`{"type":"ping"}`), "pong")
	}
	open[0].conn.Close()
	eventually(t, "a slot frees up", func() bool { return h.srv.Stats().Clients == DefaultMaxClients-1 })
	wantOK(t, h.dial().do(`{"type":"ping"}`), "pong")
}

// TestSilentClientDoesNotWedgeOthers: a connection that never sends is
// closed after ReadTimeout, and nobody waits for it meanwhile.
func TestSilentClientDoesNotWedgeOthers(t *testing.T) {
	h := newHarness(t, Config{ReadTimeout: 300 * time.Millisecond})
	silent := h.dial()
	other := h.dial()
	wantOK(t, other.do(seedLine), protocol.MessageCommandReceived)
	h.step(3)
	wantOK(t, other.do(`{"type":"status"}`), "status")
	silent.expectEOF()
	if !strings.Contains(h.logs.String(), "no line received within the read timeout") {
		t.Error("the idle close was not logged")
	}
}

func TestHalfLineThenDisconnect(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial()
	io.WriteString(c.conn, `{"type":"command","x":120,"y":35.5,"z":210`)
	c.conn.Close()
	eventually(t, "partial line logged", func() bool {
		return strings.Contains(h.logs.String(), "partial line was discarded")
	})
	h.step(5)
	if st := h.srv.State(); st.Control != "" || st.Watchdog != protocol.WatchdogOff || h.sim.Writes() != 0 {
		t.Fatalf("a partial line moved the arm: %+v, writes %d", st, h.sim.Writes())
	}
	wantOK(t, h.dial().do(seedLine), protocol.MessageCommandReceived)
}

func TestShutdownTellsClients(t *testing.T) {
	h := newHarness(t, Config{})
	ctl := h.dial()
	mon := h.dial()
	wantOK(t, ctl.do(seedLine), protocol.MessageCommandReceived)
	wantOK(t, mon.do(`{"type":"hello","version":1,"role":"monitor"}`), "hello "+mon.conn.LocalAddr().String()+", role monitor")
	h.step(2)
	if h.sim.Released() {
		t.Fatal("servos released while moving")
	}
	if err := h.srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	const bye = `{"status":"error","message":"controller shutting down","code":"internal"}`
	for _, c := range []*client{ctl, mon} {
		if got := c.recvRaw(); got != bye {
			t.Fatalf("shutdown line %s, want %s", got, bye)
		}
		c.expectEOF()
	}
	if !h.sim.Released() {
		t.Fatal("servos still driven after Close")
	}
	if err := h.srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := net.DialTimeout("tcp", h.addr, waitFor); err == nil {
		t.Fatal("still accepting after Close")
	}
}

func TestTokenAuth(t *testing.T) {
	const token = "s3cret-T0ken"
	h := newHarness(t, Config{Token: token, Verbose: true})

	c := h.dial()
	for _, line := range []string{`{"type":"status"}`, seedLine, `{"type":"stop"}`, `{"type":"subscribe"}`, `{"type":"home"}`, `{"type":"ping"}`} {
		wantCode(t, c.do(line), protocol.CodeUnauthorized, "not authenticated")
	}
	if st := h.srv.State(); st.Estopped || st.Control != "" {
		t.Fatalf("unauthenticated requests acted: %+v", st)
	}

	for name, hello := range map[string]string{
		"wrong":   `{"type":"hello","version":1,"token":"guess"}`,
		"missing": `{"type":"hello","version":1}`,
		"prefix":  `{"type":"hello","version":1,"token":"s3cret"}`,
	} {
		t.Run(name, func(t *testing.T) {
			c := h.dial()
			wantCode(t, c.do(hello), protocol.CodeUnauthorized, "token")
			c.expectEOF()
		})
	}

	c = h.dial()
	wantOK(t, c.do(`{"type":"hello","version":1,"client":"bridge","token":"`+token+`"}`), "hello bridge, role control")
	wantOK(t, c.do(`{"type":"status"}`), "status")
	wantOK(t, c.do(seedLine), protocol.MessageCommandReceived)
	// The key may be spelled with an escape; it still authenticates and
	// still is not logged.
	e := h.dial()
	wantOK(t, e.do(`{"type":"hello","version":1,"role":"monitor","\u0074oken":"`+token+`"}`), "hello "+e.conn.LocalAddr().String()+", role monitor")
	wantOK(t, e.do(`{"type":"stop"}`), "Stopped")

	logs := h.logs.String()
	if strings.Contains(logs, token) || strings.Contains(logs, "s3cret") {
		t.Fatalf("a token reached the log:\n%s", logs)
	}
	if !strings.Contains(logs, `msg=in`) || !strings.Contains(logs, `msg=out`) {
		t.Fatal("verbose mode did not log lines")
	}
}

func TestNonLoopbackWithoutTokenWarns(t *testing.T) {
	h := newHarness(t, Config{})
	h.srv.warnIfExposed(&net.TCPAddr{IP: net.IPv4zero, Port: 5000})
	if !strings.Contains(h.logs.String(), "non-loopback address without a token") {
		t.Fatal("no warning for 0.0.0.0 without a token")
	}
	quiet := newHarness(t, Config{Token: "t"})
	quiet.srv.warnIfExposed(&net.TCPAddr{IP: net.IPv4zero, Port: 5000})
	if strings.Contains(quiet.logs.String(), "non-loopback") {
		t.Fatal("warned although a token is set")
	}
}
