package controller

import (
	"fmt"
	"time"
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
