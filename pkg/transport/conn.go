// Package transport wraps a net.Conn for the Aether protocol: bounded line
// reads with a deadline, and one conn.Write per line with a write deadline,
// safe for concurrent writers.
package transport

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// DefaultWriteTimeout is used by the Write methods when timeout <= 0, so no
// write can block forever while holding the write lock.
const DefaultWriteTimeout = 5 * time.Second

// Conn is a protocol connection. ReadLine must be called from one goroutine
// at a time; the Write methods may be called concurrently with each other and
// with ReadLine.
type Conn struct {
	nc net.Conn
	lr *protocol.LineReader

	wmu  sync.Mutex
	wbuf bytes.Buffer // reused line buffer, guarded by wmu
	werr error        // first failed write; the stream may hold a partial line after it
}

// New wraps nc. maxLine is the longest accepted line in bytes; <= 0 means
// protocol.DefaultMaxLine. TCP connections get TCP_NODELAY, since every line
// is a small latency-sensitive message.
func New(nc net.Conn, maxLine int) *Conn {
	if tc, ok := nc.(*net.TCPConn); ok {
		// Best effort: the only failure is on a closed conn, which the
		// first read or write reports anyway.
		_ = tc.SetNoDelay(true)
	}
	return &Conn{nc: nc, lr: protocol.NewLineReader(nc, maxLine)}
}

// ReadLine returns the next non-blank line without its terminator, valid
// until the next call. deadline bounds the wait; the zero time means none
// (Close unblocks it). Errors are those of protocol.LineReader.ReadLine: a
// timeout (errors.Is(err, os.ErrDeadlineExceeded)) keeps any partial line,
// so reading can go on.
func (c *Conn) ReadLine(deadline time.Time) ([]byte, error) {
	if err := c.nc.SetReadDeadline(deadline); err != nil {
		return nil, fmt.Errorf("transport: set read deadline: %w", err)
	}
	return c.lr.ReadLine()
}

// WriteResponse writes r as one line; see WriteLine for timeout and errors.
func (c *Conn) WriteResponse(r *protocol.Response, timeout time.Duration) error {
	return c.write(timeout, func(b *bytes.Buffer) error { return protocol.EncodeResponse(b, r) })
}

// WriteRequest writes r as one line; see WriteLine for timeout and errors.
func (c *Conn) WriteRequest(r *protocol.Request, timeout time.Duration) error {
	return c.write(timeout, func(b *bytes.Buffer) error { return protocol.EncodeRequest(b, r) })
}

// WriteLine writes b plus "\n" with one conn.Write, within timeout (<= 0
// means DefaultWriteTimeout). b must not contain '\n'. After a failed write
// the peer may have seen part of a line, so every later write returns the
// same error: close the Conn.
func (c *Conn) WriteLine(b []byte, timeout time.Duration) error {
	if bytes.IndexByte(b, '\n') >= 0 {
		return errors.New("transport: WriteLine: line contains a newline; send one JSON object per line")
	}
	return c.write(timeout, func(buf *bytes.Buffer) error {
		buf.Write(b)
		buf.WriteByte('\n')
		return nil
	})
}

// write encodes one line into the shared buffer and sends it with one Write.
func (c *Conn) write(timeout time.Duration, encode func(*bytes.Buffer) error) error {
	if timeout <= 0 {
		timeout = DefaultWriteTimeout
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	c.wbuf.Reset()
	if err := encode(&c.wbuf); err != nil {
		return err // nothing was sent: the stream is still clean
	}
	if err := c.nc.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		c.werr = fmt.Errorf("transport: set write deadline: %w", err)
		return c.werr
	}
	if _, err := c.nc.Write(c.wbuf.Bytes()); err != nil {
		c.werr = fmt.Errorf("transport: write to %s: %w", c.nc.RemoteAddr(), err)
		return c.werr
	}
	if c.wbuf.Cap() > 4*protocol.DefaultMaxLine {
		c.wbuf = bytes.Buffer{} // don't pin one huge line's memory
	}
	return nil
}

// Close closes the connection, unblocking any ReadLine or write in progress.
func (c *Conn) Close() error { return c.nc.Close() }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }
