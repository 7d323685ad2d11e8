package node

import (
	"fmt"
	"time"

	diag "github.com/aether-lab/aether-bridge/msgs/gen/diagnostic_msgs/msg"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// publishDiagnostics publishes one DiagnosticArray: the link and the
// controller, as rqt_robot_monitor shows them.
func (n *Node) publishDiagnostics() {
	arr := diag.NewDiagnosticArray()
	arr.Header = header("")
	arr.Status = append(arr.Status, n.linkDiagnostics(), n.controllerDiagnostics(), n.handDiagnostics())
	if err := n.pubs.diagnostics.Publish(arr); err != nil {
		n.log.Error("publishing diagnostics", "err", err)
	}
}

func kv(k string, v any) diag.KeyValue { return diag.KeyValue{Key: k, Value: fmt.Sprint(v)} }

func (n *Node) linkDiagnostics() diag.DiagnosticStatus {
	st := diag.DiagnosticStatus{Name: "aether_bridge: link", HardwareId: n.settings.ControllerAddr()}
	l := n.linkSink
	if l == nil {
		st.Level, st.Message = diag.DiagnosticStatus_OK, "gazebo mode: trajectories on "+n.settings.TrajectoryTopic
		st.HardwareId = "gazebo"
		return st
	}
	n.stateMu.Lock()
	sc := n.linkStatus
	n.stateMu.Unlock()
	m := l.Metrics()
	switch {
	case sc.State == link.StateConnected && sc.Arm.Mismatch: // arm_mismatch:=warn
		st.Level, st.Message = diag.DiagnosticStatus_WARN, sc.Arm.Message
	case sc.State == link.StateConnected:
		st.Level, st.Message = diag.DiagnosticStatus_OK, "connected"
	case sc.State == link.StateLegacy:
		st.Level, st.Message = diag.DiagnosticStatus_WARN, "connected to a seed-protocol server (no hello, no heartbeat)"
	default:
		st.Level, st.Message = diag.DiagnosticStatus_ERROR, fmt.Sprintf("%s: %s", sc.State, sc.Reason)
	}
	st.Values = []diag.KeyValue{
		kv("state", sc.State), kv("reason", sc.Reason),
		kv("rtt_last_ms", ms(m.LastRTT)), kv("rtt_p50_ms", ms(m.P50RTT)), kv("rtt_p99_ms", ms(m.P99RTT)),
		kv("sent", m.Sent), kv("acked", m.Acked), kv("errors", m.Errors),
		kv("replaced", m.Replaced), kv("dropped_stale", m.Dropped), kv("reconnects", m.Reconnects),
		kv("control", sc.Control), kv("watchdog", sc.Watchdog),
		kv("arm_hash_controller", sc.Arm.Controller), kv("arm_hash_bridge", sc.Arm.Bridge),
	}
	return st
}

func (n *Node) controllerDiagnostics() diag.DiagnosticStatus {
	st := diag.DiagnosticStatus{Name: "aether_bridge: controller", HardwareId: n.settings.ControllerAddr()}
	n.stateMu.Lock()
	arm := n.arm
	n.stateMu.Unlock()
	if n.linkSink == nil {
		st.Level, st.Message, st.HardwareId = diag.DiagnosticStatus_OK, "gazebo mode: no controller", "gazebo"
		return st
	}
	if arm == nil {
		st.Level, st.Message = diag.DiagnosticStatus_WARN, "no telemetry from the controller yet"
		return st
	}
	t, age := arm.State, time.Since(arm.At)
	switch {
	case t.Estopped:
		st.Level, st.Message = diag.DiagnosticStatus_WARN, "stop latched: call ~/home or publish false on /aether/estop"
	case t.Watchdog != "" && t.Watchdog != protocol.WatchdogOK:
		st.Level, st.Message = diag.DiagnosticStatus_WARN, "watchdog: "+t.Watchdog
	default:
		st.Level, st.Message = diag.DiagnosticStatus_OK, "ok"
	}
	st.Values = []diag.KeyValue{
		kv("watchdog", t.Watchdog), kv("estopped", t.Estopped), kv("moving", t.Moving),
		kv("gripper", t.Gripper), kv("last_id", string(t.LastID)), kv("control", t.Control),
		kv("pose_mm", fmt.Sprintf("%.1f %.1f %.1f", t.Pose.X, t.Pose.Y, t.Pose.Z)),
		kv("telemetry_age_ms", ms(age)),
	}
	return st
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }
