package controller

import (
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// untilEventAt reads pushed events until one carries time_ms at, failing
// on a reply or a later event.
func (c *client) untilEventAt(at time.Time) protocol.State {
	c.t.Helper()
	for {
		r := c.recv()
		if r.Type != protocol.TypeEvent || r.State == nil {
			c.t.Fatalf("got %+v, want an event", r)
		}
		switch {
		case r.State.TimeMS == at.UnixMilli():
			return *r.State
		case r.State.TimeMS > at.UnixMilli():
			c.t.Fatalf("event at %d, the tick at %d was skipped", r.State.TimeMS, at.UnixMilli())
		}
	}
}

// subscribe with rate_hz: a state at every servo tick (capped at the tick
// rate), stamped with the tick's own time, so motion can be measured from
// outside; a lower rate gets every k-th tick; at rest nothing ticks.
func TestSubscribeRateEveryTick(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour, TickHz: 50})
	ctl := h.dial()
	wantOK(t, ctl.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)

	mon := h.dial()
	wantOK(t, mon.do(`{"type":"subscribe","id":7,"rate_hz":100}`), "Subscribed: a state every servo tick (20ms, 50 Hz) while the arm moves")
	var last protocol.State
	for range 20 {
		h.step(1)
		last = mon.untilEventAt(h.clk.Now())
		if !last.Moving {
			t.Fatal("the arm stopped within 20 ticks; pick a longer move")
		}
	}
	if want := h.srv.State(); !sameJoints(jointsDeg(last), jointsDeg(want), 0) {
		t.Fatalf("event joints %v, state %v", jointsDeg(last), jointsDeg(want))
	}

	slow := h.dial()
	wantOK(t, slow.do(`{"type":"subscribe","rate_hz":10}`), "Subscribed: a state at the first servo tick 100ms after the last (ticks every 20ms) while the arm moves")
	slow.recv() // the state at subscribing
	h.step(1)
	first := slow.untilEventAt(h.clk.Now())
	h.step(5)
	if next := slow.untilEventAt(h.clk.Now()); next.TimeMS-first.TimeMS != 100 {
		t.Fatalf("rate_hz 10: events %d ms apart, want 100", next.TimeMS-first.TimeMS)
	}

	wantCode(t, mon.do(`{"type":"subscribe","rate_hz":0}`), protocol.CodeOutOfRange, "rate_hz")
}
