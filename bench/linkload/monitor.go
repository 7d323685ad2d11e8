package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Event is one pushed state event as the monitor saw it.
type Event struct {
	RecvNs int64  `json:"recv_ns"` // when the line was read, Unix ns (wall clock)
	TimeMS int64  `json:"time_ms"` // the controller's time_ms: when it took the state, Unix ms
	LastID string `json:"last_id"` // id of the controller's current target ("" none), as idText
	Moving bool   `json:"moving"`
}

// MonitorResult is the outcome of the monitor mode.
type MonitorResult struct {
	Mode   string  `json:"mode"`
	Events []Event `json:"events"`
}

// monitorPing is how often the monitor pings: the controller closes a
// connection that sends nothing for its read timeout (60 s by default).
const monitorPing = 5 * time.Second

// runMonitor subscribes to the controller's state events as a monitor and
// records every event for d (or until ctx ends). While the arm moves the
// controller pushes one event every few servo ticks, taken at the tick, so
// each carries the id of the target the servos were being driven to then.
// ready is called once the subscription is answered.
func runMonitor(ctx context.Context, addr string, d, timeout time.Duration, ready func()) (*MonitorResult, error) {
	res := &MonitorResult{Mode: "monitor"}
	record := func(r protocol.Response, at time.Time) {
		if r.State == nil {
			return
		}
		res.Events = append(res.Events, Event{RecvNs: at.UnixNano(), TimeMS: r.State.TimeMS, LastID: idText(r.State.LastID), Moving: r.State.Moving})
	}
	c, err := dial(ctx, addr, protocol.RoleMonitor, "bench_monitor", timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.onEvent = record
	resp, err := c.roundTrip(&protocol.Request{Type: protocol.TypeSubscribe})
	if err == nil && resp.Status != protocol.StatusOK {
		err = fmt.Errorf("controller refused subscribe: %s (code %s)", resp.Message, resp.Code)
	}
	if err != nil {
		return nil, err
	}
	ready()
	end := time.Now().Add(d)
	lastPing := time.Now()
	for ctx.Err() == nil && time.Now().Before(end) {
		if time.Since(lastPing) >= monitorPing {
			if _, err := c.roundTrip(&protocol.Request{Type: protocol.TypePing}); err != nil {
				return res, err
			}
			lastPing = time.Now()
		}
		// Short reads so that ctx, the end and the next ping are noticed.
		line, err := c.c.ReadLine(time.Now().Add(100 * time.Millisecond))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("read event: %w", err)
		}
		at := time.Now()
		r, err := protocol.DecodeResponse(line)
		if err != nil {
			return res, fmt.Errorf("controller sent a line that is not a reply (%.80q): %w", line, err)
		}
		if r.Type != protocol.TypeEvent {
			return res, fmt.Errorf("unexpected reply %q outside a request: the stream is out of step", line)
		}
		record(r, at)
	}
	return res, nil
}
