package link

// Error is a link-level failure: there is no reply from the controller.
// Results and returned errors wrap one of the Err* values below, so test
// them with errors.Is. AckCode gives a short machine-readable code.
type Error struct {
	code string
	text string
}

// Error implements error.
func (e *Error) Error() string { return "link: " + e.text }

// AckCode returns the error's code, e.g. "queue_full".
func (e *Error) AckCode() string { return e.code }

// Link errors.
var (
	// ErrQueueFull: Send found the discrete-command FIFO full; nothing was queued.
	ErrQueueFull = &Error{"queue_full", "discrete command queue is full"}
	// ErrReplaced: a newer target took this target's place before it was answered.
	ErrReplaced = &Error{"superseded", "target replaced by a newer one"}
	// ErrTargetExpired: the target grew older than MaxTargetAge before it could be (re)sent.
	ErrTargetExpired = &Error{"expired", "target older than MaxTargetAge: dropped, not sent"}
	// ErrAckTimeout: no reply within AckTimeout; the connection was dropped.
	ErrAckTimeout = &Error{"ack_timeout", "no reply within AckTimeout"}
	// ErrConnLost: the connection dropped before the reply and the request is not re-sent.
	ErrConnLost = &Error{"link_lost", "connection lost before reply; not resent"}
	// ErrClosed: the Link was closed before the request was answered, or Send after Close.
	ErrClosed = &Error{"closed", "link closed"}
)
