package node

import (
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	rosgraph "github.com/aether-lab/aether-bridge/msgs/gen/rosgraph_msgs/msg"
	sensor "github.com/aether-lab/aether-bridge/msgs/gen/sensor_msgs/msg"
	std "github.com/aether-lab/aether-bridge/msgs/gen/std_msgs/msg"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/rosparam"
)

// Topic names of the robot model and the clock (relative: they resolve
// under the node's namespace, like every topic of the bridge).
const (
	TopicRobotDescription = "robot_description"
	TopicClock            = "/clock" // simulation time is global, as rclcpp's TimeSource reads it
)

// resolved is the full name of a relative topic under the node's namespace,
// as ros2 topic list shows it (acks name their source this way).
func (n *Node) resolved(topic string) string {
	ns := n.node.Namespace()
	if strings.HasSuffix(ns, "/") {
		return ns + topic
	}
	return ns + "/" + topic
}

// simClock is the node's clock with use_sim_time: the latest /clock time,
// zero until the first /clock message (as rclcpp's ROS time).
type simClock struct {
	mu  sync.Mutex
	now time.Time
}

// now is the node's clock: /clock time with use_sim_time, else wall time.
func (n *Node) now() time.Time {
	if n.clock == nil {
		return time.Now()
	}
	n.clock.mu.Lock()
	defer n.clock.mu.Unlock()
	return n.clock.now
}

// header stamps a message with the node's clock.
func (n *Node) header(frame string) std.Header {
	t := n.now()
	if t.IsZero() {
		return std.Header{FrameId: frame}
	}
	return std.Header{Stamp: stamp(t), FrameId: frame}
}

// startClock follows /clock when use_sim_time is true.
func (n *Node) startClock() error {
	if !n.settings.UseSimTime {
		return nil
	}
	n.clock = &simClock{}
	msg := rosgraph.NewClock()
	err := n.subscribe(TopicClock, rosgraph.ClockTypeSupport, sensorInput(), func(s *rclgo.Subscription) {
		if n.takeNewest(s, msg) {
			n.clock.mu.Lock()
			n.clock.now = time.Unix(int64(msg.Clock.Sec), int64(msg.Clock.Nanosec))
			n.clock.mu.Unlock()
		}
	})
	if err != nil {
		return fmt.Errorf("use_sim_time: %w", err)
	}
	return nil
}

// publishRobotDescription publishes the URDF once, latched, when
// publish_robot_description is true.
func (n *Node) publishRobotDescription() error {
	if !n.settings.PublishRobotDesc {
		return nil
	}
	text, err := n.settings.RobotDescription()
	if err != nil {
		return fmt.Errorf("publish_robot_description: %w", err)
	}
	latched := rclgo.NewDefaultPublisherOptions()
	latched.Qos.Depth = 1
	latched.Qos.Durability = rclgo.DurabilityTransientLocal
	pub, err := newPublisher(n.node, TopicRobotDescription, std.StringTypeSupport, unsafe.Sizeof(std.CString{}), latched)
	if err != nil {
		return fmt.Errorf("creating publisher %s: %w", TopicRobotDescription, err)
	}
	n.pubs.robotDescription = pub
	msg := std.NewString()
	msg.Data = text
	return pub.Publish(msg)
}

// startJointStates publishes the latest controller sample on /joint_states
// at joint_states_rate_hz, also while the arm rests.
// In gazebo mode joint_state_broadcaster publishes them: the bridge does not.
func (n *Node) startJointStates() {
	n.jointStates = bridge.NewJointStates(n.settings)
	if n.settings.Mode == bridge.ModeGazebo {
		return
	}
	period := time.Duration(float64(time.Second) / n.settings.JointStatesRate)
	n.goPeriodic(period, n.publishJointStates)
}

func (n *Node) publishJointStates() {
	s, ok := n.jointStates.Latest(time.Now())
	if !ok {
		return
	}
	msg := sensor.NewJointState()
	msg.Header = std.Header{Stamp: stamp(s.Stamp), FrameId: n.settings.BaseFrame}
	msg.Name, msg.Position, msg.Velocity = s.Names, s.Positions, s.Velocities
	if err := n.pubs.jointStates.Publish(msg); err != nil {
		n.log.Error("publishing joint states", "err", err)
	}
}

// logIgnored reports parameter overrides the bridge does not declare: other
// nodes' parameters in a shared "/**" section at debug level, anything
// else (the bridge's own section, -p) as a warning with the did-you-mean.
func (n *Node) logIgnored(ignored []rosparam.Ignored) {
	for _, ig := range ignored {
		if ig.Shared {
			n.log.Debug("parameter ignored: not one of the bridge's (shared parameter file)", "reason", ig.Reason)
		} else {
			n.log.Warn("parameter ignored: " + ig.Reason)
		}
	}
}
