package link

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Link is the bridge's connection to the controller. Its methods are safe
// for concurrent use.
type Link struct {
	cfg  Config
	tls  *tls.Config // nil: plain TCP
	log  *slog.Logger
	disp *dispatcher

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup // the run goroutine and the dispatcher
	closeOnce sync.Once

	wake      chan struct{} // cap 1: new work for the writer
	reconnect chan struct{} // cap 1: Reconnect was called

	server      atomic.Pointer[protocol.ServerInfo]
	inflightN   atomic.Int64 // len(inflight), for Metrics
	heldControl atomic.Bool  // the last state seen named us as the control lease holder

	mu     sync.Mutex // guards the fields below
	closed bool
	stops  []*entry // stops waiting to be written, oldest first
	queue  []*entry // discrete FIFO, at most cfg.QueueSize
	target *entry   // latest-wins slot
	m      counters

	// Owned by the run goroutine.
	inflight []*entry // written, not answered, in write order
	resend   []*entry // discrete requests from a lost connection, re-sent first with the same id
	legacy   legacyMemory
}

// New fills in defaults, validates cfg and starts connecting in the
// background. Close releases everything it started.
func New(cfg Config) (*Link, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	tc, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Link{
		cfg:       cfg,
		tls:       tc,
		log:       cfg.Logger.With("component", "link", "addr", cfg.Addr),
		disp:      newDispatcher(&cfg),
		ctx:       ctx,
		cancel:    cancel,
		wake:      make(chan struct{}, 1),
		reconnect: make(chan struct{}, 1),
	}
	l.wg.Add(2)
	go func() { defer l.wg.Done(); l.disp.loop() }()
	go func() { defer l.wg.Done(); l.run() }()
	return l, nil
}

// SetTarget puts t in the latest-wins slot, replacing an unsent older
// target (whose Result is then ErrReplaced), and returns the id t's Result
// will carry. An invalid target (non-finite coordinates, gripper outside
// 0..1) gets an error Result at once and is not sent. A target never
// older than MaxTargetAge is written; a staler one gets ErrTargetExpired. After Close it
// returns the zero ID and nothing is reported.
func (l *Link) SetTarget(t Target) protocol.ID {
	now := time.Now()
	if t.Created.IsZero() {
		t.Created = now
	}
	var g *protocol.Gripper
	if t.Gripper != nil {
		v := protocol.Gripper(*t.Gripper)
		g = &v
	}
	id, seq := nextID()
	e := &entry{id: id, seq: seq, kind: KindTarget, created: t.Created, expires: t.Created.Add(l.cfg.MaxTargetAge), req: protocol.Request{
		Type: protocol.TypeCommand, ID: id, X: &t.X, Y: &t.Y, Z: &t.Z, Gripper: g,
	}}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ""
	}
	if err := checkTarget(t); err != nil {
		l.finishLocked(e, fmt.Errorf("link: SetTarget: %w", err))
		return id
	}
	if old := l.target; old != nil {
		l.m.replaced++
		l.finishLocked(old, fmt.Errorf("%w before it was sent (newer id %s)", ErrReplaced, id))
	}
	l.target = e
	l.kick()
	return id
}

// Send queues a discrete request (command, home, reset, status, ping; stop
// is handled like Stop) in the FIFO and returns the id its Result will
// carry. Any id in r is replaced by a fresh one. A command carries x, y
// and z, or none of them and a gripper (a gripper change that keeps the
// arm's target). Command, home and reset expire MaxCommandAge after Send:
// never written later, they then get ErrCommandExpired. Errors: invalid
// requests (wrapping a *protocol.Error that names the field),
// ErrQueueFull, ErrClosed; nothing is queued then.
func (l *Link) Send(r protocol.Request) (protocol.ID, error) {
	if err := checkRequest(&r); err != nil {
		return "", fmt.Errorf("link: Send: %w", err)
	}
	if r.Type == protocol.TypeStop {
		if id := l.Stop(); id != "" {
			return id, nil
		}
		return "", fmt.Errorf("%w: Send after Close", ErrClosed)
	}
	id, seq := nextID()
	r.ID = id
	now := time.Now()
	e := &entry{id: id, seq: seq, kind: KindDiscrete, req: r, created: now}
	if expires(r.Type) {
		e.expires = now.Add(l.cfg.MaxCommandAge)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return "", fmt.Errorf("%w: Send after Close", ErrClosed)
	}
	if len(l.queue) >= l.cfg.QueueSize {
		return "", fmt.Errorf("%w: %d commands are waiting to be sent (the controller is unreachable or slow, link state %s): retry later, or raise the bridge's link.queue_size parameter",
			ErrQueueFull, len(l.queue), l.m.state)
	}
	l.queue = append(l.queue, e)
	l.kick()
	return id, nil
}

// Stop queues an emergency stop ahead of everything else and returns its
// id. The stop is re-sent after every connection loss until the controller
// answers it. After Close it returns the zero ID.
func (l *Link) Stop() protocol.ID {
	id, seq := nextID()
	e := &entry{id: id, seq: seq, kind: KindStop, req: protocol.Request{Type: protocol.TypeStop, ID: id}, created: time.Now()}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ""
	}
	l.stops = append(l.stops, e)
	l.kick()
	return id
}

// Reconnect drops the current connection (if any) and connects again at
// once, without backoff. Unanswered requests are handled as after any
// connection loss.
func (l *Link) Reconnect() {
	select {
	case l.reconnect <- struct{}{}:
	default:
	}
}

// ServerInfo returns the controller's hello payload, nil before the first
// answered hello and after falling back to legacy mode. It keeps the last
// value while disconnected.
func (l *Link) ServerInfo() *protocol.ServerInfo { return l.server.Load() }

// Close stops the link: it cancels the connection, gives every unanswered
// request an ErrClosed Result, reports StateClosed, delivers the pending
// callbacks and returns once no goroutine or socket is left. It must not be
// called from a callback. Calling it again is harmless.
func (l *Link) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.cancel()
	})
	l.wg.Wait()
	return nil
}

// kick wakes the writer.
func (l *Link) kick() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// finishLocked posts e's final Result for a link error (no reply). l.mu
// must be held, so Results come out in the order the link decided them.
func (l *Link) finishLocked(e *entry, err error) {
	l.finishWith(e, protocol.Response{}, err, 0)
}

// finishWith posts e's final Result: the reply resp when err is nil. It
// counts failures in Metrics.Errors. l.mu must be held.
func (l *Link) finishWith(e *entry, resp protocol.Response, err error, rtt time.Duration) {
	if err != nil || resp.Status != protocol.StatusOK {
		if err == nil || !(errors.Is(err, ErrReplaced) || errors.Is(err, ErrTargetExpired) || errors.Is(err, ErrCommandExpired)) {
			l.m.errors++
		}
	}
	l.disp.result(Result{ID: e.id, Request: e.req, Response: resp, Err: err, RTT: rtt, Kind: e.kind, Sends: e.sends})
}

// checkTarget rejects coordinates that cannot be encoded or make no sense.
func checkTarget(t Target) *protocol.Error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"X", t.X}, {"Y", t.Y}, {"Z", t.Z}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return &protocol.Error{Code: protocol.CodeOutOfRange, Message: fmt.Sprintf("target %s is %v: use a finite number of millimetres", f.name, f.v)}
		}
	}
	if g := t.Gripper; g != nil && !(*g >= 0 && *g <= 1) {
		return &protocol.Error{Code: protocol.CodeOutOfRange, Message: fmt.Sprintf("target gripper is %v: use a number from 0 (open) to 1 (closed)", *g)}
	}
	return nil
}

// expires reports whether requests of type t get a deadline (MaxCommandAge):
// those that move the arm or clear its stop. A late stop is safe and a
// status harmless, so they have none.
func expires(t protocol.Type) bool {
	return t == protocol.TypeCommand || t == protocol.TypeHome || t == protocol.TypeReset
}

// checkRequest rejects what Send must not queue.
func checkRequest(r *protocol.Request) *protocol.Error {
	switch r.Type {
	case protocol.TypeCommand:
		var missing []string
		for _, f := range []struct {
			name string
			v    *float64
		}{{"x", r.X}, {"y", r.Y}, {"z", r.Z}} {
			if f.v == nil {
				missing = append(missing, f.name)
				continue
			}
			if math.IsNaN(*f.v) || math.IsInf(*f.v, 0) {
				return &protocol.Error{Code: protocol.CodeOutOfRange, Message: fmt.Sprintf("command field %q is %v: use a finite number of millimetres", f.name, *f.v)}
			}
		}
		gripperOnly := len(missing) == 3 && r.Gripper != nil
		if len(missing) > 0 && !gripperOnly {
			return &protocol.Error{Code: protocol.CodeMissingField, Message: fmt.Sprintf("command is missing %q: a command carries x, y and z (mm), or none of them and a gripper (0 open..1 closed) to change only the gripper", missing)}
		}
		if r.Gripper != nil {
			if g := float64(*r.Gripper); !(g >= 0 && g <= 1) {
				return &protocol.Error{Code: protocol.CodeOutOfRange, Message: fmt.Sprintf("command field \"gripper\" is %v: use a number from 0 (open) to 1 (closed)", g)}
			}
		}
		if r.TTLms != nil && *r.TTLms <= 0 {
			return &protocol.Error{Code: protocol.CodeOutOfRange, Message: fmt.Sprintf("command field \"ttl_ms\" is %d: use a number of milliseconds greater than 0, or nil for no limit", *r.TTLms)}
		}
	case protocol.TypeStop, protocol.TypeHome, protocol.TypeReset, protocol.TypeStatus, protocol.TypePing:
	case protocol.TypeHello:
		return &protocol.Error{Code: protocol.CodeInvalidCommand, Message: "hello is sent by the link on every connection: set the token and client name in the link's configuration (the bridge's token_file and client_name parameters) instead"}
	case protocol.TypeSubscribe:
		return &protocol.Error{Code: protocol.CodeInvalidCommand, Message: "subscribe is sent by the link on every connection when its configuration asks for telemetry: do not send it yourself"}
	default:
		return &protocol.Error{Code: protocol.CodeInvalidCommand, Message: fmt.Sprintf("request type %q cannot be sent: use command, stop, home, reset, status or ping", r.Type)}
	}
	return nil
}
