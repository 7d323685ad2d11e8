package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// NDJSONResult is the outcome of the ndjson mode: the loopback NDJSON round
// trip, the TCP half of P1's floor.
type NDJSONResult struct {
	Mode  string  `json:"mode"`
	Rate  float64 `json:"rate_hz"`
	RTTns []int64 `json:"rtt_ns"` // one per ping, write to reply, ns
}

// runNDJSON sends one ping line at a time to the controller at addr, paced
// at rate per second for d, as a monitor (so it takes no control lease),
// and times each write-to-reply round trip.
func runNDJSON(ctx context.Context, addr string, rate float64, d, timeout time.Duration) (*NDJSONResult, error) {
	c, err := dial(ctx, addr, protocol.RoleMonitor, "bench_ndjson", timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res := &NDJSONResult{Mode: "ndjson", Rate: rate, RTTns: make([]int64, 0, int(rate*d.Seconds())+1)}
	t := time.NewTicker(period(rate))
	defer t.Stop()
	end := time.After(d)
	for {
		select {
		case <-ctx.Done():
			return res, nil
		case <-end:
			return res, nil
		case <-t.C:
		}
		t0 := time.Now()
		resp, err := c.roundTrip(&protocol.Request{Type: protocol.TypePing})
		if err != nil {
			return res, err
		}
		if resp.Status != protocol.StatusOK {
			return res, fmt.Errorf("ping refused: %s (code %s)", resp.Message, resp.Code)
		}
		res.RTTns = append(res.RTTns, time.Since(t0).Nanoseconds())
	}
}

// period is the interval of rate per second.
func period(rate float64) time.Duration { return time.Duration(float64(time.Second) / rate) }
