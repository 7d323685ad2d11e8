package link_test

import (
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/link/internal/fakectl"
	"github.com/aether-lab/aether-bridge/pkg/link/internal/faultproxy"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// stream drives a Link the way the node does: a stream of targets with
// gripper changes and stops mixed in, and remembers every id.
type stream struct {
	t       *testing.T
	l       *link.Link
	rec     *recorder
	targets []protocol.ID // in SetTarget order
	must    []protocol.ID // stops and gripper changes: each must be acked ok exactly once
	n       int
}

func (s *stream) burst(k int) {
	for range k {
		s.n++
		s.targets = append(s.targets, s.l.SetTarget(link.Target{X: 100 + float64(s.n%50), Y: 10, Z: 200, Gripper: gp(0.5)}))
		if s.n%3 == 0 {
			s.must = append(s.must, mustSend(s.t, s.l, gripperCmd(float64(s.n%2))))
		}
		if s.n%5 == 0 {
			s.must = append(s.must, s.l.Stop())
		}
	}
}

func (s *stream) last() protocol.ID { return s.must[len(s.must)-1] }

// settled waits until every id so far has its Result.
func (s *stream) settled(what string) {
	s.t.Helper()
	waitFor(s.t, 30*time.Second, "every request settled after "+what, func() bool {
		for _, ids := range [][]protocol.ID{s.must, s.targets} {
			for _, id := range ids {
				if !s.rec.has(id) {
					return false
				}
			}
		}
		return true
	})
}

// TestFaultProxyExactlyOnce runs the link through a proxy that splits
// every write into 1-byte segments, adds latency, resets connections in
// flight and blackholes traffic. Every stop and gripper change must end
// with one ok Result and one execution, the newest target must arrive, and
// targets must never execute out of order (no stale replay).
func TestFaultProxyExactlyOnce(t *testing.T) {
	leakCheck(t)
	srv := startServer(t, "127.0.0.1:0", fakectl.ModeV1, "")
	px, err := faultproxy.New(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	var rec recorder
	cfg := rec.config(px.Addr())
	cfg.AckTimeout = 800 * time.Millisecond
	cfg.HeartbeatInterval = 100 * time.Millisecond
	cfg.MaxTargetAge = 5 * time.Second
	l := newLink(t, cfg)
	waitState(t, l, link.StateConnected)
	s := &stream{t: t, l: l, rec: &rec}

	px.SetSegmentSize(1)
	s.burst(15)
	s.settled("1-byte segments")

	px.SetSegmentSize(0)
	px.SetLatency(200 * time.Millisecond)
	s.burst(15)
	s.settled("200 ms latency")

	// Resets that hit after the controller executed a request but before
	// its reply (delayed by the proxy) got back.
	px.SetLatency(100 * time.Millisecond)
	for range 3 {
		accepted := px.Accepted()
		s.burst(6)
		last := s.last()
		waitFor(t, 10*time.Second, "the controller executing "+string(last), func() bool { return srv.ExecCount(last) == 1 })
		if px.ResetAll() == 0 {
			t.Fatal("no connection to reset")
		}
		waitFor(t, 10*time.Second, "a new connection", func() bool {
			return px.Accepted() > accepted && l.Metrics().State == link.StateConnected
		})
	}
	px.SetLatency(0)
	s.settled("resets")

	before := l.Metrics().AckTimeouts
	px.SetBlackhole(true)
	s.burst(6)
	waitFor(t, 10*time.Second, "an ack timeout in the blackhole", func() bool { return l.Metrics().AckTimeouts > before })
	px.SetBlackhole(false)
	s.settled("blackhole")

	resent := 0
	for _, id := range s.must {
		res := rec.one(t, id)
		if !res.OK() {
			t.Errorf("%s (%s): %+v, want one ok Result", id, res.Kind, res)
		}
		if n := srv.ExecCount(id); n != 1 {
			t.Errorf("%s executed %d times, want exactly once", id, n)
		}
		if res.Sends > 1 {
			resent++
		}
	}
	if resent == 0 {
		t.Error("no request was re-sent: the faults never hit a request in flight")
	}

	// Nothing ran twice, and targets ran in the order they were set.
	seen := map[protocol.ID]bool{}
	order := map[protocol.ID]int{}
	for i, id := range s.targets {
		order[id] = i
		rec.one(t, id)
	}
	lastRan := -1
	for _, e := range srv.Executions() {
		if seen[e.Req.ID] {
			t.Errorf("%s executed twice", e.Req.ID)
		}
		seen[e.Req.ID] = true
		if i, ok := order[e.Req.ID]; ok {
			if i < lastRan {
				t.Errorf("target #%d ran after target #%d: a stale target was replayed", i, lastRan)
			}
			lastRan = i
		}
	}
	newest := s.targets[len(s.targets)-1]
	if res := rec.one(t, newest); !res.OK() || !seen[newest] {
		t.Errorf("newest target %s: %+v, executed %v; want it delivered", newest, res, seen[newest])
	}
	// Only heartbeats may fail (a ping is never re-sent).
	failedPings := 0
	for _, res := range rec.kinds(link.KindPing) {
		if !res.OK() {
			failedPings++
		}
	}
	m := l.Metrics()
	if m.Reconnects < 4 || m.AckTimeouts == 0 || m.Errors != uint64(failedPings) {
		t.Errorf("metrics %+v: want >= 4 reconnects, an ack timeout, no failures but %d pings", m, failedPings)
	}
}
