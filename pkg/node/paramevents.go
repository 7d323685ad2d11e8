package node

import (
	"fmt"
	"unsafe"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	rclmsg "github.com/aether-lab/aether-bridge/msgs/gen/rcl_interfaces/msg"
)

// TopicParameterEvents is where every ROS node announces its parameter
// changes (rqt_reconfigure, ros2 param and rclpy's ParameterEventHandler
// follow it). It is global, as in rclcpp.
const TopicParameterEvents = "/parameter_events"

// createParameterEvents creates the /parameter_events publisher (rclcpp's
// ParameterEventsQoS: reliable, depth 1000) and announces every declared
// parameter with its start-up value as new.
func (n *Node) createParameterEvents() error {
	opts := rclgo.NewDefaultPublisherOptions()
	opts.Qos.Depth = 1000
	pub, err := newPublisher(n.node, TopicParameterEvents, rclmsg.ParameterEventTypeSupport,
		unsafe.Sizeof(rclmsg.CParameterEvent{}), opts)
	if err != nil {
		return fmt.Errorf("creating publisher %s: %w", TopicParameterEvents, err)
	}
	n.pubs.parameterEvents = pub
	var all []rclmsg.Parameter
	for _, name := range n.params.Names() {
		if v, err := n.params.Get(name); err == nil {
			all = append(all, rclmsg.Parameter{Name: name, Value: toMsgValue(v)})
		}
	}
	n.publishParameterEvent(all, nil)
	return nil
}

// publishParameterEvent announces parameters that are new (start-up) or
// were changed (a successful set).
func (n *Node) publishParameterEvent(added, changed []rclmsg.Parameter) {
	if len(added) == 0 && len(changed) == 0 {
		return
	}
	msg := rclmsg.NewParameterEvent()
	msg.Stamp = n.header("").Stamp
	msg.Node = n.node.FullyQualifiedName()
	msg.NewParameters, msg.ChangedParameters = added, changed
	if err := n.pubs.parameterEvents.Publish(msg); err != nil {
		n.log.Error("publishing parameter event", "err", err)
	}
}

// changedParameters returns the parameters of req whose set took effect.
func changedParameters(req []rclmsg.Parameter, ok func(i int) bool) []rclmsg.Parameter {
	var out []rclmsg.Parameter
	for i, p := range req {
		if ok(i) {
			out = append(out, p)
		}
	}
	return out
}
