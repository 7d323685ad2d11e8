package bridge

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

type pending struct {
	source string
	target *ik.Point // metres
	clears bool      // home, reset or stop: the arm's pose is unknown until this is answered
}

// Core validates inputs, decides what is sent, tracks commands in flight,
// produces acks and keeps the arm's state as the controller reports it.
// It is safe for concurrent use: ROS callbacks and the sink's events may
// call it from different goroutines.
type Core struct {
	cfg  Config
	sink Sink
	out  Outputs

	mu       sync.Mutex
	estopped bool // /aether/estop engaged: motion is refused locally
	arm      armView
	armCheck ArmCheck // the controller's arm model against ours (CheckServer)
	pending  map[protocol.ID]pending
	order    []protocol.ID          // insertion order of pending, for bounded eviction
	early    map[protocol.ID]result // results that arrived before their command was tracked
	failed   map[string]string      // source → code of its last refused command, for Ack.Repeat
}

// NewCore returns a Core that sends to sink and reports through out; it
// starts the sink.
func NewCore(cfg Config, sink Sink, out Outputs) (*Core, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil || out.Ack == nil {
		return nil, errors.New("bridge: NewCore needs a sink and an Ack output")
	}
	c := &Core{cfg: cfg, sink: sink, out: out, pending: make(map[protocol.ID]pending),
		early: make(map[protocol.ID]result), failed: make(map[string]string)}
	c.arm.awaiting = make(map[protocol.ID]bool)
	if err := sink.Start(c); err != nil {
		return nil, err
	}
	return c, nil
}

// Close stops the sink; commands still in flight get their acks first.
func (c *Core) Close() error { return c.sink.Close() }

// Target handles a position target in metres (REP 103, base frame) from
// source. frame must be "" or the base frame. Bad targets get an error ack
// and are never sent.
func (c *Core) Target(source, frame string, xm, ym, zm float64) {
	now := time.Now()
	c.mu.Lock()
	clamp := c.cfg.Clamp
	c.mu.Unlock()
	p, err := c.check(frame, xm, ym, zm, clamp)
	if err != nil {
		c.reject(source, err, nil)
		return
	}
	if err := c.motionRefused(); err != nil {
		c.reject(source, err, metres(p))
		return
	}
	id, err := c.sink.SetTarget(Target{Point: p, Created: now})
	c.track(source, id, err, pending{source: source, target: metres(p)})
}

// check validates one target and returns it in mm (clamped if configured).
func (c *Core) check(frame string, xm, ym, zm float64, clamp bool) (ik.Point, error) {
	if frame != "" && frame != c.cfg.BaseFrame {
		return ik.Point{}, &ackError{code: protocol.CodeUnknownFrame, msg: fmt.Sprintf(
			"frame_id %q is not the base frame %q: transform the target into %q (or leave frame_id empty)",
			frame, c.cfg.BaseFrame, c.cfg.BaseFrame)}
	}
	for _, v := range []struct {
		name string
		v    float64
	}{{"x", xm}, {"y", ym}, {"z", zm}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return ik.Point{}, &ackError{code: protocol.CodeOutOfRange, msg: fmt.Sprintf(
				"%s is %v: targets must be finite numbers in metres", v.name, v.v)}
		}
	}
	pm, err := checkWorkspace(c.cfg.Arm.Workspace, ik.Point{X: xm, Y: ym, Z: zm}, clamp)
	if err != nil {
		return ik.Point{}, err
	}
	sol, err := c.cfg.Arm.IK(millimetres(pm), ik.Options{Clamp: clamp})
	if err != nil {
		var ie *ik.Error
		if errors.As(err, &ie) {
			return ik.Point{}, &ackError{code: protocol.Code(ie.Code), msg: ie.Message}
		}
		return ik.Point{}, &ackError{code: protocol.CodeInternal, msg: err.Error()}
	}
	return sol.Reached, nil
}

// Gripper handles a gripper command, 0 open .. 1 closed. It never moves
// the arm: the controller keeps its current target. While the controller
// is unreachable it is refused at once rather than run late.
func (c *Core) Gripper(source string, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1 {
		c.reject(source, &ackError{code: protocol.CodeOutOfRange, msg: fmt.Sprintf(
			"gripper %v is outside 0..1 (0 = open, 1 = closed)", v)}, nil)
		return
	}
	if err := c.motionRefused(); err != nil {
		c.reject(source, err, nil)
		return
	}
	c.send(source, Command{Kind: CommandGripper, Gripper: v})
}

// send hands a discrete command to the sink, or refuses it at once while
// the controller is unreachable. It returns the id, or why it was not sent.
func (c *Core) send(source string, cmd Command) (protocol.ID, error) {
	if err := c.unreachable(cmd.Kind.String()); err != nil {
		c.reject(source, err, nil)
		return "", err
	}
	id, err := c.sink.Send(cmd)
	c.track(source, id, err, pending{source: source, clears: cmd.Kind != CommandGripper})
	return id, err
}

// Estop engages (true) or releases (false) the emergency stop. Engaging
// sends stop ahead of everything and refuses motion locally until released;
// releasing sends reset, which clears the controller's latch without moving.
func (c *Core) Estop(source string, engage bool) {
	c.mu.Lock()
	c.estopped = engage
	c.mu.Unlock()
	if engage {
		c.Stop(source)
		return
	}
	c.send(source, Command{Kind: CommandReset})
}

// Stop sends stop ahead of everything (the ~/stop service). Unlike Estop it
// does not refuse later motion locally; the controller latches it until a
// reset. A stop is never dropped: while the controller is unreachable it
// is kept and sent first on reconnect (a late stop is safe); queued
// reports that case.
func (c *Core) Stop(source string) (id protocol.ID, queued bool) {
	queued = c.unreachable("stop") != nil
	id = c.sink.Stop()
	c.track(source, id, nil, pending{source: source, clears: true})
	return id, queued
}

// Home queues a move to the home pose (the ~/home service). It does not
// clear a stop: while /aether/estop is engaged it is refused here, and a
// stop latched on the controller refuses it there, until a reset
// (/aether/estop false). While the controller is unreachable it is refused
// too (the error says so), never run late.
func (c *Core) Home(source string) (protocol.ID, error) {
	err := c.armRefused()
	if err == nil && c.Estopped() {
		err = estopErr()
	}
	if err != nil {
		c.reject(source, err, nil)
		return "", err
	}
	return c.send(source, Command{Kind: CommandHome})
}

// Estopped reports whether the local estop is engaged.
func (c *Core) Estopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.estopped
}

// SetClamp changes the clamp_to_workspace behaviour at run time.
func (c *Core) SetClamp(clamp bool) {
	c.mu.Lock()
	c.cfg.Clamp = clamp
	c.mu.Unlock()
}

// metres converts a wire position (mm) to ROS units.
func metres(p ik.Point) *ik.Point { return &ik.Point{X: p.X / 1000, Y: p.Y / 1000, Z: p.Z / 1000} }

// millimetres converts a ROS position (m) to wire units.
func millimetres(p ik.Point) ik.Point { return ik.Point{X: p.X * 1000, Y: p.Y * 1000, Z: p.Z * 1000} }
