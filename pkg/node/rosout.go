package node

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"time"
	"unsafe"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	rclmsg "github.com/aether-lab/aether-bridge/msgs/gen/rcl_interfaces/msg"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
)

// rosoutHandler is a slog.Handler that publishes each record on /rosout
// (rcl_interfaces/msg/Log) for rqt_console, stamped with the node's clock,
// its severity mapped from the slog level. rclgo cannot create rcl's own
// rosout publisher for a node (Jazzy's rcl leaves that to the client
// library), so the node publishes the messages itself, with rcl's rosout
// QoS.
type rosoutHandler struct {
	n    *Node
	pub  *rclgo.Publisher
	name string // the node's logger name, e.g. arm2.aether_bridge
	with []slog.Attr
}

// Enabled accepts every level: levelGate filters.
func (h rosoutHandler) Enabled(context.Context, slog.Level) bool { return true } // levelGate filters

// Handle publishes r on /rosout.
func (h rosoutHandler) Handle(_ context.Context, r slog.Record) error {
	msg := rclmsg.NewLog()
	msg.Stamp = h.n.header("").Stamp
	msg.Level = uint8(bridge.RosSeverity(r.Level))
	msg.Name = h.name
	msg.Msg = bridge.LogText(r, h.with)
	if r.PC != 0 {
		f, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		msg.File, msg.Function, msg.Line = f.File, f.Function, uint32(f.Line)
	}
	return h.pub.Publish(msg) // a failure is not logged: that would come back here
}

// WithAttrs returns a handler that adds as to every line.
func (h rosoutHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.with = append(append([]slog.Attr(nil), h.with...), as...)
	return h
}

// WithGroup is not used by the bridge; groups are flattened into the line.
func (h rosoutHandler) WithGroup(string) slog.Handler { return h }

// teeHandler sends every record to each of its handlers that wants it.
type teeHandler []slog.Handler

// Enabled reports whether any handler wants level l.
func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

// Handle passes r to every handler that wants its level; the first error wins.
func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var first error
	for _, h := range t {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// WithAttrs adds as to every handler.
func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithAttrs(as)
	}
	return out
}

// WithGroup opens the group on every handler.
func (t teeHandler) WithGroup(name string) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithGroup(name)
	}
	return out
}

// TopicRosout is where ROS nodes log (global).
const TopicRosout = "/rosout"

// logToRosout makes the node's logs go to /rosout as well as to log's
// handler (stderr), with log's level for both.
func (n *Node) logToRosout(log *slog.Logger) (*slog.Logger, error) {
	// rcl's rosout QoS: reliable, transient local, 1000 deep, 10 s lifespan.
	opts := rclgo.NewDefaultPublisherOptions()
	opts.Qos.Depth = 1000
	opts.Qos.Durability = rclgo.DurabilityTransientLocal
	opts.Qos.Lifespan = 10 * time.Second
	pub, err := newPublisher(n.node, TopicRosout, rclmsg.LogTypeSupport, unsafe.Sizeof(rclmsg.CLog{}), opts)
	if err != nil {
		return nil, fmt.Errorf("creating publisher %s: %w", TopicRosout, err)
	}
	base := log.Handler()
	return slog.New(teeHandler{base, levelGate{rosoutHandler{n: n, pub: pub, name: n.node.Logger().Name()}, base}}), nil
}

// levelGate passes records to h only at levels gate accepts, so AETHER_DEBUG
// governs /rosout like stderr.
type levelGate struct {
	slog.Handler
	gate slog.Handler
}

// Enabled is the gate's answer.
func (g levelGate) Enabled(ctx context.Context, l slog.Level) bool { return g.gate.Enabled(ctx, l) }

// WithAttrs keeps the gate around the handler with as.
func (g levelGate) WithAttrs(as []slog.Attr) slog.Handler {
	return levelGate{g.Handler.WithAttrs(as), g.gate}
}

// WithGroup keeps the gate around the handler with the group.
func (g levelGate) WithGroup(name string) slog.Handler {
	return levelGate{g.Handler.WithGroup(name), g.gate}
}
