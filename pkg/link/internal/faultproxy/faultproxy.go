// Package faultproxy is a TCP proxy on 127.0.0.1 that injects network
// faults between pkg/link and a controller: tiny segments, added latency,
// connection resets and a blackhole.
package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const ioTimeout = 5 * time.Second

// Proxy forwards every accepted connection to an upstream address.
type Proxy struct {
	ln       net.Listener
	upstream string
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	segment   atomic.Int64 // bytes per write; 0 = as read
	latency   atomic.Int64 // added one-way delay, ns
	blackhole atomic.Bool  // swallow all data in both directions

	mu       sync.Mutex
	pairs    map[*pair]struct{}
	accepted int
}

// pair is one proxied connection.
type pair struct {
	client, server *net.TCPConn
	cancel         context.CancelFunc
}

// New listens on 127.0.0.1 (any port) and forwards to upstream.
func New(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{ln: ln, upstream: upstream, ctx: ctx, cancel: cancel, pairs: map[*pair]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's listening address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetSegmentSize makes every forwarded write at most n bytes (each sent as
// its own TCP segment); 0 forwards data as read.
func (p *Proxy) SetSegmentSize(n int) { p.segment.Store(int64(n)) }

// SetLatency delays forwarded data by d in each direction.
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// SetBlackhole makes the proxy swallow all data (connections stay open).
func (p *Proxy) SetBlackhole(on bool) { p.blackhole.Store(on) }

// Accepted is how many client connections were accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// ResetAll aborts every current connection with a TCP reset on both sides
// and drops data still queued in the proxy. It returns how many it reset.
func (p *Proxy) ResetAll() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pr := range p.pairs {
		pr.client.SetLinger(0)
		pr.server.SetLinger(0)
		pr.cancel()
		pr.client.Close()
		pr.server.Close()
	}
	return len(p.pairs)
}

// Close stops the proxy, closes every connection and waits for its goroutines.
func (p *Proxy) Close() error {
	p.cancel()
	err := p.ln.Close()
	p.mu.Lock()
	for pr := range p.pairs {
		pr.client.Close()
		pr.server.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		d := net.Dialer{Timeout: ioTimeout}
		s, err := d.DialContext(p.ctx, "tcp", p.upstream)
		if err != nil {
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
			continue
		}
		ctx, cancel := context.WithCancel(p.ctx)
		pr := &pair{client: c.(*net.TCPConn), server: s.(*net.TCPConn), cancel: cancel}
		pr.client.SetNoDelay(true)
		pr.server.SetNoDelay(true)
		p.mu.Lock()
		if p.ctx.Err() != nil {
			p.mu.Unlock()
			cancel()
			c.Close()
			s.Close()
			return
		}
		p.pairs[pr] = struct{}{}
		p.accepted++
		p.mu.Unlock()

		var pwg sync.WaitGroup
		pwg.Add(2)
		go func() { defer pwg.Done(); p.pipe(ctx, pr, pr.client, pr.server) }()
		go func() { defer pwg.Done(); p.pipe(ctx, pr, pr.server, pr.client) }()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			pwg.Wait()
			p.mu.Lock()
			delete(p.pairs, pr)
			p.mu.Unlock()
		}()
	}
}

// chunk is data read at some time, due for forwarding later.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe forwards src to dst through a delay queue. When src ends cleanly
// the queued data is delivered first; either way the whole pair is then
// torn down.
func (p *Proxy) pipe(ctx context.Context, pr *pair, src, dst *net.TCPConn) {
	defer func() {
		pr.cancel()
		pr.client.Close()
		pr.server.Close()
	}()
	q := make(chan chunk, 4096)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.deliver(ctx, pr, dst, q)
	}()
	defer wg.Wait()

	buf := make([]byte, 32<<10)
	for {
		src.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := src.Read(buf)
		if n > 0 && !p.blackhole.Load() {
			c := chunk{data: append([]byte(nil), buf[:n]...), due: time.Now().Add(time.Duration(p.latency.Load()))}
			select {
			case q <- c:
			case <-ctx.Done():
				return
			}
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			close(q) // graceful close: deliver what is queued, then close the pair
			return
		}
		if err != nil {
			pr.cancel()
			return
		}
	}
}

// deliver writes queued chunks to dst once due, in segments.
func (p *Proxy) deliver(ctx context.Context, pr *pair, dst *net.TCPConn, q <-chan chunk) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		var c chunk
		var ok bool
		select {
		case c, ok = <-q:
			if !ok {
				return
			}
		case <-ctx.Done():
			return
		}
		if wait := time.Until(c.due); wait > 0 {
			t.Reset(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
		if p.blackhole.Load() {
			continue
		}
		for data := c.data; len(data) > 0; {
			n := len(data)
			if seg := int(p.segment.Load()); seg > 0 && seg < n {
				n = seg
			}
			dst.SetWriteDeadline(time.Now().Add(ioTimeout))
			if _, err := dst.Write(data[:n]); err != nil {
				pr.cancel()
				return
			}
			data = data[n:]
		}
	}
}
