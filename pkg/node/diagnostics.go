package node

import (
	"time"

	diag "github.com/aether-lab/aether-bridge/msgs/gen/diagnostic_msgs/msg"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
)

// publishDiagnostics publishes one DiagnosticArray with the entries (and
// levels) pkg/bridge decides: the link, the controller, hand tracking.
func (n *Node) publishDiagnostics() {
	n.stateMu.Lock()
	in := bridge.DiagInputs{Gazebo: n.linkSink == nil, TrajectoryTopic: n.settings.TrajectoryTopic,
		ControllerAddr: n.settings.ControllerAddr(), Link: n.linkStatus, Arm: n.arm, Now: time.Now()}
	n.stateMu.Unlock()
	if n.linkSink != nil {
		in.Metrics = n.linkSink.Metrics()
	}
	in.Hand = n.hand.Status()
	arr := diag.NewDiagnosticArray()
	arr.Header = n.header("")
	for _, s := range bridge.Diagnostics(in) {
		st := diag.DiagnosticStatus{Level: byte(s.Level), Name: s.Name, Message: s.Message, HardwareId: s.HardwareID}
		for _, v := range s.Values {
			st.Values = append(st.Values, diag.KeyValue{Key: v.Key, Value: v.Value})
		}
		arr.Status = append(arr.Status, st)
	}
	if err := n.pubs.diagnostics.Publish(arr); err != nil {
		n.log.Error("publishing diagnostics", "err", err)
	}
}
