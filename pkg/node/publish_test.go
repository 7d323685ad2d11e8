package node

import (
	"testing"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	aether "github.com/aether-lab/aether-bridge/msgs/gen/aether_msgs/msg"
)

// TestPublishDoesNotLeak measures the C heap in use across many publishes of
// a message with string fields: rclgo's generated publisher leaks a malloc
// chunk per string per message; newPublisher must not. If the first
// assertion fails, rclgo fixed the leak upstream and zeroedMemory can go.
func TestPublishDoesNotLeak(t *testing.T) {
	rctx, err := rclgo.NewContextWithOpts(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rctx.Close()
	node, err := rctx.NewNode("aether_leak_test", "")
	if err != nil {
		t.Fatal(err)
	}
	msg := aether.NewCommandAck()
	msg.Header.FrameId, msg.Id, msg.Source, msg.Code, msg.Message = "base_link", "abc123-42", "/aether/target", "", "Command received"

	const n = 20000
	perMessage := func(publish func() error) float64 {
		for range 1000 { // warm up DDS caches
			if err := publish(); err != nil {
				t.Fatal(err)
			}
		}
		before := cHeapInUse()
		for range n {
			if err := publish(); err != nil {
				t.Fatal(err)
			}
		}
		return (float64(cHeapInUse()) - float64(before)) / n
	}

	typed, err := aether.NewCommandAckPublisher(node, "/aether_leak_test/typed", nil)
	if err != nil {
		t.Fatal(err)
	}
	leaky := perMessage(func() error { return typed.Publish(msg) })
	if leaky < 5*16 { // five string fields, at least a 16-byte chunk each
		t.Errorf("rclgo's generated publisher grew the C heap by only %.1f B/message: fixed upstream? then drop zeroedMemory", leaky)
	}

	fixed, err := newPublisher(node, "/aether_leak_test/fixed", aether.CommandAckTypeSupport, sizeofCommandAck, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := perMessage(func() error { return fixed.Publish(msg) }); got > 1 {
		t.Fatalf("newPublisher grew the C heap by %.1f B/message (rclgo's own: %.1f)", got, leaky)
	}
	t.Logf("C heap growth per CommandAck: rclgo's publisher %.1f B, newPublisher ≤ 1 B", leaky)
}
