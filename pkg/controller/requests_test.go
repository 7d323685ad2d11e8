package controller

import (
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

func TestSeedLineByteForByte(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial()
	c.send(seedLine)
	if got, want := c.recvRaw(), `{"status":"ok","message":"Command received"}`; got != want {
		t.Fatalf("seed reply\n got %s\nwant %s", got, want)
	}
	// The seed client holds control and the arm starts moving to the target.
	h.step(1)
	st := h.srv.State()
	if st.Watchdog != protocol.WatchdogOK || !st.Moving || st.Control != c.conn.LocalAddr().String() {
		t.Fatalf("after the seed command: %+v", st)
	}
	if h.sim.Released() || h.sim.Writes() == 0 {
		t.Fatal("servos not driven after an accepted command")
	}
}

// TestRequestTypes sends each request type once on one connection.
func TestRequestTypes(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial()
	arm := armfile.Default()
	tests := []struct {
		line  string
		check func(t *testing.T, r protocol.Response)
	}{
		{`{"type":"ping","id":42}`, func(t *testing.T, r protocol.Response) {
			wantOK(t, r, "pong")
			if r.Type != protocol.TypePong || r.ID != "42" {
				t.Fatalf("ping reply %+v", r)
			}
		}},
		{`{"type":"hello","id":1,"version":1,"client":"aether_bridge","role":"control"}`, func(t *testing.T, r protocol.Response) {
			wantOK(t, r, "hello aether_bridge, role control")
			s := r.Server
			if r.Type != protocol.TypeHello || r.ID != "1" || s == nil {
				t.Fatalf("hello reply %+v", r)
			}
			if s.Protocol != 1 || s.Name != ServerName || s.Arm != arm.Name || s.ArmHash != arm.Hash() {
				t.Fatalf("server info %+v", s)
			}
			if len(s.Joints) != len(arm.Kinematics.Joints) || s.Joints[2].Name != "elbow_pitch" || s.Joints[2].MinDeg != -90 || s.Joints[2].MaxDeg != 15 {
				t.Fatalf("joints %+v: want the limits the servos allow (elbow -90..15)", s.Joints)
			}
			if strings.Join(s.Capabilities, ",") != "subscribe,ttl_ms,dedupe_ids,rate_hz,servo" {
				t.Fatalf("capabilities %v", s.Capabilities)
			}
		}},
		{`{"type":"command","id":7,"x":150,"y":-20,"z":180,"gripper":0.5,"ttl_ms":200}`, func(t *testing.T, r protocol.Response) {
			wantOK(t, r, protocol.MessageCommandReceived)
			if r.ID != "7" || r.Type != "" {
				t.Fatalf("command reply %+v", r)
			}
		}},
		{`{"type":"status","id":5}`, func(t *testing.T, r protocol.Response) {
			wantOK(t, r, "status")
			st := r.State
			if r.Type != protocol.TypeStatus || r.ID != "5" || st == nil {
				t.Fatalf("status reply %+v", r)
			}
			if len(st.Joints) != 5 || st.LastID != "7" || st.Control != "aether_bridge" || st.Watchdog != protocol.WatchdogOK || st.TimeMS != t0.UnixMilli() {
				t.Fatalf("state %+v", st)
			}
		}},
		{`{"type":"stop","id":"estop-1"}`, func(t *testing.T, r protocol.Response) {
			wantOK(t, r, "Stopped")
			if r.ID != `"estop-1"` {
				t.Fatalf("stop reply id %s", r.ID)
			}
		}},
		{`{"type":"command","id":12,"x":120,"y":35.5,"z":210}`, func(t *testing.T, r protocol.Response) {
			wantCode(t, r, protocol.CodeEstop, "send reset first")
		}},
		{`{"type":"reset","id":3}`, func(t *testing.T, r protocol.Response) { wantOK(t, r, "Reset") }},
		{`{"type":"home"}`, func(t *testing.T, r protocol.Response) { wantOK(t, r, "Homing") }},
		{`{"type":"subscribe","id":6}`, func(t *testing.T, r protocol.Response) { wantOK(t, r, "Subscribed") }},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			c.send(tc.line)
			tc.check(t, c.recvReply())
		})
	}
	// After subscribe, the current state is pushed once.
	ev := c.recv()
	if ev.Type != protocol.TypeEvent || ev.Message != "state" || ev.State == nil || !ev.ID.IsZero() {
		t.Fatalf("first event %+v", ev)
	}
}

// TestBadLines: every kind of bad input gets its code, never moves the
// arm and leaves the connection usable.
func TestBadLines(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial()
	tests := []struct {
		line string
		code protocol.Code
		id   protocol.ID
		msg  []string
	}{
		{`{"type":"command","x":120,`, protocol.CodeInvalidJSON, "", []string{"not valid JSON"}},
		{`[1,2,3]`, protocol.CodeInvalidJSON, "", []string{"JSON object"}},
		{`hello`, protocol.CodeInvalidJSON, "", nil},
		{`{"type":"dance"}`, protocol.CodeInvalidCommand, "", []string{"command, hello, ping"}},
		{`{"x":1}`, protocol.CodeInvalidCommand, "", []string{`missing field "type"`}},
		{`{"type":"command","x":120,"y":35.5}`, protocol.CodeMissingField, "", []string{`"z"`}},
		{`{"type":"command","id":"a","x":"120","y":35.5,"z":210}`, protocol.CodeBadType, `"a"`, []string{`"x"`, "string"}},
		{`{"type":"command","x":120,"y":35.5,"z":210,"gripper":"half"}`, protocol.CodeBadType, "", []string{"gripper"}},
		{`{"type":"ping","id":2.5}`, protocol.CodeBadType, "", []string{`"id"`}},
		{`{"type":"command","id":4,"x":1e999,"y":0,"z":0}`, protocol.CodeOutOfRange, "4", []string{"1e999"}},
		{`{"type":"command","x":120,"y":35.5,"z":210,"gripper":1.5}`, protocol.CodeOutOfRange, "", []string{"0 (open) to 1 (closed)"}},
		{`{"type":"command","x":120,"y":35.5,"z":210,"ttl_ms":0}`, protocol.CodeOutOfRange, "", []string{"ttl_ms"}},
		{`{"type":"command","id":9,"x":900,"y":0,"z":0}`, protocol.CodeOutOfRange, "9", []string{"x = 900.0 mm", "workspace"}},
		{`{"type":"command","id":10,"x":280,"y":250,"z":320}`, protocol.CodeUnreachable, "10", []string{"out of reach"}},
		{`{"type":"command","id":11,"x":0,"y":0,"z":20}`, protocol.CodeJointLimit, "11", []string{"elbow_pitch"}},
		{`{"type":"hello","version":2}`, protocol.CodeUnsupportedVersion, "", []string{"version 1"}},
		{`{"type":"hello","version":1,"role":"admin"}`, protocol.CodeInvalidCommand, "", []string{"role"}},
		{`{"type":"hello","client":"dashboard"}`, protocol.CodeMissingField, "", []string{"version"}},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			r := c.do(tc.line)
			wantCode(t, r, tc.code, tc.msg...)
			if r.ID != tc.id {
				t.Fatalf("reply id %q, want %q", r.ID, tc.id)
			}
			wantOK(t, c.do(`{"type":"ping"}`), "pong") // connection still works
		})
	}
	h.step(10)
	st := h.srv.State()
	if st.Watchdog != protocol.WatchdogOff || st.Moving || st.Control != "" || st.LastID != "" || h.sim.Writes() != 0 || !h.sim.Released() {
		t.Fatalf("bad lines moved the arm or took control: state %+v, servo writes %d", st, h.sim.Writes())
	}
}

func TestLineTooLongKeepsConnection(t *testing.T) {
	h := newHarness(t, Config{MaxLine: 1024})
	c := h.dial()
	c.send(`{"type":"ping","pad":"` + strings.Repeat("x", 2000) + `"}`)
	wantCode(t, c.recv(), protocol.CodeLineTooLong, "1024 bytes")
	wantOK(t, c.do(`{"type":"ping"}`), "pong")
	c.send(seedLine)
	wantOK(t, c.recv(), protocol.MessageCommandReceived)
}

func TestBadLineFloodCloses(t *testing.T) {
	h := newHarness(t, Config{MaxBadLines: 5})
	c := h.dial()
	for range 5 {
		wantCode(t, c.do(`{"type":"dance"}`), protocol.CodeInvalidCommand)
	}
	c.send(`{"type":"dance"}`)
	wantCode(t, c.recv(), protocol.CodeInvalidCommand)
	wantCode(t, c.recv(), protocol.CodeBusy, "invalid lines per second")
	c.expectEOF()
	// The budget is per connection: the server still serves others.
	wantOK(t, h.dial().do(`{"type":"ping"}`), "pong")
}

func TestLineFloodCloses(t *testing.T) {
	h := newHarness(t, Config{MaxLineRate: 10})
	c := h.dial()
	for range 10 {
		wantOK(t, c.do(`{"type":"ping"}`), "pong")
	}
	h.clk.Advance(500 * time.Millisecond) // refills 5
	for range 5 {
		wantOK(t, c.do(`{"type":"ping"}`), "pong")
	}
	c.send(`{"type":"ping"}`)
	wantCode(t, c.recv(), protocol.CodeBusy, "lines per second")
	c.expectEOF()
}
