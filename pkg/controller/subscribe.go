package controller

import (
	"fmt"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// subscribeRate sets the rate of tick states a subscribe asked for (nil:
// none, events on change only) and returns the reply message, which says
// the rate granted: at most one state per servo tick.
func (c *session) subscribeRate(rateHz *float64) string {
	if rateHz == nil {
		c.tickEvery.Store(0)
		return "Subscribed"
	}
	tick := c.s.cfg.tickPeriod()
	every := time.Duration(float64(time.Second) / *rateHz)
	if every <= tick {
		c.tickEvery.Store(int64(tick))
		return fmt.Sprintf("Subscribed: a state every servo tick (%v, %d Hz) while the arm moves", tick, c.s.cfg.TickHz)
	}
	c.tickEvery.Store(int64(every))
	return fmt.Sprintf("Subscribed: a state at the first servo tick %v after the last (ticks every %v) while the arm moves", every.Round(time.Microsecond), tick)
}

// broadcastTick offers the state of the servo tick at now to every
// subscriber that asked for a rate (subscribe rate_hz) and is due one: at
// the first tick at least its period after the last one it was offered.
// sent says broadcast already offered this state to everyone.
func (s *Server) broadcastTick(st *protocol.State, now time.Time, sent bool) {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	for c := range s.subs {
		every := time.Duration(c.tickEvery.Load())
		if every == 0 || !c.lastTickAt.IsZero() && now.Sub(c.lastTickAt) < every-s.cfg.tickPeriod()/2 {
			continue // half a tick early counts: tick times jitter
		}
		if !sent {
			c.pushEvent(st)
		}
		c.lastTickAt = now
	}
}

// subscribe adds c to the sessions every state is pushed to.
func (s *Server) subscribe(c *session) {
	s.subsMu.Lock()
	s.subs[c] = struct{}{}
	s.subsMu.Unlock()
}

// unsubscribe removes c from them.
func (s *Server) unsubscribe(c *session) {
	s.subsMu.Lock()
	delete(s.subs, c)
	s.subsMu.Unlock()
}

// broadcast offers st to every subscriber without blocking.
func (s *Server) broadcast(st *protocol.State) {
	s.broadcasts.Add(1)
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	for c := range s.subs {
		c.pushEvent(st)
	}
}
