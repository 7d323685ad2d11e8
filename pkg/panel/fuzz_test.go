package panel

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/transport"
)

// fuzzMaxLine is the echo server's line limit: small, so fuzzed streams
// reach line_too_long often.
const fuzzMaxLine = 64

// endLine ends a fuzzed stream; it cannot be the end of a fuzzed line
// because "\n" comes first.
const endLine = "\x00end\x00"

// echoConns serves each WebSocket like a controller session reads it
// (transport.Conn over the panel's wsConn) and echoes every line, or
// "TOO LONG" for a line over fuzzMaxLine, as its own message.
type echoConns struct{}

func (echoConns) ServeConn(ctx context.Context, conn net.Conn) error {
	defer conn.Close()
	tc := transport.New(conn, fuzzMaxLine)
	for {
		line, err := tc.ReadLine(time.Now().Add(waitFor))
		switch {
		case errors.Is(err, protocol.ErrLineTooLong):
			line = []byte("TOO LONG")
		case err != nil:
			return nil
		}
		if err := tc.WriteLine(line, waitFor); err != nil {
			return nil
		}
	}
}

// fuzzServer is the panel in front of echoConns on a real HTTP server whose
// error log (where net/http reports a handler's panic) is kept.
func fuzzServer(f *testing.F) (*httptest.Server, *testutil.SyncBuffer) {
	var errs testutil.SyncBuffer
	p, err := New(Config{Logger: slog.New(slog.DiscardHandler)}, echoConns{})
	if err != nil {
		f.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(p)
	hs.Config.ErrorLog = log.New(&errs, "", 0)
	hs.Start()
	f.Cleanup(func() { p.Close(); hs.Close() })
	return hs, &errs
}

// FuzzWebSocketLines checks that message boundaries mean nothing: a
// stream sent as one text message and the same stream cut into messages
// where cuts says come back as the same lines.
func FuzzWebSocketLines(f *testing.F) {
	hs, errs := fuzzServer(f)
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
	f.Add([]byte(`{"type":"ping","id":1}`+"\n"+`{"type":"ping"}`+"\r\n"), []byte{3, 0, 9})
	f.Add([]byte(strings.Repeat("z", 100)+"\n\n \t\nok"), []byte{60, 1})
	f.Add([]byte("\xff\xfe\n\x00\n"), []byte{1})
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		whole := echo(t, url, [][]byte{stream})
		var msgs [][]byte
		rest := stream
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = min(int(cuts[i%len(cuts)]), len(rest))
			}
			msgs = append(msgs, rest[:n]) // n may be 0: an empty message
			rest = rest[n:]
			if i > 4*len(stream)+4 {
				break
			}
		}
		if len(rest) > 0 {
			msgs = append(msgs, rest)
		}
		if cut := echo(t, url, msgs); !slicesEqual(cut, whole) {
			t.Fatalf("stream %q\nas one message: %q\ncut into %d:     %q", stream, whole, len(msgs), cut)
		}
		if s := errs.String(); strings.Contains(s, "panic") {
			t.Fatalf("the server panicked:\n%s", s)
		}
	})
}

// echo sends msgs as text messages, then endLine, and returns the lines
// echoed before endLine.
func echo(t *testing.T, url string, msgs [][]byte) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	go func() { // writes must not wait for our reads
		for _, m := range msgs {
			if c.Write(ctx, websocket.MessageText, m) != nil {
				return
			}
		}
		c.Write(ctx, websocket.MessageText, []byte("\n"+endLine+"\n"))
	}()
	var lines []string
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read after %q: %v", lines, err)
		}
		line := strings.TrimSuffix(string(b), "\n")
		if line == endLine {
			return lines
		}
		lines = append(lines, line)
	}
}

func slicesEqual(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n") && len(a) == len(b)
}

// FuzzWebSocketFrames sends raw bytes after a real WebSocket handshake —
// frames a browser would never send: bad opcodes, unmasked or huge
// lengths, control frames in fragments, half frames — and checks that the
// server neither panics nor hangs: it ends the connection once the client
// stops sending.
func FuzzWebSocketFrames(f *testing.F) {
	hs, errs := fuzzServer(f)
	addr := hs.Listener.Addr().String()
	ping := []byte(`{"type":"ping"}` + "\n")
	f.Add(frame(true, 1, ping))
	f.Add(append(frame(false, 1, ping[:5]), frame(true, 0, ping[5:])...))
	f.Add(frame(true, 2, ping))                                               // binary
	f.Add(append(frame(false, 1, ping[:5]), frame(true, 9, []byte("p"))...))  // ping between fragments
	f.Add(frame(true, 8, []byte{0x03, 0xe8}))                                 // close
	f.Add([]byte{0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) // 2^64-1 bytes
	f.Add([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'})                        // unmasked
	f.Fuzz(func(t *testing.T, raw []byte) {
		conn, err := net.DialTimeout("tcp", addr, waitFor)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(waitFor))
		io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: "+addr+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake: %v %v", resp, err)
		}
		conn.Write(raw)
		conn.(*net.TCPConn).CloseWrite()
		if _, err := io.Copy(io.Discard, br); err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
			t.Fatalf("the server did not end the connection after %q: %v", raw, err)
		}
		if s := errs.String(); strings.Contains(s, "panic") {
			t.Fatalf("the server panicked on %q:\n%s", raw, s)
		}
	})
}

func isReset(err error) bool {
	return strings.Contains(err.Error(), "connection reset")
}

// frame is one client frame: masked, with the smallest length encoding.
func frame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var b bytes.Buffer
	b.WriteByte(b0)
	switch n := len(payload); {
	case n < 126:
		b.WriteByte(0x80 | byte(n))
	case n < 1<<16:
		b.WriteByte(0x80 | 126)
		binary.Write(&b, binary.BigEndian, uint16(n))
	default:
		b.WriteByte(0x80 | 127)
		binary.Write(&b, binary.BigEndian, uint64(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	b.Write(key[:])
	for i, c := range payload {
		b.WriteByte(c ^ key[i%4])
	}
	return b.Bytes()
}
