package controller

import (
	"strings"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// The stop latch (docs/protocol.md §8). Once latched, only reset clears
// it; home, command and servo get estop. Who may reset: a control client
// that sent stop while it was latched (that connection, or a later one
// under the same hello client name, e.g. a bridge that reconnected). Once
// every such client has disconnected, or if only monitors sent stop, any
// control client may. So the panel's STOP cannot be undone by another
// client's traffic while the panel is there, and a stop never outlives
// everyone able to clear it.

// latchStop records that sess asked for the stop (nil: a monitor), and
// latches it.
func (m *motion) latchStop(sess *session) {
	m.estopped = true
	if sess != nil && !containsSession(m.stoppers, sess) {
		m.stoppers = append(m.stoppers, sess)
	}
}

// mayReset reports whether sess may clear the latched stop; if not, by
// is who may.
func (m *motion) mayReset(sess *session) (ok bool, by string) {
	var holders []string
	for _, s := range m.stoppers {
		if s.ctx.Err() != nil {
			continue // a closed session never will
		}
		if s == sess || s.clientName() != "" && s.clientName() == sess.clientName() {
			return true, ""
		}
		holders = append(holders, s.describe())
	}
	return len(holders) == 0, strings.Join(holders, ", ")
}

// clearStop resets the latch.
func (m *motion) clearStop(sess *session, now time.Time) {
	m.estopped = false
	m.stoppers = nil
	m.log.Info("reset clears the stop; the arm stays where it halted", "client", sess.describe())
	if !m.released {
		m.setWatchdog(now, protocol.WatchdogOK, "reset")
	}
}

// latched is the estop reply to a request refused while the stop is
// latched; what says what to send after the reset.
func (m *motion) latched(o *op, what string) protocol.Response {
	return protocol.Fail(o.id, protocol.CodeEstop, "stopped: the stop is latched; send reset first, then %s", what)
}

func containsSession(list []*session, s *session) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
