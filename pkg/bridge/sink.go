package bridge

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Target is a validated motion target in wire units.
type Target struct {
	Point   ik.Point  // mm, arm base frame
	Created time.Time // when the input arrived; its deadline counts from here
}

// CommandKind is what a discrete Command asks for.
type CommandKind uint8

// Discrete commands.
const (
	// CommandGripper sets the gripper and keeps the arm's current target.
	CommandGripper CommandKind = iota + 1
	// CommandHome moves to the home pose (a latched stop needs a reset first).
	CommandHome
	// CommandReset clears a latched stop without moving.
	CommandReset
)

// String names the command for messages.
func (k CommandKind) String() string {
	switch k {
	case CommandGripper:
		return "gripper"
	case CommandHome:
		return "home"
	case CommandReset:
		return "reset"
	}
	return "command"
}

// Command is a discrete command: sent in order, never merged with others.
type Command struct {
	Kind    CommandKind
	Gripper float64 // CommandGripper: 0 open .. 1 closed
}

// Sink carries validated commands to the arm (the TCP link, or Gazebo) and
// reports what happens through the Events given to Start.
type Sink interface {
	// Start begins delivery; every outcome, state change and arm state is
	// reported to ev from then on. Called once, by NewCore.
	Start(ev Events) error
	// SetTarget hands over a motion target; a newer target may replace an
	// unsent older one. It returns the id the outcome will carry.
	SetTarget(t Target) (protocol.ID, error)
	// Send queues a discrete command in FIFO order. A full queue is an
	// error carrying its ack code.
	Send(c Command) (protocol.ID, error)
	// Stop halts the arm ahead of everything queued; a stop is kept until
	// the arm can be told.
	Stop() protocol.ID
	// Refresh asks for a report of the arm's state taken from now on
	// (through Events.Telemetry), or does nothing where none can be had.
	// The Core calls it once a home, reset or stop is answered: the state
	// the controller pushed with that change predates the reply.
	Refresh()
	// Close stops delivery; outstanding commands get their outcome first.
	Close() error
}

// Events is what a Sink reports; the Core implements it.
type Events interface {
	// Result is the outcome of command id: resp is the controller's reply
	// when err is nil.
	Result(id protocol.ID, resp protocol.Response, err error, rtt time.Duration)
	// LinkState reports a change of the connection to the controller.
	LinkState(sc link.StateChange)
	// Telemetry reports the arm's state as the controller sees it.
	Telemetry(st protocol.State)
}

// LinkSink is the Sink of modes hardware and sim: the TCP link to
// aether_controller.
type LinkSink struct {
	cfg  link.Config
	link atomic.Pointer[link.Link] // set by Start; the link's callbacks may read it before Start returns
}

// NewLinkSink returns a sink that connects with cfg once started; cfg's
// callbacks are set by Start.
func NewLinkSink(cfg link.Config) *LinkSink { return &LinkSink{cfg: cfg} }

// Start creates the link, which starts connecting.
func (s *LinkSink) Start(ev Events) error {
	cfg := s.cfg
	cfg.OnResult = func(r link.Result) {
		// Pings and Refresh's status requests are the sink's own: their
		// state reaches OnTelemetry, and no command waits for them.
		if r.Kind != link.KindPing && r.Request.Type != protocol.TypeStatus {
			ev.Result(r.ID, r.Response, r.Err, r.RTT)
		}
	}
	cfg.OnState = ev.LinkState
	cfg.OnTelemetry = ev.Telemetry
	if ck, ok := ev.(ServerChecker); ok {
		cfg.CheckServer = ck.CheckServer // the arm_hash check
	}
	l, err := link.New(cfg)
	if err != nil {
		return fmt.Errorf("starting the link to %s: %w", cfg.Addr, err)
	}
	s.link.Store(l)
	return nil
}

var errNotStarted = errors.New("bridge: the sink is not started")

// SetTarget puts t in the link's latest-wins slot.
func (s *LinkSink) SetTarget(t Target) (protocol.ID, error) {
	l := s.link.Load()
	if l == nil {
		return "", errNotStarted
	}
	return l.SetTarget(link.Target{X: t.Point.X, Y: t.Point.Y, Z: t.Point.Z, Created: t.Created}), nil
}

// Send queues c in the link's FIFO: a gripper change is a command without
// a position, so the arm keeps its target.
func (s *LinkSink) Send(c Command) (protocol.ID, error) {
	l := s.link.Load()
	if l == nil {
		return "", errNotStarted
	}
	var r protocol.Request
	switch c.Kind {
	case CommandGripper:
		g := protocol.Gripper(c.Gripper)
		r = protocol.Request{Type: protocol.TypeCommand, Gripper: &g}
	case CommandHome:
		r = protocol.Request{Type: protocol.TypeHome}
	case CommandReset:
		r = protocol.Request{Type: protocol.TypeReset}
	default:
		return "", fmt.Errorf("bridge: unknown command kind %d", c.Kind)
	}
	return l.Send(r) // its errors (*link.Error) carry their ack code, e.g. queue_full
}

// Stop queues a stop ahead of everything; the link re-sends it until answered.
func (s *LinkSink) Stop() protocol.ID {
	if l := s.link.Load(); l != nil {
		return l.Stop()
	}
	return ""
}

// Refresh sends a status request to a v1 controller; its reply's state
// reaches Telemetry. A seed-format server (no hello, so no ServerInfo)
// reports no state and gets none. A full queue or a closed link drops it:
// pushed events still come.
func (s *LinkSink) Refresh() {
	if l := s.link.Load(); l != nil && l.ServerInfo() != nil {
		_, _ = l.Send(protocol.Request{Type: protocol.TypeStatus})
	}
}

// Close closes the link.
func (s *LinkSink) Close() error {
	if l := s.link.Load(); l != nil {
		return l.Close()
	}
	return nil
}

// Reconnect drops the connection and connects again at once.
func (s *LinkSink) Reconnect() {
	if l := s.link.Load(); l != nil {
		l.Reconnect()
	}
}

// Metrics returns the link's counters.
func (s *LinkSink) Metrics() link.Metrics {
	if l := s.link.Load(); l != nil {
		return l.Metrics()
	}
	return link.Metrics{}
}

// ServerInfo returns the controller's hello payload, nil before one.
func (s *LinkSink) ServerInfo() *protocol.ServerInfo {
	if l := s.link.Load(); l != nil {
		return l.ServerInfo()
	}
	return nil
}
