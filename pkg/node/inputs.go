package node

import (
	"github.com/tiiuae/rclgo/pkg/rclgo"
	"github.com/tiiuae/rclgo/pkg/rclgo/types"

	aether "github.com/aether-lab/aether-bridge/msgs/gen/aether_msgs/msg"
	geometry "github.com/aether-lab/aether-bridge/msgs/gen/geometry_msgs/msg"
	std "github.com/aether-lab/aether-bridge/msgs/gen/std_msgs/msg"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
)

// Input topic names (remappable with --ros-args -r).
const (
	TopicTarget     = "aether/target"
	TopicTargetPose = "aether/target_pose"
	TopicHand       = "aether/hand"
	TopicGripper    = "aether/gripper"
	TopicEstop      = "aether/estop"
)

// createSubscriptions subscribes to the inputs, estop first: the wait loop
// serves them in this order after each wake-up. Discrete commands drain
// their reader and are handed on one by one; streams have depth-1 readers
// and act on the newest message (latest wins).
func (n *Node) createSubscriptions() error {
	estop := std.NewBool()
	gripper := std.NewFloat64()
	point := geometry.NewPointStamped()
	pose := geometry.NewPoseStamped()
	hand := aether.NewHandState()
	// Acks name their source as ros2 topic list shows it (under the node's namespace).
	srcEstop, srcGripper := n.resolved(TopicEstop), n.resolved(TopicGripper)
	srcTarget, srcPose := n.resolved(TopicTarget), n.resolved(TopicTargetPose)
	inputs := []struct {
		topic  string
		ts     types.MessageTypeSupport
		qos    *rclgo.SubscriptionOptions
		onWake func(*rclgo.Subscription)
	}{
		{TopicEstop, std.BoolTypeSupport, reliableInput(bridge.DiscreteInputDepth), func(s *rclgo.Subscription) {
			n.drain(s, estop, func() { n.core.Estop(srcEstop, estop.Data) })
		}},
		{TopicGripper, std.Float64TypeSupport, reliableInput(bridge.DiscreteInputDepth), func(s *rclgo.Subscription) {
			n.drain(s, gripper, func() { n.core.Gripper(srcGripper, gripper.Data) })
		}},
		{TopicTarget, geometry.PointStampedTypeSupport, reliableInput(latestDepth), func(s *rclgo.Subscription) {
			if n.takeNewest(s, point) {
				n.core.Target(srcTarget, point.Header.FrameId, point.Point.X, point.Point.Y, point.Point.Z)
			}
		}},
		{TopicTargetPose, geometry.PoseStampedTypeSupport, reliableInput(latestDepth), func(s *rclgo.Subscription) {
			// Position only: the arm's wrist policy chooses the tool
			// orientation, so the pose's orientation is not used.
			if n.takeNewest(s, pose) {
				p := pose.Pose.Position
				n.core.Target(srcPose, pose.Header.FrameId, p.X, p.Y, p.Z)
			}
		}},
		// Hand tracking is a camera-rate stream: best effort, newest only,
		// so a slow bridge never works through a backlog of stale hands.
		{TopicHand, aether.HandStateTypeSupport, sensorInput(), func(s *rclgo.Subscription) {
			if n.takeNewest(s, hand) {
				n.hand.Update(handFrame(hand))
			}
		}},
	}
	for _, in := range inputs {
		if err := n.subscribe(in.topic, in.ts, in.qos, in.onWake); err != nil {
			return err
		}
	}
	return nil
}
