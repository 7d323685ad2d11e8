package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Sent is one target of the FIFO baseline.
type Sent struct {
	ID    string `json:"id"`     // request id on the wire
	GenNs int64  `json:"gen_ns"` // when the target was produced, Unix ns
	AckNs int64  `json:"ack_ns"` // when its reply was read, Unix ns
	OK    bool   `json:"ok"`     // the controller accepted it
}

// FIFOResult is the outcome of the fifo mode.
type FIFOResult struct {
	Mode       string  `json:"mode"`
	Rate       float64 `json:"rate_hz"`
	Generated  int     `json:"generated"`   // targets produced
	LeftUnsent int     `json:"left_unsent"` // still queued when the drain time ran out
	MaxQueue   int     `json:"max_queue"`   // most targets waiting at once
	Sent       []Sent  `json:"sent"`
}

// fifo is an unbounded first-in first-out queue of produced targets.
type fifo struct {
	mu    sync.Mutex
	items []Sent
	xyz   [][3]float64
	max   int
	wake  chan struct{} // cap 1: something was added
}

func (q *fifo) push(s Sent, p [3]float64) {
	q.mu.Lock()
	q.items, q.xyz = append(q.items, s), append(q.xyz, p)
	q.max = max(q.max, len(q.items))
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *fifo) pop() (Sent, [3]float64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return Sent{}, [3]float64{}, false
	}
	s, p := q.items[0], q.xyz[0]
	q.items, q.xyz = q.items[1:], q.xyz[1:]
	return s, p, true
}

func (q *fifo) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// runFIFO is P2's baseline: a plain sender that produces the benchmark's
// target stream at rate per second for d, queues every target, and sends
// them in order over protocol v1, one at a time, each after the previous
// reply (no latest-wins, no ttl). After d it keeps sending what is queued
// for at most drain.
func runFIFO(ctx context.Context, addr string, rate float64, d, drain, timeout time.Duration) (*FIFOResult, error) {
	c, err := dial(ctx, addr, protocol.RoleControl, "bench_fifo", timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	q := &fifo{wake: make(chan struct{}, 1)}
	res := &FIFOResult{Mode: "fifo", Rate: rate}
	genCtx, stopGen := context.WithTimeout(ctx, d)
	defer stopGen()
	produced := make(chan struct{}) // closed when the producer has stopped
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the producer, owned by genCtx and wg
		defer wg.Done()
		defer close(produced)
		t := time.NewTicker(period(rate))
		defer t.Stop()
		for k := uint64(0); ; k++ {
			select {
			case <-genCtx.Done():
				return
			case now := <-t.C:
				x, y, z := Target(k, rate)
				q.push(Sent{GenNs: now.UnixNano()}, [3]float64{x * 1000, y * 1000, z * 1000})
				res.Generated = int(k + 1) // read only after wg.Wait
			}
		}
	}()
	defer wg.Wait()

	var drainEnd <-chan time.Time
	for {
		select {
		case <-produced:
			if drainEnd == nil {
				drainEnd = time.After(drain)
			}
		default:
		}
		s, p, ok := q.pop()
		if !ok {
			if drainEnd != nil { // produced is closed and the queue is empty: done
				break
			}
			select {
			case <-q.wake:
			case <-produced:
			}
			continue
		}
		if drainEnd != nil {
			select {
			case <-drainEnd:
				res.LeftUnsent = q.len() + 1
				wg.Wait()
				res.MaxQueue = q.max
				return res, nil
			default:
			}
		}
		g := protocol.GripperOpen
		req := protocol.Request{Type: protocol.TypeCommand, X: &p[0], Y: &p[1], Z: &p[2], Gripper: &g}
		resp, err := c.roundTrip(&req)
		if err != nil {
			return res, err
		}
		s.ID, s.AckNs, s.OK = idText(req.ID), time.Now().UnixNano(), resp.Status == protocol.StatusOK
		if !s.OK && len(res.Sent) == 0 {
			return res, fmt.Errorf("controller refused the first target: %s (code %s)", resp.Message, resp.Code)
		}
		res.Sent = append(res.Sent, s)
	}
	wg.Wait()
	q.mu.Lock()
	res.MaxQueue = q.max
	q.mu.Unlock()
	return res, nil
}
