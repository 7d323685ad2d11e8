package main

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

func TestTargetStreamIsReachableAndDistinct(t *testing.T) {
	model := armfile.Default().Model()
	for _, rate := range []float64{30, 1000, 20000} {
		seen := map[[2]int64]uint64{}
		for k := uint64(0); k < 3*patternXSteps; k++ {
			x, y, z := Target(k, rate)
			if _, err := model.IK(ik.Point{X: x * 1000, Y: y * 1000, Z: z * 1000}, ik.Options{}); err != nil {
				t.Fatalf("rate %v target %d (%.4f, %.4f, %.4f) m: %v", rate, k, x, y, z, err)
			}
			key := [2]int64{int64(math.Round(x * 1e5)), int64(math.Round(y * 1e5))}
			if j, dup := seen[key]; dup && k-j < patternXSteps {
				t.Fatalf("rate %v: targets %d and %d share the key %v", rate, j, k, key)
			}
			seen[key] = k
		}
	}
}

func TestNDJSONTimesEachPing(t *testing.T) {
	addr := startController(t)
	res, err := runNDJSON(context.Background(), addr, 200, 200*time.Millisecond, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.RTTns) < 5 {
		t.Fatalf("%d pings in 200 ms at 200 Hz", len(res.RTTns))
	}
	for i, v := range res.RTTns {
		if v <= 0 || v > int64(time.Second) {
			t.Fatalf("rtt %d is %v", i, time.Duration(v))
		}
	}
}

func TestFIFOSendsEveryTargetInOrder(t *testing.T) {
	addr := startController(t)
	res, err := runFIFO(context.Background(), addr, 500, 200*time.Millisecond, 2*time.Second, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Generated < 20 || len(res.Sent)+res.LeftUnsent != res.Generated {
		t.Fatalf("generated %d, sent %d, left %d", res.Generated, len(res.Sent), res.LeftUnsent)
	}
	prev := int64(0)
	for i, s := range res.Sent {
		id, err := strconv.Atoi(s.ID)
		if err != nil || !s.OK || s.AckNs < s.GenNs || s.GenNs < prev {
			t.Fatalf("sent[%d] = %+v (id err %v)", i, s, err)
		}
		if i > 0 {
			if prevID, _ := strconv.Atoi(res.Sent[i-1].ID); id <= prevID {
				t.Fatalf("ids out of order: %s after %s", s.ID, res.Sent[i-1].ID)
			}
		}
		prev = s.GenNs
	}
}

func TestFIFOReportsAHungController(t *testing.T) {
	_, err := runFIFO(context.Background(), silentServer(t), 100, 50*time.Millisecond, time.Second, 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "no reply") {
		t.Fatalf("err = %v, want no reply", err)
	}
}

func TestFIFOGivesUpAfterDrain(t *testing.T) {
	addr := startController(t)
	// A drain of zero: whatever is still queued when production ends is left.
	res, err := runFIFO(context.Background(), addr, 2000, 100*time.Millisecond, 0, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sent)+res.LeftUnsent != res.Generated {
		t.Fatalf("generated %d, sent %d, left %d: targets lost", res.Generated, len(res.Sent), res.LeftUnsent)
	}
}

func TestMonitorRecordsTheExecutedTarget(t *testing.T) {
	addr := startController(t)
	ready := make(chan struct{})
	type outcome struct {
		res *MonitorResult
		err error
	}
	done := make(chan outcome, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		res, err := runMonitor(ctx, addr, 10*time.Second, time.Second, func() { close(ready) })
		done <- outcome{res, err}
	}()
	select {
	case <-ready:
	case o := <-done:
		t.Fatalf("monitor ended before it was ready: %v", o.err)
	}
	c, err := dial(ctx, addr, protocol.RoleControl, "test", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	x, y, z := 150.0, 80.0, 120.0 // far from park: the arm moves for a while
	g := protocol.GripperOpen
	cmd := protocol.Request{Type: protocol.TypeCommand, X: &x, Y: &y, Z: &z, Gripper: &g}
	if resp, err := c.roundTrip(&cmd); err != nil || resp.Status != protocol.StatusOK {
		t.Fatalf("command: %v %+v", err, resp)
	}
	want := idText(cmd.ID)
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := c.roundTrip(&protocol.Request{Type: protocol.TypeStatus})
		if err != nil {
			t.Fatal(err)
		}
		if st.State != nil && !st.State.Moving || time.Now().After(deadline) {
			break
		}
	}
	cancel()
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	moving := 0
	for _, e := range o.res.Events {
		if e.Moving {
			moving++
			if e.LastID != want {
				t.Fatalf("moving event with last_id %q, want %q", e.LastID, want)
			}
			if e.RecvNs/1e6 < e.TimeMS-1 {
				t.Fatalf("event read (%d ns) before the controller took it (%d ms)", e.RecvNs, e.TimeMS)
			}
		}
	}
	if moving == 0 {
		t.Fatalf("no moving event among %d", len(o.res.Events))
	}
}

func TestLinkCountsAckedCommands(t *testing.T) {
	addr := startController(t)
	res, err := runLink(context.Background(), addr, 200*time.Millisecond, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK == 0 || res.Errors != 0 || res.Replaced != 0 || res.FirstErr != "" {
		t.Fatalf("result %+v", res)
	}
	if got := float64(res.OK) / res.Seconds; math.Abs(got-res.OKPerSec) > 1e-6*got {
		t.Fatalf("ok_per_s %v, want %v", res.OKPerSec, got)
	}
}

func TestLinkReportsNoController(t *testing.T) {
	_, err := runLink(context.Background(), closedAddr(t), 100*time.Millisecond, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "is a controller listening") {
		t.Fatalf("err = %v", err)
	}
}

func TestIDText(t *testing.T) {
	for id, want := range map[protocol.ID]string{`"ab-1"`: "ab-1", `17`: "17", ``: ""} {
		if got := idText(id); got != want {
			t.Errorf("idText(%s) = %q, want %q", id, got, want)
		}
	}
}
