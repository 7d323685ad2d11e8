package bridge

import (
	"errors"
	"fmt"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Policies for a controller whose arm model is not the bridge's (parameter
// arm_mismatch).
const (
	// ArmMismatchError refuses motion and the connection until they match.
	ArmMismatchError = "error"
	// ArmMismatchWarn reports the mismatch and lets motion through.
	ArmMismatchWarn = "warn"
)

// ServerChecker is implemented by Events that vet the controller's hello
// reply; LinkSink passes it to the link as link.Config.CheckServer.
type ServerChecker interface {
	CheckServer(info *protocol.ServerInfo) error
}

// ArmCheck is the outcome of comparing the controller's arm model with the
// bridge's, for /aether/link_state and /diagnostics.
type ArmCheck struct {
	// Checked is false before a hello reply, and for a controller that
	// sends no arm_hash (the seed protocol): nothing could be compared.
	Checked bool
	// Mismatch: the controller's arm_hash is not the bridge's.
	Mismatch bool
	// Refused: Mismatch under ArmMismatchError; motion is refused.
	Refused bool
	// Message says what differs and what to do; "" when the models match.
	Message string
	// Controller and Bridge are the two arm hashes ("" when unknown).
	Controller, Bridge string
}

// CheckServer compares the arm model of the controller that answered hello
// (info; nil from a seed-protocol server) with the bridge's own, records the
// outcome for ArmCheck and for refusing motion, and returns an error under
// ArmMismatchError, so the link drops that connection and keeps redialling
// until a controller with the same arm answers. It is link.Config.CheckServer.
func (c *Core) CheckServer(info *protocol.ServerInfo) error {
	check := c.compareArm(info)
	c.mu.Lock()
	c.armCheck = check
	c.mu.Unlock()
	if check.Refused {
		return errors.New(check.Message) // the link's backoff reason
	}
	return nil
}

// ArmCheck returns the outcome of the last CheckServer.
func (c *Core) ArmCheck() ArmCheck {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.armCheck
}

// armRefused returns the error for motion refused by an arm mismatch, or nil.
func (c *Core) armRefused() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.armCheck.Refused {
		return nil
	}
	return &ackError{code: protocol.CodeArmMismatch, msg: c.armCheck.Message}
}

// motionRefused returns why motion is refused locally (estop, arm
// mismatch), or nil.
func (c *Core) motionRefused() error {
	if c.Estopped() {
		return estopErr()
	}
	return c.armRefused()
}

func (c *Core) compareArm(info *protocol.ServerInfo) ArmCheck {
	own := armfile.ModelHash(c.cfg.Arm) // as the controller hashes its effective model
	if info == nil || info.ArmHash == "" {
		return ArmCheck{Bridge: own}
	}
	check := ArmCheck{Checked: true, Controller: info.ArmHash, Bridge: own}
	if info.ArmHash == own {
		return check
	}
	check.Mismatch = true
	check.Refused = c.cfg.ArmMismatch != ArmMismatchWarn
	file := "the built-in arm (arm parameter empty)"
	if c.cfg.ArmFile != "" {
		file = "arm file " + c.cfg.ArmFile
	}
	check.Message = fmt.Sprintf("arm model mismatch: the controller uses arm %q (arm_hash %s), the bridge uses %s (arm_hash %s); "+
		"give aether_bridge's arm parameter the same file as aether_controller's --arm and restart the side that is wrong",
		info.Arm, short(info.ArmHash), file, short(own))
	if check.Refused {
		check.Message += "; motion is refused until they match (arm_mismatch:=warn only warns)"
	} else {
		check.Message += "; arm_mismatch is warn, so motion is allowed, but targets the bridge accepts may fail on the controller"
	}
	return check
}

// short abbreviates a "sha256:<64 hex>" hash to 12 hex digits for messages.
func short(h string) string {
	const keep = len("sha256:") + 12
	if len(h) > keep {
		return h[:keep]
	}
	return h
}
