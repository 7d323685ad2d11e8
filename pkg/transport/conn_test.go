package transport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// pair returns two ends of a real loopback TCP connection.
func pair(t *testing.T) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		c   *net.TCPConn
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		c, err := ln.AcceptTCP()
		accepted <- result{c, err}
	}()
	a, err = net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	r := <-accepted
	if r.err != nil {
		a.Close()
		t.Fatal(r.err)
	}
	t.Cleanup(func() { a.Close(); r.c.Close() })
	return a, r.c
}

func TestReadLineDeadlineKeepsPartialLine(t *testing.T) {
	peer, nc := pair(t)
	c := New(nc, 0)

	start := time.Now()
	if _, err := c.ReadLine(start.Add(50 * time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("idle read: %v, want a deadline error", err)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Fatal("read deadline fired early")
	}

	if _, err := peer.Write([]byte(`{"type":`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadLine(time.Now().Add(50 * time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("half line: %v, want a deadline error", err)
	}
	if _, err := peer.Write([]byte("\"ping\"}\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := c.ReadLine(time.Now().Add(5 * time.Second))
	if err != nil || string(line) != `{"type":"ping"}` {
		t.Fatalf("got %q, %v", line, err)
	}
}

func TestReadLineLimitsAndEOF(t *testing.T) {
	peer, nc := pair(t)
	c := New(nc, 32)
	done := make(chan struct{})
	go func() {
		defer close(done)
		peer.SetWriteDeadline(time.Now().Add(10 * time.Second))
		peer.Write([]byte(strings.Repeat("x", 100000) + "\n{\"type\":\"stop\"}\n{\"type\""))
		peer.CloseWrite()
	}()
	defer func() { peer.Close(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	if _, err := c.ReadLine(deadline); !errors.Is(err, protocol.ErrLineTooLong) {
		t.Fatalf("long line: %v", err)
	}
	if line, err := c.ReadLine(deadline); err != nil || string(line) != `{"type":"stop"}` {
		t.Fatalf("after long line: %q, %v", line, err)
	}
	if _, err := c.ReadLine(deadline); err != io.ErrUnexpectedEOF {
		t.Fatalf("partial last line: %v", err)
	}
	if _, err := c.ReadLine(deadline); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	_, nc := pair(t)
	c := New(nc, 0)
	done := make(chan error, 1)
	go func() {
		_, err := c.ReadLine(time.Time{})
		done <- err
	}()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("got %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadLine still blocked 10s after Close")
	}
}

// TestWriteDeadline fills a peer that never reads until a write times out;
// later writes must fail fast with the same error.
func TestWriteDeadline(t *testing.T) {
	peer, nc := pair(t)
	if err := peer.SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	if err := nc.SetWriteBuffer(4096); err != nil {
		t.Fatal(err)
	}
	c := New(nc, 0)
	line := bytes.Repeat([]byte("x"), 16<<10)
	var err error
	for i := 0; i < 4096 && err == nil; i++ { // at most 64 MiB
		err = c.WriteLine(line, 50*time.Millisecond)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v, want a write deadline error", err)
	}
	r := protocol.OK("1", "late")
	if err2 := c.WriteResponse(&r, time.Minute); !errors.Is(err2, os.ErrDeadlineExceeded) {
		t.Fatalf("write after a failed write: %v, want the first error again", err2)
	}
}

func TestWriteRejectsBadInputAndStaysClean(t *testing.T) {
	peer, nc := pair(t)
	c := New(nc, 0)
	if err := c.WriteLine([]byte("a\nb"), 0); err == nil {
		t.Fatal("WriteLine accepted an embedded newline")
	}
	nan := math.NaN()
	if err := c.WriteRequest(&protocol.Request{Type: protocol.TypeCommand, X: &nan, Y: &nan, Z: &nan}, 0); err == nil {
		t.Fatal("WriteRequest encoded NaN")
	}
	if err := c.WriteRequest(&protocol.Request{Type: protocol.TypePing, ID: protocol.NumericID(1)}, 0); err != nil {
		t.Fatal(err)
	}
	peer.CloseWrite()
	got := New(peer, 0)
	line, err := got.ReadLine(time.Now().Add(5 * time.Second))
	if err != nil || string(line) != `{"type":"ping","id":1}` {
		t.Fatalf("peer read %q, %v; want only the valid request", line, err)
	}
	c.Close()
	if _, err := got.ReadLine(time.Now().Add(5 * time.Second)); err != io.EOF {
		t.Fatalf("peer read after: %v, want io.EOF", err)
	}
	if !addrEqual(c.RemoteAddr(), peer.LocalAddr()) {
		t.Fatalf("RemoteAddr %v, want %v", c.RemoteAddr(), peer.LocalAddr())
	}
}

// TestConcurrentWritersNoInterleave has writers send lines of mixed sizes at
// once through all three write methods; the reader must see only whole,
// well-formed lines, each writer's in order.
func TestConcurrentWritersNoInterleave(t *testing.T) {
	peer, nc := pair(t)
	c := New(nc, 0)
	const writers, perWriter = 6, 150

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				msg := fmt.Sprintf("w%d-%d-%s", w, i, strings.Repeat("p", (i*997)%20000))
				id := protocol.StringID(msg)
				var err error
				switch i % 3 {
				case 0:
					r := protocol.OK(id, "x")
					err = c.WriteResponse(&r, 10*time.Second)
				case 1:
					err = c.WriteRequest(&protocol.Request{Type: protocol.TypePing, ID: id}, 10*time.Second)
				default:
					err = c.WriteLine([]byte(`{"status":"ok","message":"line","id":`+string(id)+`}`), 10*time.Second)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	defer wg.Wait()
	defer c.Close() // on failure, unblock writers stuck on a reader that stopped

	r := New(peer, 1<<20)
	next := make([]int, writers)
	deadline := time.Now().Add(30 * time.Second)
	for n := 0; n < writers*perWriter; n++ {
		line, err := r.ReadLine(deadline)
		if err != nil {
			select {
			case werr := <-errs:
				t.Fatalf("writer failed: %v", werr)
			default:
			}
			t.Fatalf("after %d lines: %v", n, err)
		}
		resp, err := protocol.DecodeResponse(line)
		var id protocol.ID
		if err == nil {
			id = resp.ID
		} else if req, derr := protocol.DecodeRequest(line); derr == nil {
			id = req.ID
		} else {
			t.Fatalf("line %d is neither a reply nor a request (interleaved?): %.80q", n, line)
		}
		s, uerr := strconv.Unquote(string(id))
		var w, i int
		if _, serr := fmt.Sscanf(s, "w%d-%d-", &w, &i); uerr != nil || serr != nil || w < 0 || w >= writers {
			t.Fatalf("line %d has a mangled id %.80q", n, id)
		}
		if i != next[w] || len(s) != len(fmt.Sprintf("w%d-%d-", w, i))+(i*997)%20000 {
			t.Fatalf("writer %d: got line %d (len %d), want line %d", w, i, len(s), next[w])
		}
		next[w]++
	}
}

func addrEqual(a, b net.Addr) bool { return a.String() == b.String() }
