// Package bridge is the ROS-free heart of aether_bridge: it validates what
// arrives on the ROS inputs (metres, REP 103), converts it to the wire's
// millimetres, hands it to a Sink (the TCP link, or the Gazebo publisher) and
// turns every outcome into exactly one Ack. pkg/node is the rclgo glue around
// it; keeping this package free of cgo lets it be tested with -race and
// CGO_ENABLED=0 like the rest of the module.
package bridge

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Bridge-local ack codes, for errors found before anything reaches the wire.
// Wire codes (protocol.Code*) are used as they are wherever one fits.
const (
	// CodeUnknownFrame: a stamped input named a frame other than the base frame.
	CodeUnknownFrame = "unknown_frame"
	// CodeQueueFull: the discrete-command queue is full; the command was not queued.
	CodeQueueFull = "queue_full"
	// CodeSuperseded: a target was replaced by a newer one before it was sent (latest wins).
	CodeSuperseded = "superseded"
	// CodeLinkLost: the connection dropped before the controller answered.
	CodeLinkLost = "link_lost"
)

// Sink takes validated commands in wire units (mm) and reports each one's
// outcome through the Result callback given to the Core.
type Sink interface {
	// SetTarget hands over a motion target; a newer target may replace an
	// unsent older one. It returns the id the outcome will carry.
	SetTarget(p ik.Point, gripper float64) (protocol.ID, error)
	// Send queues a discrete command (gripper change, home, reset) in FIFO
	// order; it is never dropped once queued. A full queue is an error.
	Send(r protocol.Request) (protocol.ID, error)
	// Stop halts the arm ahead of everything queued.
	Stop() protocol.ID
}

// Ack is the outcome of one command, published on /aether/ack.
type Ack struct {
	ID      string        // command id ("" when rejected before it got one)
	Source  string        // input topic or service that caused the command
	OK      bool          // true when the controller (or Gazebo sink) accepted it
	Code    string        // wire or bridge-local error code; "" when OK
	Message string        // human-readable; says what to fix on errors
	RTT     time.Duration // send → reply; 0 when nothing was sent
	Target  *ik.Point     // commanded position in mm, nil for non-motion commands
}

// Config is the Core's configuration.
type Config struct {
	// Arm is the kinematic model used to pre-check targets (workspace, reach,
	// joint limits) before they are sent. Must be valid.
	Arm ik.Model
	// BaseFrame is the frame stamped inputs must use (or leave empty).
	// "" means "base_link".
	BaseFrame string
	// Clamp moves out-of-workspace / unreachable targets to the nearest
	// reachable point instead of rejecting them. false = reject.
	Clamp bool
	// MaxPending bounds how many unanswered commands the Core remembers to
	// route their acks. 0 means 4096.
	MaxPending int
}

func (c *Config) setDefaults() {
	if c.BaseFrame == "" {
		c.BaseFrame = "base_link"
	}
	if c.MaxPending == 0 {
		c.MaxPending = 4096
	}
}

// Validate reports the first bad field.
func (c Config) Validate() error {
	if err := c.Arm.Validate(); err != nil {
		return fmt.Errorf("arm: %w", err)
	}
	if c.MaxPending < 0 {
		return fmt.Errorf("MaxPending must be >= 0 (0 = 4096), got %d", c.MaxPending)
	}
	if strings.TrimSpace(c.BaseFrame) != c.BaseFrame {
		return fmt.Errorf("base_frame %q has surrounding spaces", c.BaseFrame)
	}
	return nil
}

type pending struct {
	source string
	target *ik.Point
}

// Core validates inputs, tracks commands in flight and produces acks. It is
// safe for concurrent use: ROS callbacks and the link's result callback may
// call it from different goroutines.
type Core struct {
	cfg     Config
	sink    Sink
	publish func(Ack)

	mu       sync.Mutex
	gripper  float64   // last commanded gripper, 0 open .. 1 closed
	position *ik.Point // last commanded or reported tool position, mm
	estopped bool      // /aether/estop engaged: motion is refused locally
	pending  map[protocol.ID]pending
	order    []protocol.ID          // insertion order of pending, for bounded eviction
	early    map[protocol.ID]result // results that arrived before their command was tracked
}

// NewCore returns a Core that sends to sink and publishes every Ack through
// publish (which must not block for long).
func NewCore(cfg Config, sink Sink, publish func(Ack)) (*Core, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil || publish == nil {
		return nil, errors.New("bridge: NewCore needs a sink and a publish function")
	}
	return &Core{cfg: cfg, sink: sink, publish: publish, pending: make(map[protocol.ID]pending), early: make(map[protocol.ID]result)}, nil
}

// Target handles a position target in metres (REP 103, base frame) from
// source. frame must be "" or the base frame. Bad targets get an error ack
// and are never sent.
func (c *Core) Target(source, frame string, xm, ym, zm float64) {
	c.mu.Lock()
	clamp := c.cfg.Clamp
	c.mu.Unlock()
	p, err := c.check(frame, xm, ym, zm, clamp)
	if err != nil {
		c.reject(source, err, nil)
		return
	}
	c.mu.Lock()
	if c.estopped {
		c.mu.Unlock()
		c.reject(source, estopErr(), &p)
		return
	}
	c.position = &p
	g := c.gripper
	c.mu.Unlock()
	id, err := c.sink.SetTarget(p, g)
	c.track(source, id, err, &p)
}

// check validates one target and returns it in mm (clamped if configured).
func (c *Core) check(frame string, xm, ym, zm float64, clamp bool) (ik.Point, error) {
	if frame != "" && frame != c.cfg.BaseFrame {
		return ik.Point{}, &ackError{code: CodeUnknownFrame, msg: fmt.Sprintf(
			"frame_id %q is not the base frame %q: transform the target into %q (or leave frame_id empty)",
			frame, c.cfg.BaseFrame, c.cfg.BaseFrame)}
	}
	for _, v := range []struct {
		name string
		v    float64
	}{{"x", xm}, {"y", ym}, {"z", zm}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return ik.Point{}, &ackError{code: string(protocol.CodeOutOfRange), msg: fmt.Sprintf(
				"%s is %v: targets must be finite numbers in metres", v.name, v.v)}
		}
	}
	p := ik.Point{X: xm * 1000, Y: ym * 1000, Z: zm * 1000}
	sol, err := c.cfg.Arm.IK(p, ik.Options{Clamp: clamp})
	if err != nil {
		var ie *ik.Error
		if errors.As(err, &ie) {
			return ik.Point{}, &ackError{code: string(ie.Code), msg: ie.Message}
		}
		return ik.Point{}, &ackError{code: string(protocol.CodeInternal), msg: err.Error()}
	}
	return sol.Reached, nil
}

// Gripper handles a gripper command, 0 open .. 1 closed. It is sent as a
// full command (x, y, z and gripper, as the seed format needs) at the last
// known position, in FIFO order so no gripper change is ever dropped.
func (c *Core) Gripper(source string, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1 {
		c.reject(source, &ackError{code: string(protocol.CodeOutOfRange), msg: fmt.Sprintf(
			"gripper %v is outside 0..1 (0 = open, 1 = closed)", v)}, nil)
		return
	}
	c.mu.Lock()
	if c.estopped {
		c.mu.Unlock()
		c.reject(source, estopErr(), nil)
		return
	}
	pos := c.positionLocked()
	c.gripper = v
	c.mu.Unlock()
	g := protocol.Gripper(v)
	req := protocol.Request{Type: protocol.TypeCommand, X: &pos.X, Y: &pos.Y, Z: &pos.Z, Gripper: &g}
	id, err := c.sink.Send(req)
	c.track(source, id, err, &pos)
}

// positionLocked is the last commanded position, else the last reported
// one, else the arm's home pose.
func (c *Core) positionLocked() ik.Point {
	if c.position != nil {
		return *c.position
	}
	p, err := c.cfg.Arm.FK(c.cfg.Arm.HomePose())
	if err != nil { // a validated model always has a valid home pose
		return ik.Point{}
	}
	return p
}

// Estop engages (true) or releases (false) the emergency stop. Engaging
// sends stop ahead of everything and refuses motion locally until released;
// releasing sends reset, which clears the controller's latch without moving.
func (c *Core) Estop(source string, engage bool) {
	c.mu.Lock()
	c.estopped = engage
	c.mu.Unlock()
	if engage {
		c.track(source, c.sink.Stop(), nil, nil)
		return
	}
	id, err := c.sink.Send(protocol.Request{Type: protocol.TypeReset})
	c.track(source, id, err, nil)
}

// Stop sends stop ahead of everything (the ~/stop service). Unlike Estop it
// does not refuse later motion locally; the controller latches it until home
// or reset.
func (c *Core) Stop(source string) protocol.ID {
	id := c.sink.Stop()
	c.track(source, id, nil, nil)
	return id
}

// Home queues a move to the home pose (the ~/home service); it also clears
// a latched stop on the controller and releases a local estop.
func (c *Core) Home(source string) (protocol.ID, error) {
	c.mu.Lock()
	c.estopped = false
	c.position = nil
	c.mu.Unlock()
	id, err := c.sink.Send(protocol.Request{Type: protocol.TypeHome})
	c.track(source, id, err, nil)
	return id, err
}

// Estopped reports whether the local estop is engaged.
func (c *Core) Estopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.estopped
}

// SetReportedPosition records where the controller says the tool is (mm),
// used for gripper commands before any target was sent.
func (c *Core) SetReportedPosition(p ik.Point) {
	c.mu.Lock()
	if c.position == nil {
		c.position = &p
	}
	c.mu.Unlock()
}

// Position returns the last commanded (or reported) tool position in mm.
func (c *Core) Position() ik.Point {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.positionLocked()
}

// SetClamp changes the clamp_to_workspace behaviour at run time.
func (c *Core) SetClamp(clamp bool) {
	c.mu.Lock()
	c.cfg.Clamp = clamp
	c.mu.Unlock()
}
