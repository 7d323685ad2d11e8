package controller

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// pipeConn serves one end of a net.Pipe with srv.ServeConn and returns the
// other end; cleanup closes it and waits for ServeConn to return.
func pipeConn(t *testing.T, srv *Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- srv.ServeConn(context.Background(), a) }()
	t.Cleanup(func() {
		b.Close()
		if err := <-done; err != nil {
			t.Errorf("ServeConn: %v", err)
		}
	})
	return b, bufio.NewReader(b)
}

func TestServeConnSharesTheServer(t *testing.T) {
	h := newHarness(t, Config{Watchdog: 1 << 40})
	c := &client{t: t}
	c.conn, c.r = pipeConn(t, h.srv)
	c.send(seedLine)
	if got := c.recvRaw(); got != `{"status":"ok","message":"Command received"}` {
		t.Fatalf("seed line over ServeConn: %s", got)
	}
	if st := h.srv.State(); st.Control != "pipe" || h.srv.Stats().Clients != 1 {
		t.Fatalf("state %+v, stats %+v: want the pipe holding the lease, counted as a client", st, h.srv.Stats())
	}
	// The same lease: a TCP client is busy.
	tcp := h.dial()
	wantCode(t, tcp.do(`{"type":"home"}`), protocol.CodeBusy, "another client holds control (pipe)")
}

func TestServeConnEndsWithItsContext(t *testing.T) {
	h := newHarness(t, Config{})
	a, b := net.Pipe()
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.srv.ServeConn(ctx, a) }()
	c := &client{t: t, conn: b, r: bufio.NewReader(b)}
	wantOK(t, c.do(`{"type":"ping"}`), "pong")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeConn = %v after its context ended, want nil", err)
	}
	c.expectEOF()
	eventually(t, "session gone", func() bool { return h.srv.Stats().Clients == 0 })
}

func TestServeConnLimitsAndClose(t *testing.T) {
	h := newHarness(t, Config{MaxClients: 1})
	h.dial().do(`{"type":"ping"}`) // the one client
	a, b := net.Pipe()
	defer b.Close()
	done := make(chan error, 1)
	go func() { done <- h.srv.ServeConn(context.Background(), a) }()
	c := &client{t: t, conn: b, r: bufio.NewReader(b)}
	wantCode(t, c.recv(), protocol.CodeBusy, "too many clients: the controller serves 1 at once")
	if err := <-done; !errors.Is(err, ErrTooManyClients) {
		t.Fatalf("ServeConn on a full server = %v, want ErrTooManyClients", err)
	}
	c.expectEOF()

	h.srv.Close()
	a2, b2 := net.Pipe()
	defer b2.Close()
	if err := h.srv.ServeConn(context.Background(), a2); !errors.Is(err, ErrClosed) {
		t.Fatalf("ServeConn after Close = %v, want ErrClosed", err)
	}
	if _, err := b2.Read(make([]byte, 1)); err == nil || !strings.Contains(err.Error(), "closed") && err.Error() != "EOF" {
		t.Fatalf("read from a conn ServeConn refused: %v, want it closed", err)
	}
}
