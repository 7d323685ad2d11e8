package node

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	aether "github.com/aether-lab/aether-bridge/msgs/gen/aether_msgs/msg"
	builtin "github.com/aether-lab/aether-bridge/msgs/gen/builtin_interfaces/msg"
	diag "github.com/aether-lab/aether-bridge/msgs/gen/diagnostic_msgs/msg"
	sensor "github.com/aether-lab/aether-bridge/msgs/gen/sensor_msgs/msg"
	std "github.com/aether-lab/aether-bridge/msgs/gen/std_msgs/msg"
	trajectory "github.com/aether-lab/aether-bridge/msgs/gen/trajectory_msgs/msg"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/link"
)

// Output topic names (remappable).
const (
	TopicAck         = "aether/ack"
	TopicLinkState   = "aether/link_state"
	TopicDiagnostics = "diagnostics"
	TopicJointStates = "joint_states"
)

// publishers are plain rclgo publishers made by newPublisher (the generated
// typed ones leak on every publish; see zeroedMemory).
type publishers struct {
	ack         *rclgo.Publisher
	linkState   *rclgo.Publisher
	diagnostics *rclgo.Publisher
	jointStates *rclgo.Publisher
	trajectory  *rclgo.Publisher // gazebo mode only

	robotDescription *rclgo.Publisher // with publish_robot_description
	parameterEvents  *rclgo.Publisher // /parameter_events
}

func (n *Node) createPublishers() (err error) {
	reliable := rclgo.NewDefaultPublisherOptions()
	reliable.Qos.Depth = 100 // acks are events: keep a burst for late readers
	if n.pubs.ack, err = newPublisher(n.node, TopicAck, aether.CommandAckTypeSupport, sizeofCommandAck, reliable); err != nil {
		return fmt.Errorf("creating publisher %s: %w", TopicAck, err)
	}
	latched := rclgo.NewDefaultPublisherOptions()
	latched.Qos.Depth = 1
	latched.Qos.Durability = rclgo.DurabilityTransientLocal
	if n.pubs.linkState, err = newPublisher(n.node, TopicLinkState, aether.LinkStateTypeSupport, unsafe.Sizeof(aether.CLinkState{}), latched); err != nil {
		return fmt.Errorf("creating publisher %s: %w", TopicLinkState, err)
	}
	if n.pubs.diagnostics, err = newPublisher(n.node, TopicDiagnostics, diag.DiagnosticArrayTypeSupport, unsafe.Sizeof(diag.CDiagnosticArray{}), nil); err != nil {
		return fmt.Errorf("creating publisher %s: %w", TopicDiagnostics, err)
	}
	if n.pubs.jointStates, err = newPublisher(n.node, TopicJointStates, sensor.JointStateTypeSupport, unsafe.Sizeof(sensor.CJointState{}), nil); err != nil {
		return fmt.Errorf("creating publisher %s: %w", TopicJointStates, err)
	}
	return nil
}

func stamp(t time.Time) builtin.Time {
	return builtin.Time{Sec: int32(t.Unix()), Nanosec: uint32(t.Nanosecond())}
}

func duration(d time.Duration) builtin.Duration {
	return builtin.Duration{Sec: int32(d / time.Second), Nanosec: uint32(d % time.Second)}
}

// publishAck is the Core's publish function.
func (n *Node) publishAck(a bridge.Ack) {
	msg := aether.NewCommandAck()
	msg.Header = n.header(n.settings.BaseFrame)
	msg.Id, msg.Source, msg.Code, msg.Message = a.ID, a.Source, a.Code, a.Message
	msg.Status = aether.CommandAck_STATUS_OK
	if !a.OK {
		msg.Status = aether.CommandAck_STATUS_ERROR
	}
	msg.Rtt = duration(a.RTT)
	if a.Target != nil {
		msg.Target.X, msg.Target.Y, msg.Target.Z = a.Target.X, a.Target.Y, a.Target.Z
	}
	switch {
	case a.OK:
		n.log.Debug("ack", "id", a.ID, "source", a.Source, "rtt", a.RTT)
	case !a.Notable():
		n.log.Debug("command not executed", "id", a.ID, "source", a.Source, "code", a.Code)
	default:
		n.log.Warn("command refused", "id", a.ID, "source", a.Source, "code", a.Code, "message", a.Message)
	}
	if err := n.pubs.ack.Publish(msg); err != nil {
		n.log.Error("publishing ack", "err", err)
	}
}

// onLinkStatus records and publishes a change of the link or of control.
func (n *Node) onLinkStatus(st bridge.LinkStatus) {
	n.stateMu.Lock()
	prev := n.linkStatus
	n.linkStatus = st
	n.stateMu.Unlock()
	switch {
	case st.Arm.Mismatch && prev.Arm != st.Arm:
		n.log.Warn("link", "state", st.State.String(), "reason", st.Arm.Message)
	case prev.State != st.State || prev.Reason != st.Reason:
		n.log.Info("link", "state", st.State.String(), "reason", st.Reason)
	}
	n.publishLinkState()
}

var linkStateCodes = map[link.State]uint8{
	link.StateConnecting: aether.LinkState_STATE_CONNECTING,
	link.StateConnected:  aether.LinkState_STATE_CONNECTED,
	link.StateLegacy:     aether.LinkState_STATE_LEGACY,
	link.StateBackoff:    aether.LinkState_STATE_BACKOFF,
	link.StateClosed:     aether.LinkState_STATE_CLOSED,
}

func (n *Node) publishLinkState() {
	msg := aether.NewLinkState()
	msg.Header = n.header(n.settings.BaseFrame)
	if n.settings.Mode == bridge.ModeGazebo {
		msg.State, msg.StateName, msg.Reason = aether.LinkState_STATE_GAZEBO, "gazebo", "no TCP link in gazebo mode"
	} else {
		n.stateMu.Lock()
		sc := n.linkStatus
		n.stateMu.Unlock()
		msg.State, msg.StateName, msg.Reason = linkStateCodes[sc.State], sc.State.String(), sc.Reason
		msg.Control, msg.Watchdog = sc.Control, sc.Watchdog
		l := n.linkSink
		m := l.Metrics()
		msg.Sent, msg.Acked, msg.Errors, msg.Replaced, msg.Dropped, msg.Reconnects = m.Sent, m.Acked, m.Errors, m.Replaced, m.Dropped, m.Reconnects
		msg.LastRtt, msg.P50Rtt, msg.P99Rtt = duration(m.LastRTT), duration(m.P50RTT), duration(m.P99RTT)
		if info := l.ServerInfo(); info != nil {
			msg.ServerName, msg.Arm, msg.ArmHash, msg.Protocol = info.Name, info.Arm, info.ArmHash, uint32(info.Protocol)
		}
	}
	if err := n.pubs.linkState.Publish(msg); err != nil {
		n.log.Error("publishing link state", "err", err)
	}
}

// onTelemetry records the arm's reported state for /joint_states (published
// at a fixed rate by startJointStates) and /diagnostics.
func (n *Node) onTelemetry(a bridge.ArmState) {
	n.stateMu.Lock()
	n.arm = &a
	n.stateMu.Unlock()
	if err := n.jointStates.Update(a); err != nil {
		n.log.Debug("joint states: telemetry does not match the arm model", "err", err)
	}
}

// publishTrajectory is the Gazebo sink's publish function.
func (n *Node) publishTrajectory(tr bridge.Trajectory) error {
	msg := trajectory.NewJointTrajectory()
	// A zero stamp means "start now" in the trajectory controller's clock
	// (sim time under Gazebo), as MoveIt Servo sends; a wall-clock stamp
	// would be decades in its future.
	msg.Header = std.Header{FrameId: n.settings.BaseFrame}
	msg.JointNames = tr.JointNames
	if len(tr.Positions) > 0 {
		msg.Points = []trajectory.JointTrajectoryPoint{{Positions: tr.Positions, TimeFromStart: duration(tr.Duration)}}
	}
	return n.pubs.trajectory.Publish(msg)
}
