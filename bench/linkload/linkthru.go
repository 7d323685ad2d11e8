package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// LinkResult is the outcome of the link mode.
type LinkResult struct {
	Mode     string  `json:"mode"`
	Seconds  float64 `json:"seconds"`   // length of the counted window
	OK       int     `json:"ok"`        // commands the controller accepted in the window
	Replaced int     `json:"replaced"`  // superseded (none expected: Send's FIFO never supersedes)
	Errors   int     `json:"errors"`    // any other outcome
	OKPerSec float64 `json:"ok_per_s"`  // OK / Seconds
	FirstErr string  `json:"first_err"` // the first error outcome, "" none
}

// linkWindow is how many commands the producer keeps unanswered: the
// link's default queue, so the writer never waits for the producer and
// Send never finds the queue full.
const linkWindow = link.DefaultQueueSize

// runLink measures acked commands per second through pkg/link alone, with
// the bridge's default link settings (in-flight window, timeouts): a
// producer queues a command (Send, the link's FIFO path, where nothing is
// superseded) whenever one of its linkWindow outstanding commands has its
// Result. It warms up for warm, then counts Results for d.
//
// SetTarget is not used: a producer that calls it in a loop only measures
// how fast targets supersede each other in the latest-wins slot.
func runLink(ctx context.Context, addr string, warm, d time.Duration) (*LinkResult, error) {
	tokens := make(chan struct{}, linkWindow)
	for range linkWindow {
		tokens <- struct{}{}
	}
	var (
		mu       sync.Mutex
		counting bool
		res      = &LinkResult{Mode: "link"}
		sendErr  atomic.Pointer[error]
	)
	l, err := link.New(link.Config{Addr: addr, ClientName: "bench_link", OnResult: func(r link.Result) {
		if r.Kind != link.KindDiscrete {
			return
		}
		mu.Lock()
		if counting {
			switch {
			case r.OK():
				res.OK++
			case errors.Is(r.Err, link.ErrReplaced):
				res.Replaced++
			default:
				res.Errors++
				if res.FirstErr == "" {
					res.FirstErr = fmt.Sprintf("%v %s %s", r.Err, r.Response.Code, r.Response.Message)
				}
			}
		}
		mu.Unlock()
		tokens <- struct{}{} // never blocks: one token per target taken
	}})
	if err != nil {
		return nil, err
	}
	defer l.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the producer, owned by ctx and wg
		defer wg.Done()
		for k := uint64(0); ; k++ {
			select {
			case <-ctx.Done():
				return
			case <-tokens:
			}
			x, y, z := Target(k, 1000)
			x, y, z = x*1000, y*1000, z*1000
			g := protocol.GripperOpen
			if _, err := l.Send(protocol.Request{Type: protocol.TypeCommand, X: &x, Y: &y, Z: &z, Gripper: &g}); err != nil {
				sendErr.Store(&err)
				return
			}
		}
	}()
	defer wg.Wait()
	defer cancel()

	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(warm):
	}
	if st := l.Metrics().State; st != link.StateConnected {
		return nil, fmt.Errorf("link is %s after %v of warm-up: is a controller listening on %s, with no other control client?", st, warm, addr)
	}
	mu.Lock()
	counting = true
	start := time.Now()
	mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(d):
	}
	if e := sendErr.Load(); e != nil {
		return nil, fmt.Errorf("queueing a command: %w", *e)
	}
	mu.Lock()
	counting = false
	res.Seconds = time.Since(start).Seconds()
	out := *res
	mu.Unlock()
	out.OKPerSec = float64(out.OK) / out.Seconds
	return &out, nil
}
