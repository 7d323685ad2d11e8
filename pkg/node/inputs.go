package node

import (
	"fmt"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	aether "github.com/aether-lab/aether-bridge/msgs/gen/aether_msgs/msg"
	geometry "github.com/aether-lab/aether-bridge/msgs/gen/geometry_msgs/msg"
	std "github.com/aether-lab/aether-bridge/msgs/gen/std_msgs/msg"
)

// Input topic names (remappable with --ros-args -r).
const (
	TopicTarget     = "aether/target"
	TopicTargetPose = "aether/target_pose"
	TopicHand       = "aether/hand"
	TopicGripper    = "aether/gripper"
	TopicEstop      = "aether/estop"
)

func (n *Node) createSubscriptions() error {
	reliable := rclgo.NewDefaultSubscriptionOptions()
	// Hand tracking is a camera-rate stream: best effort, newest only, so a
	// slow bridge never works through a backlog of stale hands.
	sensorQoS := rclgo.NewDefaultSubscriptionOptions()
	sensorQoS.Qos.Reliability = rclgo.ReliabilityBestEffort
	sensorQoS.Qos.Depth = 1

	var err error
	sub := func(topic string, f func() error) {
		if err == nil {
			if e := f(); e != nil {
				err = fmt.Errorf("subscribing to %s: %w", topic, e)
			}
		}
	}
	sub(TopicTarget, func() error {
		_, e := geometry.NewPointStampedSubscription(n.node, TopicTarget, reliable,
			func(m *geometry.PointStamped, _ *rclgo.MessageInfo, err error) {
				if n.takeOK(TopicTarget, err) {
					n.core.Target(n.resolved(TopicTarget), m.Header.FrameId, m.Point.X, m.Point.Y, m.Point.Z)
				}
			})
		return e
	})
	sub(TopicTargetPose, func() error {
		_, e := geometry.NewPoseStampedSubscription(n.node, TopicTargetPose, reliable,
			func(m *geometry.PoseStamped, _ *rclgo.MessageInfo, err error) {
				// Position only: the arm's wrist policy chooses the tool
				// orientation, so the pose's orientation is not used.
				if n.takeOK(TopicTargetPose, err) {
					p := m.Pose.Position
					n.core.Target(n.resolved(TopicTargetPose), m.Header.FrameId, p.X, p.Y, p.Z)
				}
			})
		return e
	})
	sub(TopicHand, func() error {
		_, e := aether.NewHandStateSubscription(n.node, TopicHand, sensorQoS,
			func(m *aether.HandState, _ *rclgo.MessageInfo, err error) {
				if n.takeOK(TopicHand, err) {
					n.hand.Update(handFrame(m))
				}
			})
		return e
	})
	sub(TopicGripper, func() error {
		_, e := std.NewFloat64Subscription(n.node, TopicGripper, reliable,
			func(m *std.Float64, _ *rclgo.MessageInfo, err error) {
				if n.takeOK(TopicGripper, err) {
					n.core.Gripper(n.resolved(TopicGripper), m.Data)
				}
			})
		return e
	})
	sub(TopicEstop, func() error {
		_, e := std.NewBoolSubscription(n.node, TopicEstop, reliable,
			func(m *std.Bool, _ *rclgo.MessageInfo, err error) {
				if n.takeOK(TopicEstop, err) {
					n.core.Estop(n.resolved(TopicEstop), m.Data)
				}
			})
		return e
	})
	return err
}

// takeOK logs a failed take; rcl reports "take failed" when a wait-set
// wake-up had no message, which is not worth a log line.
func (n *Node) takeOK(topic string, err error) bool {
	if err != nil {
		n.log.Debug("take failed", "topic", topic, "err", err)
		return false
	}
	return true
}
