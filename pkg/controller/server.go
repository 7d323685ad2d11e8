// Package controller is the arm side of Aether: a TCP server speaking wire
// protocol v1 (docs/protocol.md) that validates targets, solves IK and
// drives the servos through a servo.Backend.
//
// One goroutine, the motion loop, owns the arm: joint positions and
// targets, the stop latch, the watchdog and the control lease. Each
// connection has a reader (which decodes, authorises and validates,
// including IK, before anything reaches the motion loop) and a writer
// (which sends replies in request order and coalesces pushed events, so a
// slow client never holds up the arm or other clients).
package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aether-lab/aether-bridge/internal/ratelog"
	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// Version is the controller's software version, sent in the hello reply.
const Version = "0.1.0"

// CapabilityTorque is in the hello reply's capabilities when the servos
// report their position and take the torque request (docs/protocol.md §15).
const CapabilityTorque = "torque"

// ServerName is the hello reply's server.name.
const ServerName = "aether_controller " + Version

// Capabilities lists the optional protocol features every server offers, as
// sent in the hello reply; a server whose backend implements
// servo.PulseWriter adds CapabilityServo.
var Capabilities = []string{"subscribe", "ttl_ms", "dedupe_ids", "rate_hz"}

// byeTimeout bounds writing the shutdown line to each client.
const byeTimeout = 500 * time.Millisecond

// Messages of the lines the server sends on its own initiative.
const (
	msgShuttingDown = "controller shutting down"
	msgTooMany      = "too many clients: the controller serves %d at once; close another connection or raise --max-clients"
)

// Server is the arm-side controller. Create it with New, serve connections
// with Serve, and always call Close: it stops the motion loop, halts and
// releases the servos.
type Server struct {
	cfg     Config // defaults filled in
	arm     armfile.Arm
	model   ik.Model // arm.Model(): limits narrowed to the servos
	backend servo.Backend
	log     *slog.Logger
	clock   clock.Clock
	info    protocol.ServerInfo
	pulses  servo.PulseWriter // the backend's raw pulses; nil when it has none
	fb      servo.Feedback    // the backend's measured positions; nil when it has none

	// Sessions run under ctx; Close cancels it after the motion loop ended.
	ctx    context.Context
	cancel context.CancelFunc

	motion       *motion
	motionCancel context.CancelFunc
	motionDone   chan struct{} // closed when the motion loop has returned
	ops          chan *op      // requests to the motion loop, in arrival order

	stopMu      sync.Mutex
	stopWaiters []stopWaiter  // stops not yet handled by the motion loop
	stopNotify  chan struct{} // cap 1: "stopWaiters is not empty"

	snap atomic.Pointer[protocol.State] // latest state, published by the motion loop

	subsMu sync.Mutex
	subs   map[*session]struct{} // subscribed sessions

	dedupe *dedupeCache

	guard *helloGuard      // failed hellos per source
	quiet *ratelog.Limiter // logs of unauthenticated peers, one line per source per interval

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	sessions  map[*session]struct{} // open sessions
	pending   []*session            // waiting to authenticate, oldest first (token set)
	authed    int                   // sessions in an authenticated slot
	nextConn  uint64
	wg        sync.WaitGroup // sessions and rejecters

	closeOnce sync.Once
	closeErr  error

	eventsDropped atomic.Int64
	broadcasts    atomic.Int64 // events published by the motion loop

	// afterTick, when set (tests), is called by the motion loop after each tick.
	afterTick func()
}

// Stats are counters for monitoring.
type Stats struct {
	// Clients is the number of open connections.
	Clients int
	// Unauthenticated is how many of them wait to authenticate (token set).
	Unauthenticated int
	// EventsDropped counts pushed events replaced by a newer one before a
	// slow subscriber could be sent them.
	EventsDropped int64
}

// New checks cfg and arm and starts the motion loop with the servos
// released, assumed to rest at the arm's park pose. The backend stays
// owned by the caller: Close releases the servos but does not close it.
func New(cfg Config, arm armfile.Arm, backend servo.Backend) (*Server, error) {
	return newServer(cfg, arm, backend, nil)
}

// newServer is New with a test hook called after every motion tick.
func newServer(cfg Config, arm armfile.Arm, backend servo.Backend, afterTick func()) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("controller: config: %w", err)
	}
	arm = arm.WithDefaults()
	if err := arm.Validate(); err != nil {
		return nil, fmt.Errorf("controller: arm %q: %w", arm.Name, err)
	}
	if backend == nil {
		return nil, errors.New("controller: backend is nil; pass a servo.Backend (e.g. sim.New)")
	}
	cfg = cfg.withDefaults(arm.Motion.TickHz)
	s := &Server{
		cfg:        cfg,
		arm:        arm,
		model:      arm.Model(),
		backend:    backend,
		log:        cfg.Logger,
		clock:      cfg.Clock,
		motionDone: make(chan struct{}),
		ops:        make(chan *op, 64),
		stopNotify: make(chan struct{}, 1),
		subs:       make(map[*session]struct{}),
		dedupe:     newDedupeCache(dedupeSize),
		listeners:  make(map[net.Listener]struct{}),
		sessions:   make(map[*session]struct{}),
		guard:      newHelloGuard(),
		quiet:      ratelog.New(cfg.Logger, slog.LevelWarn, QuietLogInterval, cfg.Clock),
		afterTick:  afterTick,
	}
	s.pulses, _ = backend.(servo.PulseWriter)
	s.fb, _ = backend.(servo.Feedback)
	s.info = s.serverInfo()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if _, clamped := arm.ParkPose(); clamped {
		s.log.Warn("the park pose is outside what the servos reach; parking at the nearest reachable pose instead",
			"park_deg", arm.Kinematics.ParkDeg)
	}
	s.motion = newMotion(s)
	var mctx context.Context
	mctx, s.motionCancel = context.WithCancel(context.Background())
	go func() {
		defer close(s.motionDone)
		s.motion.run(mctx)
	}()
	return s, nil
}

func (s *Server) serverInfo() protocol.ServerInfo {
	lo, hi := s.arm.Limits()
	joints := make([]protocol.JointInfo, len(s.arm.Kinematics.Joints))
	for i, j := range s.arm.Kinematics.Joints {
		joints[i] = protocol.JointInfo{Name: j.Name, MinDeg: roundDeg(lo[i]), MaxDeg: roundDeg(hi[i])}
	}
	return protocol.ServerInfo{
		Protocol:     protocol.Version,
		Name:         ServerName,
		Arm:          s.arm.Name,
		Joints:       joints,
		ArmHash:      s.arm.Hash(),
		Capabilities: s.capabilities(),
	}
}

// capabilities lists Capabilities plus "servo" when the backend can set
// raw pulses (docs/protocol.md §12).
func (s *Server) capabilities() []string {
	caps := append([]string(nil), Capabilities...)
	if s.pulses != nil {
		caps = append(caps, CapabilityServo)
	}
	if s.fb != nil {
		caps = append(caps, CapabilityTorque)
	}
	return caps
}

// Serve accepts connections on ln until ctx ends or Close is called. When
// ctx ends it calls Close itself, so the arm halts and clients are told.
// It returns nil after a shutdown, or the listener's error if accepting
// fails for good. ln is closed on return. Serve may be called for several
// listeners.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	s.warnIfExposed(ln.Addr())

	done := make(chan error, 1)
	go func() { done <- s.acceptLoop(ln) }()
	select {
	case err := <-done:
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
		return err
	case <-ctx.Done():
		s.Close()
		return <-done
	}
}

// warnIfExposed logs a warning when anyone on the network can move the arm.
func (s *Server) warnIfExposed(addr net.Addr) {
	if s.cfg.Token != "" {
		return
	}
	if ta, ok := addr.(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		s.log.Warn("listening on a non-loopback address without a token: anyone who can reach this port can move the arm; set a token (--token-file) or listen on 127.0.0.1",
			"addr", addr.String())
	}
}

func (s *Server) acceptLoop(ln net.Listener) error {
	backoff := 5 * time.Millisecond
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				// Transient (e.g. out of file descriptors): back off, retry.
				s.log.Warn("accept failed; retrying", "err", err, "in", backoff)
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-s.ctx.Done():
					t.Stop()
					return nil
				}
				backoff = min(2*backoff, time.Second)
				continue
			}
			return fmt.Errorf("controller: accept on %s: %w", ln.Addr(), err)
		}
		backoff = 5 * time.Millisecond
		s.admit(conn)
	}
}

// admit starts a session for conn, or turns it away when the server is
// full or closing.
func (s *Server) admit(conn net.Conn) {
	c, err := s.register(conn)
	switch {
	case err == nil:
		go func() {
			defer s.finish(c)
			c.run()
		}()
	case errors.Is(err, ErrTooManyClients):
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			conn.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.turnAway(conn)
		}()
	default:
		conn.Close()
	}
}

// register adds a session for conn, counted in s.wg until finish, or says
// why not (ErrClosed, ErrTooManyClients).
func (s *Server) register(conn net.Conn) (*session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, ErrClosed
	case s.cfg.Token == "" && s.authed >= s.cfg.MaxClients:
		return nil, ErrTooManyClients
	}
	s.nextConn++
	c := newSession(s, conn, s.nextConn)
	s.sessions[c] = struct{}{}
	if s.cfg.Token == "" {
		c.slot = slotAuthed
		s.authed++
	} else {
		s.admitPending(c)
	}
	s.wg.Add(1)
	return c, nil
}

// finish forgets a session whose run has returned.
func (s *Server) finish(c *session) {
	s.mu.Lock()
	delete(s.sessions, c)
	s.release(c)
	s.mu.Unlock()
	s.wg.Done()
}

// turnAway tells conn the server is full and closes it.
func (s *Server) turnAway(conn net.Conn) {
	src := sourceOf(conn.RemoteAddr())
	s.quiet.Log(src+"|full", "too many clients: turning a connection away", "remote", conn.RemoteAddr().String(), "max_clients", s.cfg.MaxClients)
	resp := protocol.Fail("", protocol.CodeBusy, msgTooMany, s.cfg.MaxClients)
	conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	protocol.EncodeResponse(conn, &resp)
	conn.Close()
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close shuts the server down: it stops accepting, halts the arm and ends
// the motion loop, tells every client (an error line with code internal,
// "controller shutting down") and closes their connections, then releases
// the servos (no more pulses). It returns the release error, if any. It is
// safe to call more than once and from several goroutines; every call
// returns after the shutdown is complete.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		for ln := range s.listeners {
			ln.Close()
		}
		s.mu.Unlock()

		s.motionCancel() // halts the servos where they are
		<-s.motionDone
		s.cancel() // sessions send the shutdown line and close
		s.mu.Lock()
		for c := range s.sessions {
			// A write stuck on a client that does not read must not hold
			// up the shutdown for a whole WriteTimeout.
			c.conn.SetWriteDeadline(time.Now().Add(byeTimeout))
		}
		s.mu.Unlock()
		s.wg.Wait()
		s.quiet.Close()
		if err := s.backend.Release(); err != nil {
			s.closeErr = fmt.Errorf("controller: release servos: %w", err)
			s.log.Error("could not release the servos at shutdown", "err", err)
		} else {
			s.log.Info("servos released; controller stopped")
		}
	})
	return s.closeErr
}

// State returns the arm state as a status reply would report it.
func (s *Server) State() protocol.State {
	return s.state()
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Clients: len(s.sessions), Unauthenticated: len(s.pending), EventsDropped: s.eventsDropped.Load()}
}

// state returns a copy of the latest snapshot with the current time.
func (s *Server) state() protocol.State {
	st := *s.snap.Load()
	st.Joints = append([]protocol.JointState(nil), st.Joints...)
	st.TimeMS = s.clock.Now().UnixMilli()
	return st
}

// requestStop asks the motion loop to halt at once, ahead of queued
// requests, on behalf of sess (which then may reset the stop). It never
// blocks.
func (s *Server) requestStop(id protocol.ID, sess *session) *result {
	r := newResult()
	s.stopMu.Lock()
	s.stopWaiters = append(s.stopWaiters, stopWaiter{id: id, res: r, sess: sess})
	s.stopMu.Unlock()
	select {
	case s.stopNotify <- struct{}{}:
	default:
	}
	return r
}

// takeStops returns and clears the pending stop requests.
func (s *Server) takeStops() []stopWaiter {
	s.stopMu.Lock()
	defer s.stopMu.Unlock()
	w := s.stopWaiters
	s.stopWaiters = nil
	return w
}

// submit hands o to the motion loop, or answers it (if it wants an
// answer) when the server is shutting down.
func (s *Server) submit(ctx context.Context, o *op) {
	select {
	case s.ops <- o:
		return
	case <-s.motionDone:
	case <-ctx.Done():
	}
	if o.res != nil {
		o.res.resolve(protocol.Fail(o.id, protocol.CodeInternal, msgShuttingDown))
	}
}

// errTooManyFiles is the accept error worth retrying after a pause.
var errTooManyFiles error = syscall.EMFILE

// result is a reply that becomes known later; any number of goroutines may
// wait for it.
type result struct {
	once   sync.Once
	done   chan struct{}
	resp   protocol.Response // set before done is closed
	servos *ServoReport      // servo reply payload, set before done is closed
}

func newResult() *result { return &result{done: make(chan struct{})} }

// resolve sets the reply; only the first call counts.
func (r *result) resolve(resp protocol.Response) { r.resolveWith(resp, nil) }

// resolveWith sets the reply and its servo payload; only the first call
// counts.
func (r *result) resolveWith(resp protocol.Response, servos *ServoReport) {
	r.once.Do(func() {
		r.resp, r.servos = resp, servos
		close(r.done)
	})
}

type stopWaiter struct {
	id   protocol.ID
	res  *result
	sess *session // who sent the stop
}
