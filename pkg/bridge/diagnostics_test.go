package bridge

import (
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
	}
	for _, c := range cases {
		c.in.Now = now
		if got := Diagnostics(c.in)[c.idx]; got.Level != c.want {
			t.Errorf("%s: %s level %d (%q), want %d", c.name, got.Name, got.Level, got.Message, c.want)
		}
	}
}
