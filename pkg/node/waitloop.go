package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/tiiuae/rclgo/pkg/rclgo"
	"github.com/tiiuae/rclgo/pkg/rclgo/types"
)

// waitables are every subscription and service of the node, in the order
// the wait loop serves them after a wake-up. Everything the node waits on
// is created through subscribe or serve, which register it here: the wait
// loop is the bridge's own rclgo wait set, not Context.Spin, so anything
// created with an rclgo constructor directly would never be served
// (TestEverythingWaitsInTheWaitLoop checks the sources).
type waitables struct {
	subs     []*rclgo.Subscription
	services []*rclgo.Service
}

// spin is the node's executor: one rclgo wait set with the node's
// subscriptions (estop first) and services. rclgo's WaitSet.Run calls a
// subscription's callback once per wake-up; the callbacks made by subscribe
// take every message waiting (see drain), so one wake-up empties the DDS
// reader instead of taking one message per rcl_wait.
func (n *Node) spin(ctx context.Context) error {
	ws, err := n.rctx.NewWaitSet()
	if err != nil {
		return fmt.Errorf("creating the wait set: %w", err)
	}
	defer ws.Close()
	ws.AddSubscriptions(n.waiting.subs...)
	ws.AddServices(n.waiting.services...)
	return ws.Run(ctx)
}

// subscribe creates a subscription served by the wait loop. onWake runs on
// the wait loop's goroutine once per wake-up with the subscription; it
// takes the messages itself, with drain.
func (n *Node) subscribe(topic string, ts types.MessageTypeSupport, qos *rclgo.SubscriptionOptions,
	onWake func(*rclgo.Subscription)) error {
	sub, err := n.node.NewSubscription(topic, ts, qos, onWake)
	if err != nil {
		return fmt.Errorf("subscribing to %s: %w", topic, err)
	}
	n.waiting.subs = append(n.waiting.subs, sub)
	return nil
}

// drain takes every message waiting on s into msg, in arrival order,
// calling each after every take; it returns how many it took. It ends on a
// take that finds the reader empty, which costs rclgo ~18 µs (it formats an
// error with a stack trace): fine for discrete commands, too much per
// message of a stream (see takeNewest).
func (n *Node) drain(s *rclgo.Subscription, msg types.Message, each func()) int {
	taken := 0
	for n.take(s, msg) {
		taken++
		each()
	}
	return taken
}

// takeNewest takes the newest message of a depth-1 reader (latestDepth):
// DDS keeps only the newest there, so one take empties it, and a message
// that arrives meanwhile wakes the wait set again at once.
func (n *Node) takeNewest(s *rclgo.Subscription, msg types.Message) bool { return n.take(s, msg) }

// take takes one message into msg; false when there was none.
func (n *Node) take(s *rclgo.Subscription, msg types.Message) bool {
	if _, err := s.TakeMessage(msg); err != nil {
		// "Take failed" is how rcl says the reader is empty: not worth a log line.
		var empty *rclgo.SubscriptionTakeFailed
		if !errors.As(err, &empty) {
			n.log.Debug("take failed", "topic", s.TopicName, "err", err)
		}
		return false
	}
	return true
}

// Input QoS, per kind of input (docs/design.md says why):
//   - latest-wins streams (targets): reliable, depth 1 (latestDepth): DDS
//     keeps only the newest, so a lagging bridge never works through stale
//     targets and one take per wake-up empties the reader.
//   - discrete commands (gripper, estop): reliable, depth
//     bridge.DiscreteInputDepth, so a 1 kHz stream survives the bridge being
//     off-CPU for a second; the wait loop hands every one to the core, which
//     acks each (the link's queue is as deep by default).
//   - sensor streams (hand, /clock): best effort, depth 1.
const latestDepth = 1

func reliableInput(depth int) *rclgo.SubscriptionOptions {
	o := rclgo.NewDefaultSubscriptionOptions()
	o.Qos.Depth = depth
	return o
}

func sensorInput() *rclgo.SubscriptionOptions {
	o := rclgo.NewDefaultSubscriptionOptions()
	o.Qos.Reliability = rclgo.ReliabilityBestEffort
	o.Qos.Depth = latestDepth
	return o
}
