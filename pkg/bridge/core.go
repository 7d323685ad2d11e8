// Package bridge is the ROS-free heart of aether_bridge, and the one owner
// of every decision: it validates what arrives on the ROS inputs (metres,
// REP 103), converts units both ways, hands commands to a Sink (the TCP
// link, or the Gazebo publisher) with their deadlines, turns every outcome
// into exactly one Ack, and keeps the arm's state as the controller reports
// it (never a guess of its own). pkg/node is the rclgo glue around it:
// message conversion only. Keeping this package free of cgo lets it be
// tested with -race and CGO_ENABLED=0 like the rest of the module.
package bridge

import (
	"fmt"
	"strings"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/fielderr"
	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/link"
)

// Ack is the outcome of one command, published on /aether/ack.
type Ack struct {
	ID      string        // command id ("" when rejected before it got one)
	Source  string        // input topic or service that caused the command
	OK      bool          // true when the controller (or Gazebo sink) accepted it
	Code    string        // wire or bridge-local error code (protocol.Code*); "" when OK
	Message string        // human-readable; says what to fix on errors
	RTT     time.Duration // send → reply; 0 when nothing was sent
	Target  *ik.Point     // commanded position in metres (REP 103), nil for non-motion commands
	// Repeat: the same source failed with the same code just before, so
	// the failure is not news (log it quietly; still publish the ack).
	Repeat bool
}

// Outputs is where the Core reports, all in ROS units. Ack is required;
// the others may be nil.
type Outputs struct {
	Ack       func(Ack)        // one per command
	Link      func(LinkStatus) // the link's state, and who holds control, on every change
	Telemetry func(ArmState)   // each arm state the controller reports
}

// Config is the Core's configuration.
type Config struct {
	// Arm is the kinematic model used to pre-check targets (workspace, reach,
	// joint limits) before they are sent. Must be valid.
	Arm ik.Model
	// BaseFrame is the frame stamped inputs must use (or leave empty).
	// "" means "base_link".
	BaseFrame string
	// Clamp moves out-of-workspace / unreachable targets to the nearest
	// reachable point instead of rejecting them. false = reject.
	Clamp bool
	// MaxPending bounds how many unanswered commands the Core remembers to
	// route their acks. 0 means 4096.
	MaxPending int
	// ClientName is the name the link says hello with; the Core holds
	// control when the controller's state names it. "" means
	// link.DefaultClientName.
	ClientName string
	// ArmFile names the arm file Arm came from, for messages; "" = built-in.
	ArmFile string
	// ArmMismatch is what a controller with another arm model gets:
	// ArmMismatchError (also "") or ArmMismatchWarn.
	ArmMismatch string
}

// DefaultBaseFrame is the base frame when none is configured.
const DefaultBaseFrame = "base_link"

func (c *Config) setDefaults() {
	if c.BaseFrame == "" {
		c.BaseFrame = DefaultBaseFrame
	}
	if c.ClientName == "" {
		c.ClientName = link.DefaultClientName
	}
	if c.MaxPending == 0 {
		c.MaxPending = 4096
	}
}

// Validate reports the first bad field.
func (c Config) Validate() error {
	if err := c.Arm.Validate(); err != nil {
		return fmt.Errorf("arm: %w", err)
	}
	if c.MaxPending < 0 {
		return fielderr.New("MaxPending", "%d is negative; use a limit >= 1 (0 means 4096)", c.MaxPending)
	}
	if strings.TrimSpace(c.BaseFrame) != c.BaseFrame {
		return fmt.Errorf("base_frame %q has surrounding spaces", c.BaseFrame)
	}
	return nil
}
