//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo/bus/bustest"
	"github.com/aether-lab/aether-bridge/pkg/servo/dynamixel"
)

var so101IDs = []byte{1, 2, 3, 4, 5, 6}

// client is a line-oriented protocol client.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, waitFor)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(waitFor))
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// do sends one request line and decodes the reply.
func (c *client) do(line string) protocol.Response {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\n"); err != nil {
		c.t.Fatal(err)
	}
	b, err := c.r.ReadBytes('\n')
	if err != nil {
		c.t.Fatalf("reply to %s: %v", line, err)
	}
	var r protocol.Response
	if err := json.Unmarshal(b, &r); err != nil {
		c.t.Fatalf("reply %q: %v", b, err)
	}
	return r
}

func (c *client) state() protocol.State {
	c.t.Helper()
	r := c.do(`{"type":"status"}`)
	if r.State == nil {
		c.t.Fatalf("status reply without state: %+v", r)
	}
	return *r.State
}

func ticksForDeg(deg float64) int { return 2047 + int(math.Round(deg*4096/360)) }

var busMakes = []struct {
	backend string
	make    bustest.Make
}{{"feetech", bustest.Feetech}, {"dynamixel", bustest.Dynamixel}}

// Power-on with an SO-101 resting away from its park pose: the controller
// reports the measured pose, leaves the arm limp, and its first goal is the
// measured pose (one tick of motion at most), never zero or park.
func TestBinaryBusSafeStartAndMeasuredState(t *testing.T) {
	for _, mk := range busMakes {
		t.Run(mk.backend, func(t *testing.T) {
			pos := []int{ticksForDeg(45), 2047, 2047, ticksForDeg(-30), 2047, 2500}
			fb, err := bustest.New(mk.make, so101IDs, pos)
			if err != nil {
				t.Skip(err)
			}
			t.Cleanup(func() { fb.Close() }) // after the controller is killed
			p := startBinary(t, "--listen", "127.0.0.1:0", "--arm", "../../config/so101.yaml",
				"--backend", mk.backend, "--serial-port", fb.Path())
			c := dial(t, p.addr)
			st := c.state()
			if st.Feedback != protocol.FeedbackMeasured || st.Torque != "off" {
				t.Fatalf("state feedback %q torque %q, want measured, off", st.Feedback, st.Torque)
			}
			if d := st.Joints[0].Deg; math.Abs(d-45) > 0.1 {
				t.Fatalf("measured shoulder_pan %v°, want 45°", d)
			}
			if d := st.Joints[3].Deg; math.Abs(d+30) > 0.1 {
				t.Fatalf("measured wrist_flex %v°, want -30°", d)
			}
			for _, id := range so101IDs {
				if fb.Servo(id).Torque() {
					t.Fatalf("id %d has torque on before any command", id)
				}
			}
			// A limp arm moved by hand is followed.
			fb.Servo(1).SetPosition(ticksForDeg(30))
			testutil.Eventually(t, waitFor, "the state to follow the hand move", func() bool {
				return math.Abs(c.state().Joints[0].Deg-30) < 0.1
			})
			if r := c.do(`{"type":"command","x":150,"y":0,"z":200}`); r.Status != protocol.StatusOK {
				t.Fatalf("command: %+v", r)
			}
			testutil.Eventually(t, waitFor, "torque on", func() bool { return fb.Servo(1).Torque() })
			for i, id := range so101IDs {
				first, ok := fb.Servo(id).FirstGoal()
				want := pos[i]
				if id == 1 {
					want = ticksForDeg(30)
				}
				if !ok || abs(first-want) > 25 { // 90°/s for one 20 ms tick is 20 ticks
					t.Errorf("id %d: first goal %d (sent %v), want within 25 ticks of the measured %d", id, first, ok, want)
				}
			}
			testutil.Eventually(t, waitFor, "the state to say torque on, with commanded joints", func() bool {
				st := c.state()
				return st.Torque == "on" && len(st.Commanded) == 5
			})
		})
	}
}

func abs(v int) int { return max(v, -v) }

// A servo missing from the bus: the controller refuses to start, names the
// id and joint, and never switches torque on.
func TestBinaryBusMissingIDRefusesToStart(t *testing.T) {
	bin := buildBinary(t)
	for _, mk := range busMakes {
		t.Run(mk.backend, func(t *testing.T) {
			fb, err := bustest.New(mk.make, so101IDs, []int{2047, 2047, 2047, 2047, 2047, 2047})
			if err != nil {
				t.Skip(err)
			}
			t.Cleanup(func() { fb.Close() }) // after the controller is killed
			fb.Remove(3)
			if mk.make == bustest.Dynamixel {
				fb.Servo(5).Set(dynamixel.AddrOperatingMode, dynamixel.ModeExtendedPos)
			}
			out, err := exec.Command(bin, "--listen", "127.0.0.1:0", "--arm", "../../config/so101.yaml",
				"--backend", mk.backend, "--serial-port", fb.Path()).CombinedOutput()
			if err == nil {
				t.Fatalf("controller started with id 3 missing:\n%s", out)
			}
			want := []string{`id 3 (joint "elbow_flex"): no position read`, "torque stays off"}
			if mk.make == bustest.Dynamixel {
				want = append(want, `id 5 (joint "wrist_roll"): operating mode (address 11) is 4, extended position (multi-turn)`)
			}
			for _, w := range want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, id := range fb.IDs() {
				if fb.Servo(id).Torque() {
					t.Errorf("id %d has torque on", id)
				}
			}
			if n := strings.Count(string(out), "\n"); n != 1 {
				t.Errorf("want one line of output, got %d:\n%s", n, out)
			}
		})
	}
}
