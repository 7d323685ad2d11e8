package node

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	trajectory "github.com/aether-lab/aether-bridge/msgs/gen/trajectory_msgs/msg"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// linkSink adapts the TCP link to bridge.Sink.
type linkSink struct{ l *link.Link }

func (s linkSink) SetTarget(p ik.Point, gripper float64) (protocol.ID, error) {
	return s.l.SetTarget(link.Target{X: p.X, Y: p.Y, Z: p.Z, Gripper: gripper, Created: time.Now()}), nil
}

// Send's errors (*link.Error) carry their ack code, e.g. queue_full.
func (s linkSink) Send(r protocol.Request) (protocol.ID, error) { return s.l.Send(r) }

func (s linkSink) Stop() protocol.ID { return s.l.Stop() }

// startSink creates the core and what it sends through: the TCP link in
// modes hardware and sim, the trajectory publisher in mode gazebo.
func (n *Node) startSink() (err error) {
	s := n.settings
	if s.Mode == bridge.ModeGazebo {
		if n.pubs.trajectory, err = newPublisher(n.node, s.TrajectoryTopic, trajectory.JointTrajectoryTypeSupport,
			unsafe.Sizeof(trajectory.CJointTrajectory{}), nil); err != nil {
			return fmt.Errorf("creating publisher %s: %w", s.TrajectoryTopic, err)
		}
		var core *bridge.Core
		gz, err := bridge.NewGazeboSink(s.Gazebo(), n.publishTrajectory,
			func(id protocol.ID, r protocol.Response, err error, rtt time.Duration) { core.Result(id, r, err, rtt) })
		if err != nil {
			return fmt.Errorf("gazebo mode: %w", err)
		}
		if core, err = bridge.NewCore(s.Core(), gz, n.publishAck); err != nil {
			return err
		}
		n.core = core
		n.publishLinkState()
		return nil
	}
	cfg := s.LinkConfig()
	cfg.Logger = n.log.With("component", "link")
	cfg.OnState = n.onLinkState
	// The core exists before the link, which reports into it from its own goroutine.
	placeholder := &deferredSink{}
	core, err := bridge.NewCore(s.Core(), placeholder, n.publishAck)
	if err != nil {
		return err
	}
	n.core = core
	cfg.OnTelemetry = func(st protocol.State) {
		n.onTelemetry(st)
		core.SetReportedPosition(ik.Point{X: st.Pose.X, Y: st.Pose.Y, Z: st.Pose.Z})
	}
	cfg.OnResult = func(r link.Result) {
		if r.Kind != link.KindPing {
			core.Result(r.ID, r.Response, r.Err, r.RTT)
		}
	}
	l, err := link.New(cfg)
	if err != nil {
		return fmt.Errorf("starting the link to %s: %w", s.ControllerAddr(), err)
	}
	n.link.Store(l)
	placeholder.set(linkSink{l})
	return nil
}

// deferredSink lets the core be created before the link it sends through
// (the link's callbacks need the core); until set, it refuses commands.
type deferredSink struct{ s atomic.Pointer[linkSink] }

func (d *deferredSink) set(s linkSink) { d.s.Store(&s) }

var errNotStarted = errors.New("the link is not started yet")

func (d *deferredSink) SetTarget(p ik.Point, g float64) (protocol.ID, error) {
	if s := d.s.Load(); s != nil {
		return s.SetTarget(p, g)
	}
	return "", errNotStarted
}

func (d *deferredSink) Send(r protocol.Request) (protocol.ID, error) {
	if s := d.s.Load(); s != nil {
		return s.Send(r)
	}
	return "", errNotStarted
}

func (d *deferredSink) Stop() protocol.ID {
	if s := d.s.Load(); s != nil {
		return s.Stop()
	}
	return ""
}
