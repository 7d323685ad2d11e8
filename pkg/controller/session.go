package controller

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/transport"
)

// outQueue is how many replies may wait for the writer before the reader
// stops reading (TCP then pushes back on the client).
const outQueue = 32

// outItem is one reply for the writer: known now (resp) or later (res).
type outItem struct {
	resp       protocol.Response
	res        *result
	closeAfter bool // close the connection after writing this line
}

// session is one client connection. The reader goroutine (run) owns the
// fields marked "reader"; the writer goroutine owns the connection's
// write side.
type session struct {
	s    *Server
	conn net.Conn        // for addresses and the shutdown deadline
	tc   *transport.Conn // bounded line reads, one write per line
	addr string
	src  string // rate-limit source: sourceOf(remote address)
	log  *slog.Logger

	slot    slot        // guarded by s.mu
	helloBy time.Time   // wall time the hello with the token must arrive by; zero without a token
	evicted atomic.Bool // closed to make room for a newer unauthenticated connection

	ctx    context.Context // ends when the server shuts down or the writer quits
	cancel context.CancelFunc
	out    chan outItem // replies in request order; closed by the reader

	lastLineNS atomic.Int64 // Clock time of the last line, UnixNano

	nameMu sync.Mutex
	client string // hello "client", for state.control and busy messages

	// reader
	authed  bool
	role    protocol.Role
	lines   bucket
	badOnes bucket

	evMu       sync.Mutex
	ev         *protocol.State // newest undelivered event
	evNotify   chan struct{}   // cap 1
	subscribed atomic.Bool
	tickEvery  atomic.Int64 // subscribe rate_hz: ns between tick states; 0 = none
	lastTickAt time.Time    // tick state last offered; motion loop (under Server.subsMu)
	drops      atomic.Int64
	writingNS  atomic.Int64 // wall time a Write started, UnixNano; 0 when not writing

	wbuf bytes.Buffer // writer's encode buffer
}

func newSession(s *Server, conn net.Conn, n uint64) *session {
	c := &session{
		s:        s,
		conn:     conn,
		tc:       transport.New(conn, s.cfg.MaxLine),
		addr:     conn.RemoteAddr().String(),
		src:      sourceOf(conn.RemoteAddr()),
		out:      make(chan outItem, outQueue),
		evNotify: make(chan struct{}, 1),
		authed:   s.cfg.Token == "",
		role:     protocol.RoleControl,
	}
	c.log = s.log.With("conn", n, "remote", c.addr)
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	if !c.authed {
		c.helloBy = time.Now().Add(s.cfg.HelloTimeout)
	}
	now := s.clock.Now()
	c.lastLineNS.Store(now.UnixNano())
	c.lines = newBucket(float64(s.cfg.MaxLineRate), now)
	c.badOnes = newBucket(float64(s.cfg.MaxBadLines), now)
	return c
}

// run serves the connection until it ends, then cleans up.
func (c *session) run() {
	// Until a peer has the token, its comings and goings are not worth a
	// log line each: anyone can open connections.
	connLevel := slog.LevelInfo
	if !c.authed {
		connLevel = slog.LevelDebug
	}
	c.log.Log(context.Background(), connLevel, "client connected")
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	c.readLoop()
	close(c.out)
	<-writerDone
	c.cancel()
	c.s.unsubscribe(c)
	c.s.submit(context.Background(), &op{kind: opLeave, sess: c})
	if n := c.drops.Load(); n > 0 {
		c.log.Info("events dropped for this slow subscriber", "dropped", n)
	}
	if c.authed {
		connLevel = slog.LevelInfo
	}
	c.log.Log(context.Background(), connLevel, "client disconnected")
}

// lastLine returns when the client last sent a line (Clock time).
func (c *session) lastLine() time.Time { return time.Unix(0, c.lastLineNS.Load()) }

// label names the client in state.control: its hello name, else its address.
func (c *session) label() string {
	c.nameMu.Lock()
	defer c.nameMu.Unlock()
	if c.client != "" {
		return c.client
	}
	return c.addr
}

// describe names the client in messages: "name at addr" or "addr".
func (c *session) describe() string {
	c.nameMu.Lock()
	defer c.nameMu.Unlock()
	if c.client != "" {
		return c.client + " at " + c.addr
	}
	return c.addr
}

func (c *session) clientName() string {
	c.nameMu.Lock()
	defer c.nameMu.Unlock()
	return c.client
}

func (c *session) setClient(name string) {
	c.nameMu.Lock()
	c.client = name
	c.nameMu.Unlock()
}

// readLoop reads and handles lines until the client leaves, the
// connection fails, or a line ends the session.
func (c *session) readLoop() {
	for {
		deadline := time.Now().Add(c.s.cfg.ReadTimeout)
		if !c.authed && c.helloBy.Before(deadline) {
			deadline = c.helloBy
		}
		line, err := c.tc.ReadLine(deadline)
		now := c.s.clock.Now()
		if err != nil {
			var perr *protocol.Error
			switch {
			case errors.As(err, &perr): // line too long: skipped, keep going
				c.lastLineNS.Store(now.UnixNano())
				if c.s.cfg.Verbose {
					c.log.Info("in", "line", "(longer than max line, skipped)")
				}
				if !c.reply(perr.Response("")) || !c.countBad(now) {
					return
				}
				continue
			case errors.Is(err, io.EOF):
				c.log.Debug("client closed its side")
			case errors.Is(err, io.ErrUnexpectedEOF) && c.authed:
				c.log.Warn("client disconnected in the middle of a line; the partial line was discarded")
			case isTimeout(err) && !c.authed && c.ctx.Err() == nil && !c.evicted.Load():
				c.s.quiet.Log(c.src+"|late", "a connection did not authenticate in time; closing it", "remote_ip", c.src, "hello_timeout", c.s.cfg.HelloTimeout)
				c.reply(protocol.Fail("", protocol.CodeUnauthorized, msgHelloLate, c.s.cfg.HelloTimeout))
			case isTimeout(err):
				if c.ctx.Err() == nil && !c.evicted.Load() {
					c.log.Warn("no line received within the read timeout; closing", "read_timeout", c.s.cfg.ReadTimeout)
				}
			default:
				if c.ctx.Err() == nil && c.authed {
					c.log.Info("connection ended", "err", err)
				}
			}
			return
		}
		c.lastLineNS.Store(now.UnixNano())
		if !c.lines.take(now) {
			c.logIn(line, "")
			c.reply(protocol.Response{Status: protocol.StatusError, Code: protocol.CodeBusy, Message: "more than " +
				strconv.Itoa(c.s.cfg.MaxLineRate) + " lines per second: slow down; closing the connection"})
			c.closeNow("line flood")
			return
		}
		if !c.handle(line, now) {
			return
		}
	}
}

// handle answers one line; false ends the session.
func (c *session) handle(line []byte, now time.Time) bool {
	req, perr := protocol.DecodeRequest(line)
	c.logIn(line, req.Token)
	if perr != nil {
		sreq, ok, serr := decodeServo(line, req.ID, perr)
		switch {
		case ok && serr == nil:
			return c.servoRequest(sreq, now)
		case ok:
			perr = serr
		}
		return c.reply(perr.Response(req.ID)) && c.countBad(now)
	}
	if !c.authed && req.Type != protocol.TypeHello {
		return c.reply(protocol.Fail(req.ID, protocol.CodeUnauthorized,
			`not authenticated: send {"type":"hello","version":%d,"token":"…"} first`, protocol.Version))
	}
	switch req.Type {
	case protocol.TypePing:
		r := protocol.OK(req.ID, "pong")
		r.Type = protocol.TypePong
		return c.reply(r)
	case protocol.TypeHello:
		return c.hello(&req)
	case protocol.TypeStatus:
		st := c.s.state()
		r := protocol.OK(req.ID, "status")
		r.Type, r.State = protocol.TypeStatus, &st
		return c.reply(r)
	case protocol.TypeSubscribe:
		if !c.reply(protocol.OK(req.ID, c.subscribeRate(req.RateHz))) {
			return false
		}
		if !c.subscribed.Swap(true) {
			c.s.subscribe(c)
		}
		st := c.s.state()
		c.pushEvent(&st)
		return true
	case protocol.TypeTorque:
		if c.s.fb == nil {
			return c.reply(protocol.Fail(req.ID, protocol.CodeInvalidCommand,
				"torque needs servos that report their position (--backend feetech or dynamixel); these servos go limp through the watchdog instead"))
		}
		return c.motionRequest(&req, now)
	case protocol.TypeStop:
		var by *session // a monitor's stop is not its to reset (docs/protocol.md §8)
		if c.role != protocol.RoleMonitor {
			by = c
		}
		return c.enqueue(outItem{res: c.s.requestStop(req.ID, by)})
	default: // command, home, reset
		return c.motionRequest(&req, now)
	}
}

// hello checks the token, sets role and name, and replies with ServerInfo.
func (c *session) hello(req *protocol.Request) bool {
	if c.s.cfg.Token != "" && !c.checkToken(req, c.s.clock.Now()) {
		return false
	}
	role := req.Role
	if role == "" {
		role = protocol.RoleControl
	}
	if err := c.s.promote(c, role); err != nil {
		c.reply(protocol.Fail(req.ID, protocol.CodeBusy, msgTooMany, c.s.cfg.MaxClients))
		c.closeNow("too many authenticated clients")
		return false
	}
	c.authed = true
	c.role = role
	c.setClient(req.Client)
	switch {
	case role == protocol.RoleMonitor:
		c.s.submit(c.ctx, &op{kind: opLeave, sess: c})
	case req.Resume:
		c.s.submit(c.ctx, &op{kind: opResume, sess: c})
	}
	name := req.Client
	if name == "" {
		name = c.addr
	}
	c.log.Info("hello", "client", req.Client, "role", role)
	info := c.s.info
	r := protocol.OK(req.ID, "hello "+name+", role "+string(role))
	r.Type, r.Server = protocol.TypeHello, &info
	return c.reply(r)
}

// reply queues a reply that is known now.
func (c *session) reply(r protocol.Response) bool { return c.enqueue(outItem{resp: r}) }

// enqueue hands an item to the writer, waiting while the queue is full.
func (c *session) enqueue(it outItem) bool {
	select {
	case c.out <- it:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// closeNow makes the writer close the connection after the lines queued so
// far. The reader stops reading.
func (c *session) closeNow(why string) {
	if c.authed {
		c.log.Warn("closing the connection", "why", why)
	} else {
		c.s.quiet.Log(c.src+"|close|"+why, "closing a connection that has not authenticated", "remote_ip", c.src, "why", why)
	}
	c.closeQuietly()
}

// countBad charges one invalid line; false (after an error line) when
// the client sends more than MaxBadLines per second.
func (c *session) countBad(now time.Time) bool {
	if c.badOnes.take(now) {
		return true
	}
	c.reply(protocol.Response{Status: protocol.StatusError, Code: protocol.CodeBusy, Message: "more than " +
		strconv.Itoa(c.s.cfg.MaxBadLines) + " invalid lines per second: fix the client; closing the connection"})
	c.closeNow("too many invalid lines")
	return false
}

// pushEvent offers st to the writer, replacing (and counting) an event it
// has not sent yet. It never blocks.
func (c *session) pushEvent(st *protocol.State) {
	c.evMu.Lock()
	if c.ev != nil {
		c.drops.Add(1)
		c.s.eventsDropped.Add(1)
	}
	c.ev = st
	c.evMu.Unlock()
	select {
	case c.evNotify <- struct{}{}:
	default:
	}
}

func (c *session) takeEvent() *protocol.State {
	c.evMu.Lock()
	defer c.evMu.Unlock()
	st := c.ev
	c.ev = nil
	return st
}

// writeLoop sends replies in order, and events between them, until the
// reader closes out or the session ends. On server shutdown it sends the
// shutdown line first. It closes the connection.
func (c *session) writeLoop() {
	defer c.tc.Close()
	defer c.cancel()
	for {
		select {
		case it, ok := <-c.out:
			if !ok || !c.writeItem(it) {
				return
			}
			continue
		case <-c.ctx.Done():
			c.bye()
			return
		default:
		}
		select {
		case it, ok := <-c.out:
			if !ok || !c.writeItem(it) {
				return
			}
		case <-c.evNotify:
			if !c.drainReady() {
				return
			}
			if st := c.takeEvent(); st != nil {
				if !c.write(&protocol.Response{Status: protocol.StatusOK, Message: "state", Type: protocol.TypeEvent, State: st}) {
					return
				}
			}
		case <-c.ctx.Done():
			c.bye()
			return
		}
	}
}

// drainReady writes the replies already queued, so an event never
// overtakes a reply queued before it.
func (c *session) drainReady() bool {
	for {
		select {
		case it, ok := <-c.out:
			if !ok {
				return false
			}
			if !c.writeItem(it) {
				return false
			}
		default:
			return true
		}
	}
}

// writeItem writes one reply, waiting for it if needed; false ends the
// writer.
func (c *session) writeItem(it outItem) bool {
	if it.closeAfter {
		return false
	}
	resp := it.resp
	var servos *ServoReport
	if it.res != nil {
		select {
		case <-it.res.done:
		case <-c.ctx.Done():
			c.bye()
			return false
		}
		resp, servos = it.res.resp, it.res.servos
	}
	return c.writeWithin(&resp, servos, c.s.cfg.WriteTimeout)
}

// bye tells the client the server is shutting down, when it is (within
// byeTimeout: writeWithin caps every write once the server shuts down).
func (c *session) bye() {
	if c.s.ctx.Err() == nil {
		return // the session ended for its own reasons
	}
	c.write(&protocol.Response{Status: protocol.StatusError, Message: msgShuttingDown, Code: protocol.CodeInternal})
}

// write sends one line within WriteTimeout; false when the connection failed.
func (c *session) write(r *protocol.Response) bool {
	return c.writeWithin(r, nil, c.s.cfg.WriteTimeout)
}

// writeWithin sends r, with its servo payload if any, within timeout.
func (c *session) writeWithin(r *protocol.Response, servos *ServoReport, timeout time.Duration) bool {
	if c.s.ctx.Err() != nil { // shutting down: do not wait on slow clients
		timeout = min(timeout, byeTimeout)
	}
	c.wbuf.Reset()
	if err := encodeReply(&c.wbuf, r, servos); err != nil {
		c.log.Error("cannot encode a reply", "err", err)
		return false
	}
	line := bytes.TrimSuffix(c.wbuf.Bytes(), []byte{'\n'})
	if c.s.cfg.Verbose {
		c.log.Info("out", "line", string(line))
	}
	c.writingNS.Store(time.Now().UnixNano())
	err := c.tc.WriteLine(line, timeout)
	c.writingNS.Store(0)
	if err != nil {
		if isTimeout(err) {
			c.log.Warn("client does not read its replies; closing", "write_timeout", c.s.cfg.WriteTimeout)
		} else {
			c.log.Debug("write failed", "err", err)
		}
		return false
	}
	return true
}

// logIn logs a received line when verbose, never showing a token.
func (c *session) logIn(line []byte, token string) {
	if !c.s.cfg.Verbose {
		return
	}
	c.log.Info("in", "line", redact(line, token, c.s.cfg.Token))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
