package link

import (
	"slices"
	"time"
)

// rttWindow is how many recent round trips P50RTT/P99RTT cover.
const rttWindow = 1024

// counters is the mutable half of Metrics, guarded by Link.mu.
type counters struct {
	sent, acked, errors, replaced, dropped, reconnects, ackTimeouts uint64

	state State
	rtt   [rttWindow]time.Duration // ring of recent round trips
	nrtt  int                      // valid entries in rtt
	next  int                      // next slot to write
	last  time.Duration
}

func (c *counters) addRTT(d time.Duration) {
	c.rtt[c.next] = d
	c.next = (c.next + 1) % rttWindow
	if c.nrtt < rttWindow {
		c.nrtt++
	}
	c.last = d
}

// percentiles returns the nearest-rank p50 and p99 of the window.
func (c *counters) percentiles() (p50, p99 time.Duration) {
	if c.nrtt == 0 {
		return 0, 0
	}
	s := slices.Clone(c.rtt[:c.nrtt])
	slices.Sort(s)
	rank := func(p int) time.Duration { return s[(p*len(s)+99)/100-1] }
	return rank(50), rank(99)
}

// Metrics returns a snapshot of the counters.
func (l *Link) Metrics() Metrics {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &l.m
	p50, p99 := c.percentiles()
	return Metrics{
		Sent: c.sent, Acked: c.acked, Errors: c.errors, Replaced: c.replaced,
		Dropped: c.dropped, Reconnects: c.reconnects, AckTimeouts: c.ackTimeouts,
		LastRTT: c.last, P50RTT: p50, P99RTT: p99, State: c.state,
		Queued: len(l.queue), InFlight: int(l.inflightN.Load()),
	}
}
