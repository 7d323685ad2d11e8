package controller

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// servoResp is a reply with the servo payload.
type servoResp struct {
	protocol.Response
	Calibration *ServoReport `json:"calibration"`
}

func (c *client) doServo(line string) servoResp {
	c.t.Helper()
	c.send(line)
	for {
		raw := c.recvRaw()
		var r servoResp
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			c.t.Fatalf("decode %s: %v", raw, err)
		}
		if r.Type != protocol.TypeEvent {
			return r
		}
	}
}

// parkPulses are the pulses the default arm's servos get at the park pose.
func parkPulses(t *testing.T) map[int]int {
	t.Helper()
	arm := armfile.Default()
	park, _ := arm.ParkPose()
	ext, err := arm.Kinematics.ToExternal(park)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for i, c := range arm.Servos {
		v := 0.0 // gripper open
		if !c.IsGripper() {
			v = ext[i]
		}
		us, err := c.PulseUS(v)
		if err != nil {
			t.Fatal(err)
		}
		out[c.Channel] = us
	}
	return out
}

func TestServoList(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial()
	r := c.doServo(`{"type":"servo","id":1}`)
	if r.Status != protocol.StatusOK || r.Type != TypeServo || r.ID != "1" || r.Calibration == nil {
		t.Fatalf("list reply %+v", r)
	}
	rep := r.Calibration
	if rep.MaxStepUS != DefaultMaxPulseStepUS || rep.MinPulseUS != servo.MinPulseUS || rep.MaxPulseUS != servo.MaxPulseUS {
		t.Fatalf("report bounds %+v", rep)
	}
	arm := armfile.Default()
	want := parkPulses(t)
	if len(rep.Servos) != len(arm.Servos) {
		t.Fatalf("%d servos listed, want %d", len(rep.Servos), len(arm.Servos))
	}
	for i, s := range rep.Servos {
		c := arm.Servos[i]
		if s.Joint != c.Joint || s.Channel != c.Channel || s.PulseUS != want[c.Channel] || s.Raw ||
			s.PulseMinUS != c.PulseMinUS || s.PulseMaxUS != c.PulseMaxUS || s.AngleMinDeg != c.AngleMinDeg ||
			s.AngleMaxDeg != c.AngleMaxDeg || s.Direction != 1 || s.OffsetDeg != c.OffsetDeg {
			t.Errorf("servo %d: %+v, want %+v at %d µs", i, s, c, want[c.Channel])
		}
	}
	// Listing takes no lease and moves nothing.
	if st := h.srv.State(); st.Control != "" || h.sim.Writes() != 0 || len(h.sim.RawPulses()) != 0 {
		t.Fatalf("a list changed something: %+v, %d writes", st, h.sim.Writes())
	}
	// Monitors may list.
	m := h.dial()
	wantOK(t, m.do(`{"type":"hello","version":1,"role":"monitor"}`), "hello "+m.conn.LocalAddr().String()+", role monitor")
	if r := m.doServo(`{"type":"servo"}`); r.Status != protocol.StatusOK || len(r.Calibration.Servos) != len(arm.Servos) {
		t.Fatalf("monitor list %+v", r)
	}
}

func TestServoStepByStep(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	c := h.dial()
	p0 := parkPulses(t)[0] // base_yaw
	before := jointsDeg(h.srv.State())

	r := c.doServo(fmt.Sprintf(`{"type":"servo","id":2,"channel":0,"pulse_us":%d}`, p0+50))
	if r.Status != protocol.StatusOK || r.Type != TypeServo || r.ID != "2" || r.Message != fmt.Sprintf("servo on channel 0 (base_yaw) at %d µs", p0+50) {
		t.Fatalf("step reply %+v", r)
	}
	if s := r.Calibration.Servos; len(s) != 1 || s[0].Channel != 0 || s[0].PulseUS != p0+50 || !s[0].Raw {
		t.Fatalf("step report %+v", r.Calibration)
	}
	if got := h.sim.RawPulses(); len(got) != 1 || got[0] != p0+50 {
		t.Fatalf("sim raw pulses %v, want channel 0 at %d", got, p0+50)
	}
	st := h.srv.State()
	if st.Control == "" || st.Watchdog != protocol.WatchdogOK {
		t.Fatalf("after a servo step: %+v, want the lease taken and the watchdog ok", st)
	}
	// 50 µs of a 2000 µs span over 180° is 4.5°, followed by the model.
	if d := jointsDeg(st)[0] - before[0]; !near(d, 4.5, 1e-3) {
		t.Fatalf("base moved %.3f° in the state, want 4.5°", d)
	}
	// Ticks do not overwrite the raw pulse with a calibrated pose.
	writes := h.sim.Writes()
	h.step(5)
	if h.sim.Writes() != writes || h.sim.RawPulses()[0] != p0+50 {
		t.Fatalf("the motion loop wrote calibrated poses while calibrating (%d → %d writes)", writes, h.sim.Writes())
	}

	// More than MaxPulseStepUS from the last pulse is refused; the servo stays.
	wantCode(t, c.do(fmt.Sprintf(`{"type":"servo","id":3,"channel":0,"pulse_us":%d}`, p0+101)), protocol.CodeOutOfRange,
		fmt.Sprintf("pulse %d µs is 51 µs away from channel 0's %d µs", p0+101, p0+50), "at most 50 µs", fmt.Sprintf("next: %d", p0+100))
	wantCode(t, c.do(fmt.Sprintf(`{"type":"servo","channel":0,"pulse_us":%d}`, p0-1)), protocol.CodeOutOfRange, fmt.Sprintf("next: %d", p0))
	if got := h.sim.RawPulses()[0]; got != p0+50 {
		t.Fatalf("a refused step moved the servo to %d µs", got)
	}
	// Step by step beyond the calibrated maximum (2500 µs) is allowed.
	for p := p0 + 100; p <= 2600; p += 50 {
		if r := c.doServo(fmt.Sprintf(`{"type":"servo","channel":0,"pulse_us":%d}`, p)); r.Status != protocol.StatusOK {
			t.Fatalf("step to %d µs: %+v", p, r)
		}
	}
	_, hi := h.srv.arm.Limits()
	if got := jointsDeg(h.srv.State())[0]; !near(got, hi[0]*180/math.Pi, 1e-3) {
		t.Fatalf("state shows base at %.3f° past its limit, want it clamped at %.3f°", got, hi[0]*180/math.Pi)
	}
	// Other servos have their own reference: the gripper starts from open.
	grip := parkPulses(t)[5]
	if r := c.doServo(fmt.Sprintf(`{"type":"servo","channel":5,"pulse_us":%d}`, grip+40)); r.Status != protocol.StatusOK {
		t.Fatalf("gripper step: %+v", r)
	}
	if r := c.doServo(`{"type":"servo"}`); r.Calibration.Servos[0].PulseUS != 2600 || !r.Calibration.Servos[0].Raw || r.Calibration.Servos[1].Raw {
		t.Fatalf("list while calibrating %+v", r.Calibration.Servos)
	}

	// A command returns to calibrated motion from where the model is.
	wantOK(t, c.do(`{"type":"command","x":150,"y":0,"z":150}`), protocol.MessageCommandReceived)
	h.step(1)
	if len(h.sim.RawPulses()) != 0 || h.sim.Writes() != writes+1 {
		t.Fatalf("after a command: raw pulses %v, writes %d, want calibrated writes again", h.sim.RawPulses(), h.sim.Writes())
	}
	if r := c.doServo(`{"type":"servo"}`); r.Calibration.Servos[0].Raw {
		t.Fatal("still raw after a command")
	}
}

func TestServoStopStillHalts(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	c := h.dial()
	p0 := parkPulses(t)[1]
	line := func(us int) string { return fmt.Sprintf(`{"type":"servo","channel":1,"pulse_us":%d}`, us) }
	if r := c.doServo(line(p0 + 30)); r.Status != protocol.StatusOK {
		t.Fatal(r)
	}
	other := h.dial() // stop needs no lease
	wantOK(t, other.do(`{"type":"stop"}`), "Stopped")
	wantCode(t, c.do(line(p0+60)), protocol.CodeEstop, "send reset first, then move the servo")
	if got := h.sim.RawPulses()[1]; got != p0+30 {
		t.Fatalf("servo at %d µs after stop, want it held at %d", got, p0+30)
	}
	h.step(3)
	if got := h.sim.RawPulses()[1]; got != p0+30 || !h.srv.State().Estopped {
		t.Fatalf("stop during calibration: servo %d µs, state %+v", got, h.srv.State())
	}
	// The stopper resets the latch; calibration goes on.
	wantOK(t, other.do(`{"type":"reset"}`), "Reset")
	if r := c.doServo(line(p0 + 60)); r.Status != protocol.StatusOK {
		t.Fatalf("servo after reset: %+v", r)
	}
	// home leaves calibration.
	wantOK(t, c.do(`{"type":"home"}`), "Homing")
	h.step(1)
	if len(h.sim.RawPulses()) != 0 {
		t.Fatalf("raw pulses %v after home", h.sim.RawPulses())
	}
}

func TestServoWatchdogReleases(t *testing.T) {
	cfg := Config{Watchdog: 500 * time.Millisecond, ParkAfter: time.Second}
	h := newHarness(t, cfg)
	c := h.dial()
	if r := c.doServo(fmt.Sprintf(`{"type":"servo","channel":2,"pulse_us":%d}`, parkPulses(t)[2]+10)); r.Status != protocol.StatusOK {
		t.Fatal(r)
	}
	h.stepUntil(100, "hold", func(st protocol.State) bool { return st.Watchdog == protocol.WatchdogHold })
	h.stepUntil(100, "off", func(st protocol.State) bool { return st.Watchdog == protocol.WatchdogOff })
	if got := h.clk.Now().Sub(t0); got != cfg.Watchdog+cfg.ParkAfter {
		t.Fatalf("pulses off after %v, want %v (no parking from a raw pulse)", got, cfg.Watchdog+cfg.ParkAfter)
	}
	if !h.sim.Released() || h.sim.Writes() != 0 {
		t.Fatalf("sim released=%v writes=%d, want released without a calibrated write", h.sim.Released(), h.sim.Writes())
	}
	if !strings.Contains(h.logs.String(), "while calibrating: servo pulses off") {
		t.Error("the log does not say why the pulses went off")
	}
}

func TestServoRefusals(t *testing.T) {
	h := newHarness(t, Config{Token: "s3cret"})
	holder := h.dial()
	wantOK(t, holder.do(`{"type":"hello","version":1,"client":"bridge","token":"s3cret"}`), "hello bridge, role control")
	wantOK(t, holder.do(`{"type":"command","x":150,"y":0,"z":150}`), protocol.MessageCommandReceived)
	p0 := parkPulses(t)[0]

	c := h.dial()
	wantCode(t, c.do(`{"type":"servo"}`), protocol.CodeUnauthorized, "not authenticated")
	wantOK(t, c.do(`{"type":"hello","version":1,"client":"panel","token":"s3cret"}`), "hello panel, role control")
	tests := []struct {
		line string
		code protocol.Code
		msg  string
	}{
		{fmt.Sprintf(`{"type":"servo","channel":0,"pulse_us":%d}`, p0), protocol.CodeBusy, "another client holds control (bridge at"},
		{`{"type":"servo","channel":0}`, protocol.CodeMissingField, `missing field "pulse_us"`},
		{`{"type":"servo","pulse_us":1500}`, protocol.CodeMissingField, `missing field "channel"`},
		{`{"type":"servo","channel":"0","pulse_us":1500}`, protocol.CodeBadType, `field "channel" must be a whole number, a servo board channel, got "0"`},
		{`{"type":"servo","channel":0,"pulse_us":1500.5}`, protocol.CodeBadType, `field "pulse_us" must be a whole number`},
		{`{"type":"servo","channel":0,"pulse_us":true}`, protocol.CodeBadType, `field "pulse_us"`},
		{`{"type":"servo","channel":-1,"pulse_us":1500}`, protocol.CodeOutOfRange, `field "channel" is -1: use a servo board channel from 0 to 127`},
		{`{"type":"servo","channel":0,"pulse_us":5000}`, protocol.CodeOutOfRange, `field "pulse_us" is 5000: use a pulse width in µs from 100 to 4000`},
		{`{"type":"servo","channel":0,"pulse_us":1e999}`, protocol.CodeOutOfRange, `field "pulse_us" is 1e999`},
		{`{"type":"servo","channel":0,"pulse_us":99}`, protocol.CodeOutOfRange, `from 100 to 4000`},
		{`{"type":"servo","x":"a"}`, protocol.CodeBadType, `field "x" must be a number of millimetres`},
		{`{"type":"servo","id":1.5}`, protocol.CodeBadType, `field "id"`},
	}
	for _, tc := range tests {
		wantCode(t, c.do(tc.line), tc.code, tc.msg)
	}
	holder.conn.Close() // frees the lease
	eventually(t, "lease freed", func() bool { return h.srv.State().Control == "" })
	wantCode(t, c.do(`{"type":"servo","channel":9,"pulse_us":1500}`), protocol.CodeOutOfRange,
		"channel 9 drives no servo of this arm: use one of 0 (base_yaw), 1 (shoulder_pitch)", "5 (gripper)")
	if st := h.srv.State(); st.Control != "" {
		t.Fatalf("a refused servo request took the lease: %+v", st)
	}
	m := h.dial()
	wantOK(t, m.do(`{"type":"hello","version":1,"role":"monitor","token":"s3cret"}`), "hello "+m.conn.LocalAddr().String()+", role monitor")
	wantCode(t, m.do(fmt.Sprintf(`{"type":"servo","channel":0,"pulse_us":%d}`, p0)), protocol.CodeUnauthorized, "a monitor may not send servo")
	if len(h.sim.RawPulses()) != 0 {
		t.Fatalf("refused requests moved servos: %v", h.sim.RawPulses())
	}
	// Unknown types still list the protocol's types.
	wantCode(t, c.do(`{"type":"servos"}`), protocol.CodeInvalidCommand, `unknown type "servos"`)
}

// plainBackend hides the sim's PulseWriter.
type plainBackend struct{ servo.Backend }

func TestServoWithoutPulseWriter(t *testing.T) {
	arm := armfile.Default()
	h := newHarness(t, Config{})
	srv, err := New(Config{Logger: h.srv.log}, arm, plainBackend{h.sim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() }) // after the pipe is closed
	if strings.Contains(strings.Join(srv.info.Capabilities, ","), CapabilityServo) {
		t.Fatalf("capabilities %v offer servo without a PulseWriter", srv.info.Capabilities)
	}
	c := &client{t: t}
	c.conn, c.r = pipeConn(t, srv)
	wantCode(t, c.do(`{"type":"servo","channel":0,"pulse_us":1500}`), protocol.CodeInvalidCommand, "cannot set raw pulses")
	if r := c.doServo(`{"type":"servo"}`); r.Status != protocol.StatusOK || len(r.Calibration.Servos) != len(arm.Servos) {
		t.Fatalf("list without a PulseWriter: %+v", r)
	}
}
