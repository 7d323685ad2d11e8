package controller

import (
	"math"
	"testing"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// A joint-space command: the documented replies, and the arm then moves
// to exactly those angles through the trajectory generator.
func TestJointsCommand(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial()
	for _, req := range []string{
		`{"type":"command","id":41,"joints":[0,90,-90]}`,
		`{"type":"command","id":42,"joints":[120,90,-90,-90,0]}`,
		`{"type":"command","id":43,"x":120,"y":0,"z":130,"joints":[0,90,-90,-90,0]}`,
		`{"type":"command","id":44,"joints":[0,90,-90,"up",0]}`,
		`{"type":"command","id":40,"joints":[0,90,-90,-90,0]}`,
	} {
		c.send(req)
		if got, want := c.recvRaw(), docReply(t, req, 0); got != want {
			t.Errorf("%s\n server %s\n   docs %s", req, got, want)
		}
	}
	want := []float64{0, 90, -90, -90, 0}
	h.stepUntil(2000, "the arm at the commanded joint angles", func(st protocol.State) bool {
		for i, j := range st.Joints {
			if math.Abs(j.Deg-want[i]) > 0.01 {
				return false
			}
		}
		return !st.Moving
	})
	// Out of the workspace box although every joint is within its limits:
	// the tool would be below the table.
	c.send(`{"type":"command","id":45,"joints":[0,0,-90,0,0]}`)
	if r := c.recv(); r.Code != protocol.CodeOutOfRange {
		t.Fatalf("tool below the workspace: %+v", r)
	}
}

// A planner holding a pose in joint space sends the same joint angles over
// and over. The deadband settles the stream, but it must settle on those
// angles: not on the wrist pitch and roll the wrist policy would pick for
// that tool point, which the operator never sent.
func TestJointsStreamHeldStaysOnItsAngles(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial()
	want := []float64{0, 90, -90, -60, 30} // pitch and roll of the planner's choosing
	// 1.2 s at 25 Hz: far past the deadband's settle time.
	for range 30 {
		wantOK(t, c.do(`{"type":"command","joints":[0,90,-90,-60,30]}`), protocol.MessageCommandReceived)
		h.step(2)
	}
	h.stepUntil(2000, "the arm at rest", func(st protocol.State) bool { return !st.Moving })
	if got := jointsDeg(h.srv.State()); !sameJoints(got, want, 0.01) {
		t.Fatalf("a held joint-space stream settled at %v, want the angles sent %v", got, want)
	}
}
