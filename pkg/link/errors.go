package link

import "github.com/aether-lab/aether-bridge/pkg/protocol"

// Error is a link-level failure: there is no reply from the controller.
// Results and returned errors wrap one of the Err* values below, so test
// them with errors.Is. AckCode gives its code, one of pkg/protocol's.
type Error struct {
	code protocol.Code
	text string
}

// Error implements error.
func (e *Error) Error() string { return "link: " + e.text }

// AckCode returns the error's code, e.g. "queue_full".
func (e *Error) AckCode() string { return string(e.code) }

// Link errors.
var (
	// ErrQueueFull: Send found the discrete-command FIFO full; nothing was queued.
	ErrQueueFull = &Error{protocol.CodeQueueFull, "discrete command queue is full"}
	// ErrReplaced: a newer target took this target's place before it was answered.
	ErrReplaced = &Error{protocol.CodeSuperseded, "target replaced by a newer one"}
	// ErrTargetExpired: the target grew older than MaxTargetAge before it could be (re)sent.
	ErrTargetExpired = &Error{protocol.CodeExpired, "the controller was unreachable: the target was not sent before its deadline, and never will be"}
	// ErrCommandExpired: a discrete command grew older than MaxCommandAge before it could be (re)sent.
	ErrCommandExpired = &Error{protocol.CodeExpired, "the controller was unreachable: the command was not sent before its deadline, and never will be"}
	// ErrNeedsPosition: a gripper-only command for a seed-protocol server, which needs a position, before any target was sent to it.
	ErrNeedsPosition = &Error{protocol.CodeMissingField, "the seed-protocol controller needs a position with every command: send a target before changing the gripper"}
	// ErrAckTimeout: no reply within AckTimeout; the connection was dropped.
	ErrAckTimeout = &Error{protocol.CodeAckTimeout, "the controller did not answer in time"}
	// ErrConnLost: the connection dropped before the reply and the request is not re-sent.
	ErrConnLost = &Error{protocol.CodeLinkLost, "connection lost before reply; not resent"}
	// ErrClosed: the Link was closed before the request was answered, or Send after Close.
	ErrClosed = &Error{protocol.CodeClosed, "link closed"}
)
