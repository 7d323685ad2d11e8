package link

import (
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Target is a motion target for SetTarget.
type Target struct {
	X, Y, Z float64   // mm, arm base frame (x forward, y left, z up)
	Gripper *float64  // 0 open .. 1 closed; nil keeps the gripper as it is (a seed-protocol server gets the last opening sent to it, else "open")
	Created time.Time // when the target was produced; zero means now. Its age bounds ttl_ms and MaxTargetAge.
}

// Kind says which path a request took through the link.
type Kind uint8

// Request kinds.
const (
	KindTarget   Kind = iota + 1 // SetTarget: latest-wins slot
	KindDiscrete                 // Send: FIFO, never dropped
	KindStop                     // Stop: ahead of everything, re-sent until answered
	KindPing                     // heartbeat sent by the link itself
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindTarget:
		return "target"
	case KindDiscrete:
		return "discrete"
	case KindStop:
		return "stop"
	case KindPing:
		return "ping"
	}
	return "unknown"
}

// Result is the one final outcome of a request.
type Result struct {
	ID       protocol.ID       // the id SetTarget/Send/Stop returned
	Request  protocol.Request  // the request as queued (ttl_ms is set per write, so absent here)
	Response protocol.Response // the controller's reply; zero when Err != nil
	Err      error             // nil when the controller replied; else why there is no reply (ErrReplaced, ErrAckTimeout, ...)
	RTT      time.Duration     // last write to reply; 0 when there was no reply
	Kind     Kind
	Sends    int // how many times the request was written (re-sends after reconnects included)
}

// OK reports whether the controller replied with status ok.
func (r Result) OK() bool { return r.Err == nil && r.Response.Status == protocol.StatusOK }

// State is the link's connection state.
type State uint8

// Link states.
const (
	StateConnecting State = iota + 1 // dialing and saying hello
	StateConnected                   // hello answered: protocol v1
	StateLegacy                      // connected to a seed-protocol server (see package doc)
	StateBackoff                     // connection lost or failed; waiting before the next attempt
	StateClosed                      // Close was called; final
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateLegacy:
		return "legacy"
	case StateBackoff:
		return "backoff"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// StateChange reports a state transition to Config.OnState.
type StateChange struct {
	State  State
	Reason string // why, e.g. the error that dropped the connection
	At     time.Time
}

// Metrics is a snapshot of the link's counters.
type Metrics struct {
	Sent       uint64 // requests written, re-sends and pings included; hello/subscribe not
	Acked      uint64 // replies matched to a request (ok or error; a busy reply that is retried too)
	Errors     uint64 // final Results that failed: error replies and link errors, except ErrReplaced and ErrTargetExpired
	Replaced   uint64 // targets replaced by a newer one before being answered
	Dropped    uint64 // targets dropped as older than MaxTargetAge
	Reconnects uint64 // connection attempts after the first one

	AckTimeouts uint64 // requests (hello included) that got no reply within AckTimeout; each dropped its connection

	LastRTT, P50RTT, P99RTT time.Duration // over the last rttWindow replies
	State                   State
	Queued                  int // discrete commands waiting in the FIFO
	InFlight                int // requests written and not answered yet
}
