package controller

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// TestMotionQualityStream is make bench's motion-quality phase (issue 11
// item 8), not a check: with AETHER_MOTIONQ_STREAM naming a stream written
// by bench/motionq.py, it sends every sample as a command at its time, on
// the fake clock at 100 Hz servo ticks, over loopback TCP, and writes the
// state after every tick to AETHER_MOTIONQ_OUT, one JSON line per tick.
// bench/motionq.py turns that into the figures. Skipped otherwise.
func TestMotionQualityStream(t *testing.T) {
	in, out := os.Getenv("AETHER_MOTIONQ_STREAM"), os.Getenv("AETHER_MOTIONQ_OUT")
	if in == "" || out == "" {
		t.Skip("bench only: set AETHER_MOTIONQ_STREAM and AETHER_MOTIONQ_OUT (bench/motionq.py)")
	}
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var stream struct {
		Samples []struct {
			TMS     float64 `json:"t_ms"`
			X, Y, Z float64
		} `json:"samples"`
	}
	if err := json.Unmarshal(data, &stream); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := newHarness(t, Config{Watchdog: time.Hour, TickHz: 100})
	c := h.dial()
	wantOK(t, c.do(`{"type":"hello","version":1,"client":"motionq"}`), "hello motionq, role control")
	start := h.clk.Now()
	end := time.Duration(stream.Samples[len(stream.Samples)-1].TMS*float64(time.Millisecond)) + time.Second
	enc := json.NewEncoder(f)
	next, refused := 0, 0
	for h.clk.Now().Sub(start) < end {
		for next < len(stream.Samples) && time.Duration(stream.Samples[next].TMS*float64(time.Millisecond)) <= h.clk.Now().Sub(start) {
			s := stream.Samples[next]
			if r := c.do(fmt.Sprintf(`{"type":"command","x":%g,"y":%g,"z":%g}`, s.X, s.Y, s.Z)); r.Status != protocol.StatusOK {
				refused++
			}
			next++
		}
		h.step(1)
		st := h.srv.State()
		enc.Encode(map[string]any{
			"t_ms":   float64(h.clk.Now().Sub(start)) / float64(time.Millisecond),
			"pose":   []float64{st.Pose.X, st.Pose.Y, st.Pose.Z},
			"joints": jointsDeg(st),
		})
	}
	t.Logf("%d samples sent, %d refused", next, refused)
}
