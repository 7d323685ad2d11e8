package bridge

import (
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// The levels rqt_robot_monitor shows: a link down is an error, a seed
// server, a latched stop, a watchdog not ok and a lost hand are warnings.
func TestDiagnosticsLevels(t *testing.T) {
	now := time.Now()
	arm := func(st protocol.State) *ArmState { return &ArmState{State: st, At: now} }
	cases := []struct {
		name string
		in   DiagInputs
		idx  int
		want DiagLevel
	}{
		{"link down", DiagInputs{Link: LinkStatus{State: link.StateBackoff, Reason: "dial: refused"}}, 0, DiagError},
		{"seed server", DiagInputs{Link: LinkStatus{State: link.StateLegacy, Up: true}}, 0, DiagWarn},
		{"connected", DiagInputs{Link: LinkStatus{State: link.StateConnected, Up: true}}, 0, DiagOK},
		{"gazebo", DiagInputs{Gazebo: true}, 0, DiagOK},
		{"no telemetry", DiagInputs{}, 1, DiagWarn},
		{"stop latched", DiagInputs{Arm: arm(protocol.State{Estopped: true, Watchdog: protocol.WatchdogOK})}, 1, DiagWarn},
		{"parked", DiagInputs{Arm: arm(protocol.State{Watchdog: protocol.WatchdogParked})}, 1, DiagWarn},
		{"arm ok", DiagInputs{Arm: arm(protocol.State{Watchdog: protocol.WatchdogOK})}, 1, DiagOK},
		{"hand lost", DiagInputs{Hand: HandStatus{Frames: 3, Lost: true, Warn: true}}, 2, DiagWarn},
		{"no hand yet", DiagInputs{Hand: HandStatus{Message: "no hand-tracking frames yet"}}, 2, DiagOK},
		{"servo fault", DiagInputs{Arm: arm(protocol.State{Watchdog: protocol.WatchdogHold, Fault: "servo fault: id 3 reports overload",
			Servos: []protocol.ServoHealth{{ID: 3, Joint: "elbow_flex", Flags: []string{"overload"}}}})}, 1, DiagError},
		{"overloaded servo", DiagInputs{Arm: arm(protocol.State{Servos: []protocol.ServoHealth{{ID: 3, Joint: "elbow_flex", Flags: []string{"overload"}}}})}, 3, DiagError},
		{"healthy servo", DiagInputs{Arm: arm(protocol.State{Watchdog: protocol.WatchdogOK, Servos: []protocol.ServoHealth{{ID: 1, Joint: "shoulder_pan", Load: 12.5, Volts: 7.4, TempC: 31}}})}, 3, DiagOK},
	}
	for _, c := range cases {
		c.in.Now = now
		if got := Diagnostics(c.in)[c.idx]; got.Level != c.want {
			t.Errorf("%s: %s level %d (%q), want %d", c.name, got.Name, got.Level, got.Message, c.want)
		}
	}
}

// Bus servos get one /diagnostics entry each, with their telemetry, and the
// controller entry says the joint states are measured.
func TestDiagnosticsBusServos(t *testing.T) {
	now := time.Now()
	st := protocol.State{Watchdog: protocol.WatchdogOK, Feedback: protocol.FeedbackMeasured, Torque: "on",
		Servos: []protocol.ServoHealth{{ID: 1, Joint: "shoulder_pan", Load: 12.5, Volts: 7.4, TempC: 31}}}
	d := Diagnostics(DiagInputs{Arm: &ArmState{State: st, At: now}, Now: now})
	if len(d) != 4 || d[3].Name != "aether_bridge: servo 1 (shoulder_pan)" {
		t.Fatalf("entries %+v", d)
	}
	want := map[string]string{"load_pct": "12.5", "voltage_v": "7.4", "temperature_c": "31"}
	for _, v := range d[3].Values {
		if w, ok := want[v.Key]; ok && v.Value != w {
			t.Errorf("%s = %s, want %s", v.Key, v.Value, w)
		}
		delete(want, v.Key)
	}
	if len(want) != 0 {
		t.Errorf("missing values %v", want)
	}
	for _, v := range d[1].Values {
		if v.Key == "joint_states" && !strings.HasPrefix(v.Value, "measured") {
			t.Errorf("controller entry joint_states = %q", v.Value)
		}
	}
}
