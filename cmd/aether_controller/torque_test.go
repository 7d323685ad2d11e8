//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo/bus/bustest"
	"github.com/aether-lab/aether-bridge/pkg/servo/feetech"
)

// docReply is the reply line docs/protocol.md shows after the request req.
func docReply(t *testing.T, req string) string {
	t.Helper()
	f, err := os.Open("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if sc.Text() == "→ "+req && sc.Scan() {
			if r, ok := strings.CutPrefix(sc.Text(), "← "); ok {
				return r
			}
		}
	}
	t.Fatalf("docs/protocol.md has no example %s", req)
	return ""
}

// raw sends one line and returns the reply line as sent.
func (c *client) raw(line string) string {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(line + "\n")); err != nil {
		c.t.Fatal(err)
	}
	b, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reply to %s: %v", line, err)
	}
	return strings.TrimSuffix(b, "\n")
}

func (c *client) wantDoc(req string) {
	c.t.Helper()
	if got, want := c.raw(req), docReply(c.t, req); got != want {
		c.t.Errorf("%s\n server %s\n   docs %s", req, got, want)
	}
}

// Torque off makes the arm limp and the state follows a hand; torque on
// holds where the hand left it; an overload holds the arm with
// servo_fault until torque on recovers it, at most once per 2 s.
func TestBinaryBusTorqueAndFault(t *testing.T) {
	fb, err := bustest.New(bustest.Feetech, so101IDs, []int{2047, 2047, 2047, 2047, 2047, 2047})
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { fb.Close() })
	p := startBinary(t, "--listen", "127.0.0.1:0", "--arm", "../../config/so101.yaml",
		"--backend", "feetech", "--serial-port", fb.Path())
	c := dial(t, p.addr)
	hello := c.do(`{"type":"hello","version":1,"client":"lab"}`)
	if hello.Server == nil || !strings.Contains(strings.Join(hello.Server.Capabilities, ","), "torque") {
		t.Fatalf("hello %+v lacks the torque capability", hello)
	}
	mon := dial(t, p.addr)
	mon.do(`{"type":"hello","version":1,"role":"monitor"}`)
	if r := mon.do(`{"type":"torque","on":false}`); r.Code != protocol.CodeUnauthorized {
		t.Fatalf("a monitor's torque request: %+v", r)
	}

	c.wantDoc(`{"type":"torque","id":31,"on":true}`)
	testutil.Eventually(t, waitFor, "torque on at the measured pose", func() bool { return fb.Servo(2).Torque() })
	if g, _ := fb.Servo(2).FirstGoal(); g != 2047 {
		t.Fatalf("torque on sent goal %d, want the measured 2047", g)
	}
	other := dial(t, p.addr)
	if r := other.do(`{"type":"torque","on":false}`); r.Code != protocol.CodeBusy {
		t.Fatalf("torque from a client without the lease: %+v", r)
	}

	c.wantDoc(`{"type":"torque","id":30,"on":false}`)
	testutil.Eventually(t, waitFor, "limp", func() bool { return !fb.Servo(2).Torque() })
	fb.Servo(1).SetPosition(ticksForDeg(-60)) // posed by hand
	testutil.Eventually(t, waitFor, "the state to show the hand's pose", func() bool {
		st := c.state()
		return math.Abs(st.Joints[0].Deg+60) < 0.1 && st.Torque == "off" && st.Watchdog == protocol.WatchdogOff
	})
	if r := c.do(`{"type":"torque","id":"again","on":true}`); r.Status != protocol.StatusOK {
		t.Fatalf("torque on after posing by hand: %+v", r)
	}
	testutil.Eventually(t, waitFor, "holding where the hand left it", func() bool {
		return fb.Servo(1).Torque() && fb.Servo(1).Goal() == ticksForDeg(-60)
	})
	c.wantDoc(`{"type":"torque","id":32}`)

	fb.Servo(3).SetFault(bustest.Fault{Flags: feetech.StatusOverload})
	testutil.Eventually(t, waitFor, "the fault in the state", func() bool {
		return strings.Contains(c.state().Fault, `id 3 (joint "elbow_flex") reports overload`)
	})
	c.wantDoc(`{"type":"command","id":34,"x":150,"y":0,"z":200}`)
	if r := c.do(`{"type":"torque","on":true}`); r.Code != protocol.CodeServoFault || !strings.Contains(r.Message, "still faulted") {
		t.Fatalf("torque on while still overloaded: %+v", r)
	}
	if r := c.do(`{"type":"torque","on":true}`); r.Code != protocol.CodeServoFault || !strings.Contains(r.Message, "recovery was tried") {
		t.Fatalf("a second recovery at once: %+v", r)
	}
	fb.Servo(3).SetFault(bustest.Fault{}) // the load is removed
	testutil.Eventually(t, waitFor, "recovery once the rate limit allows", func() bool {
		return c.do(`{"type":"torque","on":true}`).Status == protocol.StatusOK
	})
	st := c.state()
	if st.Fault != "" {
		t.Fatalf("fault still in the state after recovery: %q", st.Fault)
	}
	b, _ := json.Marshal(st.Servos)
	if !strings.Contains(string(b), `"joint":"elbow_flex"`) {
		t.Fatalf("state servos %s", b)
	}
	testutil.Eventually(t, waitFor, "torque back on", func() bool { return fb.Servo(3).Torque() })

	// A joint-space command drives the servos to exactly those angles.
	if r := c.do(`{"type":"command","id":"j","joints":[10,90,-90,0,0]}`); r.Status != protocol.StatusOK {
		t.Fatalf("joints command: %+v", r)
	}
	testutil.Eventually(t, waitFor, "shoulder_pan at 10°", func() bool {
		return abs(fb.Servo(1).Goal()-ticksForDeg(10)) <= 1 && math.Abs(c.state().Joints[0].Deg-10) < 0.1
	})
}

// Without bus servos the torque request is refused with what to use.
func TestBinaryTorqueNeedsBusServos(t *testing.T) {
	p := startBinary(t, "--listen", "127.0.0.1:0", "--backend", "sim")
	dial(t, p.addr).wantDoc(`{"type":"torque","id":33,"on":false}`)
}
