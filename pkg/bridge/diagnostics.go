package bridge

import (
	"fmt"
	"strings"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// DiagLevel is a diagnostic_msgs/DiagnosticStatus level.
type DiagLevel uint8

// Levels, with diagnostic_msgs' values.
const (
	DiagOK    DiagLevel = 0
	DiagWarn  DiagLevel = 1
	DiagError DiagLevel = 2
)

// KeyValue is one diagnostic value.
type KeyValue struct{ Key, Value string }

// DiagStatus is one entry of /diagnostics, as rqt_robot_monitor shows it.
type DiagStatus struct {
	Name, Message, HardwareID string
	Level                     DiagLevel
	Values                    []KeyValue
}

// DiagInputs is what the diagnostics are made from.
type DiagInputs struct {
	Gazebo          bool   // mode gazebo: no link, no controller
	TrajectoryTopic string // gazebo mode's output
	ControllerAddr  string // host:port
	Link            LinkStatus
	Metrics         link.Metrics
	Arm             *ArmState // last reported; nil before the first report
	Hand            HandStatus
	Now             time.Time
}

// Diagnostics decides the /diagnostics entries and their levels: the link,
// the controller, hand tracking, and one entry per bus servo when the
// controller reports servo telemetry.
func Diagnostics(in DiagInputs) []DiagStatus {
	out := []DiagStatus{linkDiagnostics(in), controllerDiagnostics(in), handDiagnostics(in.Hand)}
	return append(out, servoDiagnostics(in)...)
}

// servoDiagnostics has one entry per bus servo: load, voltage and
// temperature, an error while it reports an error flag.
func servoDiagnostics(in DiagInputs) []DiagStatus {
	if in.Gazebo || in.Arm == nil {
		return nil
	}
	var out []DiagStatus
	for _, s := range in.Arm.State.Servos {
		st := DiagStatus{Name: fmt.Sprintf("aether_bridge: servo %d (%s)", s.ID, s.Joint), HardwareID: fmt.Sprintf("bus servo id %d", s.ID),
			Level: DiagOK, Message: "ok"}
		if len(s.Flags) > 0 {
			st.Level, st.Message = DiagError, strings.Join(s.Flags, ", ")
		}
		st.Values = []KeyValue{kv("load_pct", s.Load), kv("voltage_v", s.Volts), kv("temperature_c", s.TempC),
			kv("moving", s.Moving), kv("flags", strings.Join(s.Flags, ", "))}
		out = append(out, st)
	}
	return out
}

func kv(k string, v any) KeyValue { return KeyValue{Key: k, Value: fmt.Sprint(v)} }

func msText(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

func linkDiagnostics(in DiagInputs) DiagStatus {
	st := DiagStatus{Name: "aether_bridge: link", HardwareID: in.ControllerAddr}
	if in.Gazebo {
		st.Level, st.Message, st.HardwareID = DiagOK, "gazebo mode: trajectories on "+in.TrajectoryTopic, "gazebo"
		return st
	}
	sc, m := in.Link, in.Metrics
	switch {
	case sc.State == link.StateConnected && sc.Arm.Mismatch: // arm_mismatch:=warn
		st.Level, st.Message = DiagWarn, sc.Arm.Message
	case sc.State == link.StateConnected:
		st.Level, st.Message = DiagOK, "connected"
	case sc.State == link.StateLegacy:
		st.Level, st.Message = DiagWarn, "connected to a seed-protocol server (no hello, no heartbeat)"
	default:
		st.Level, st.Message = DiagError, fmt.Sprintf("%s: %s", sc.State, sc.Reason)
	}
	st.Values = []KeyValue{
		kv("state", sc.State), kv("reason", sc.Reason),
		kv("rtt_last_ms", msText(m.LastRTT)), kv("rtt_p50_ms", msText(m.P50RTT)), kv("rtt_p99_ms", msText(m.P99RTT)),
		kv("sent", m.Sent), kv("acked", m.Acked), kv("errors", m.Errors),
		kv("replaced", m.Replaced), kv("dropped_stale", m.Dropped), kv("reconnects", m.Reconnects),
		kv("control", sc.Control), kv("watchdog", sc.Watchdog),
		kv("arm_hash_controller", sc.Arm.Controller), kv("arm_hash_bridge", sc.Arm.Bridge),
	}
	return st
}

func controllerDiagnostics(in DiagInputs) DiagStatus {
	st := DiagStatus{Name: "aether_bridge: controller", HardwareID: in.ControllerAddr}
	if in.Gazebo {
		st.Level, st.Message, st.HardwareID = DiagOK, "gazebo mode: no controller", "gazebo"
		return st
	}
	if in.Arm == nil {
		st.Level, st.Message = DiagWarn, "no telemetry from the controller yet"
		return st
	}
	t := in.Arm.State
	switch {
	case t.Fault != "":
		st.Level, st.Message = DiagError, t.Fault
	case t.Estopped:
		st.Level, st.Message = DiagWarn, "stop latched: publish false on /aether/estop to reset it"
	case t.Watchdog != "" && t.Watchdog != protocol.WatchdogOK:
		st.Level, st.Message = DiagWarn, "watchdog: "+t.Watchdog
	default:
		st.Level, st.Message = DiagOK, "ok"
	}
	st.Values = []KeyValue{
		kv("watchdog", t.Watchdog), kv("estopped", t.Estopped), kv("moving", t.Moving),
		kv("gripper", t.Gripper), kv("last_id", string(t.LastID)), kv("control", t.Control),
		kv("pose_mm", fmt.Sprintf("%.1f %.1f %.1f", t.Pose.X, t.Pose.Y, t.Pose.Z)),
		kv("telemetry_age_ms", msText(in.Now.Sub(in.Arm.At))),
		// Hobby servos are open-loop: the controller reports the angles it commanded.
		kv("joint_states", "commanded (open-loop servos report no position)"),
	}
	if t.Feedback == protocol.FeedbackMeasured {
		st.Values[len(st.Values)-1] = kv("joint_states", "measured (bus servos report their position)")
		st.Values = append(st.Values, kv("torque", t.Torque), kv("fault", t.Fault))
	}
	return st
}

func handDiagnostics(h HandStatus) DiagStatus {
	st := DiagStatus{Name: "aether_bridge: hand", HardwareID: "/aether/hand", Level: DiagOK, Message: h.Message}
	if h.Warn {
		st.Level = DiagWarn
	}
	st.Values = []KeyValue{kv("frames", h.Frames), kv("engaged", h.Engaged), kv("lost", h.Lost), kv("reason", h.Reason)}
	return st
}
