package bridge

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// fakeSink records what the Core hands over.
type fakeSink struct {
	mu       sync.Mutex
	n        uint64
	targets  []ik.Point
	grippers []float64
	sent     []protocol.Request
	stops    int
	sendErr  error
}

func (s *fakeSink) next() protocol.ID { s.n++; return protocol.NumericID(s.n) }

func (s *fakeSink) SetTarget(p ik.Point, g float64) (protocol.ID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.targets = append(s.targets, p)
	s.grippers = append(s.grippers, g)
	return s.next(), nil
}

func (s *fakeSink) Send(r protocol.Request) (protocol.ID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sendErr != nil {
		return "", s.sendErr
	}
	s.sent = append(s.sent, r)
	return s.next(), nil
}

func (s *fakeSink) Stop() protocol.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stops++
	return s.next()
}

type ackLog struct {
	mu   sync.Mutex
	acks []Ack
}

func (l *ackLog) add(a Ack) { l.mu.Lock(); l.acks = append(l.acks, a); l.mu.Unlock() }

func (l *ackLog) last(t *testing.T) Ack {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.acks) == 0 {
		t.Fatal("no ack published")
	}
	return l.acks[len(l.acks)-1]
}

func newCore(t *testing.T, cfg Config) (*Core, *fakeSink, *ackLog) {
	t.Helper()
	if cfg.Arm.Name == "" {
		cfg.Arm = ik.DefaultModel()
	}
	sink, log := &fakeSink{}, &ackLog{}
	c, err := NewCore(cfg, sink, log.add)
	if err != nil {
		t.Fatal(err)
	}
	return c, sink, log
}

// reachable returns a target (metres) the default arm can reach: FK of home.
func reachable(t *testing.T) ik.Point {
	t.Helper()
	m := ik.DefaultModel()
	p, err := m.FK(m.HomePose())
	if err != nil {
		t.Fatal(err)
	}
	return ik.Point{X: p.X / 1000, Y: p.Y / 1000, Z: p.Z / 1000}
}

func TestTargetConvertsMetresToMillimetres(t *testing.T) {
	c, sink, log := newCore(t, Config{})
	p := reachable(t)
	c.Target("/aether/target", "base_link", p.X, p.Y, p.Z)
	if len(sink.targets) != 1 {
		t.Fatalf("sink got %d targets, want 1", len(sink.targets))
	}
	got := sink.targets[0]
	if math.Abs(got.X-p.X*1000) > 1e-6 || math.Abs(got.Y-p.Y*1000) > 1e-6 || math.Abs(got.Z-p.Z*1000) > 1e-6 {
		t.Fatalf("sent %v, want %v mm", got, p)
	}
	if len(log.acks) != 0 {
		t.Fatalf("no ack expected before the result, got %+v", log.acks)
	}
	c.Result(protocol.NumericID(1), protocol.OK(protocol.NumericID(1), "Command received"), nil, 3*time.Millisecond)
	a := log.last(t)
	if !a.OK || a.Source != "/aether/target" || a.ID != "1" || a.RTT != 3*time.Millisecond || a.Target == nil {
		t.Fatalf("ack = %+v", a)
	}
}

func TestBadTargetsAreRejectedBeforeSending(t *testing.T) {
	p := reachable(t)
	cases := []struct {
		name     string
		frame    string
		x, y, z  float64
		wantCode string
		wantMsg  string
	}{
		{"unknown frame", "camera", p.X, p.Y, p.Z, CodeUnknownFrame, `transform the target into "base_link"`},
		{"NaN", "", math.NaN(), p.Y, p.Z, "out_of_range", "x is NaN"},
		{"+Inf", "", p.X, math.Inf(1), p.Z, "out_of_range", "y is +Inf"},
		{"-Inf", "base_link", p.X, p.Y, math.Inf(-1), "out_of_range", "z is -Inf"},
		{"outside workspace", "", 5, 0, 0.1, "out_of_range", ""},
		{"millimetres by mistake", "", 120, 35.5, 210, "out_of_range", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, sink, log := newCore(t, Config{})
			c.Target("/aether/target", tc.frame, tc.x, tc.y, tc.z)
			if len(sink.targets) != 0 {
				t.Fatalf("a bad target reached the sink: %v", sink.targets)
			}
			a := log.last(t)
			if a.OK || a.Code != tc.wantCode || !strings.Contains(a.Message, tc.wantMsg) || a.Source != "/aether/target" {
				t.Fatalf("ack = %+v, want code %q containing %q", a, tc.wantCode, tc.wantMsg)
			}
		})
	}
}

func TestClampSendsTheNearestReachablePoint(t *testing.T) {
	c, sink, log := newCore(t, Config{Clamp: true})
	c.Target("/aether/target", "", 5, 0, 0.1)
	if len(sink.targets) != 1 {
		t.Fatalf("clamped target not sent (acks %+v)", log.acks)
	}
	if !ik.DefaultModel().Workspace.Contains(sink.targets[0]) {
		t.Fatalf("clamped target %v is outside the workspace", sink.targets[0])
	}
}

func TestGripperIsSentAsAFullCommandAtTheLastPosition(t *testing.T) {
	c, sink, _ := newCore(t, Config{})
	p := reachable(t)
	c.Target("/aether/target", "", p.X, p.Y, p.Z)
	c.Gripper("/aether/gripper", 1)
	if len(sink.sent) != 1 {
		t.Fatalf("sent %d discrete commands, want 1", len(sink.sent))
	}
	r := sink.sent[0]
	if r.Type != protocol.TypeCommand || r.X == nil || r.Y == nil || r.Z == nil || r.Gripper == nil || *r.Gripper != 1 {
		t.Fatalf("gripper request = %+v", r)
	}
	if math.Abs(*r.X-sink.targets[0].X) > 1e-9 {
		t.Fatalf("gripper command at x=%v, want last target x=%v", *r.X, sink.targets[0].X)
	}
	// The next target carries the new gripper state.
	c.Target("/aether/target", "", p.X, p.Y, p.Z)
	if g := sink.grippers[len(sink.grippers)-1]; g != 1 {
		t.Fatalf("next target carries gripper %v, want 1", g)
	}
}

func TestGripperOutOfRangeIsRejected(t *testing.T) {
	for _, v := range []float64{-0.1, 1.5, math.NaN(), math.Inf(1)} {
		c, sink, log := newCore(t, Config{})
		c.Gripper("/aether/gripper", v)
		if len(sink.sent) != 0 {
			t.Fatalf("gripper %v was sent", v)
		}
		if a := log.last(t); a.Code != "out_of_range" || !strings.Contains(a.Message, "0..1") {
			t.Fatalf("gripper %v: ack %+v", v, a)
		}
	}
}

func TestEstopRefusesMotionUntilReleased(t *testing.T) {
	c, sink, log := newCore(t, Config{})
	p := reachable(t)
	c.Estop("/aether/estop", true)
	if sink.stops != 1 {
		t.Fatalf("stops = %d, want 1", sink.stops)
	}
	c.Target("/aether/target", "", p.X, p.Y, p.Z)
	c.Gripper("/aether/gripper", 0)
	if len(sink.targets) != 0 || len(sink.sent) != 0 {
		t.Fatal("motion was sent while the estop was engaged")
	}
	if a := log.last(t); a.Code != "estop" || !strings.Contains(a.Message, "/aether/estop") {
		t.Fatalf("ack = %+v", a)
	}
	c.Estop("/aether/estop", false)
	if len(sink.sent) != 1 || sink.sent[0].Type != protocol.TypeReset {
		t.Fatalf("release sent %+v, want one reset", sink.sent)
	}
	c.Target("/aether/target", "", p.X, p.Y, p.Z)
	if len(sink.targets) != 1 {
		t.Fatal("target after release was not sent")
	}
}

func TestQueueFullIsReportedAndNothingIsTracked(t *testing.T) {
	c, sink, log := newCore(t, Config{})
	sink.sendErr = queueFull{}
	c.Gripper("/aether/gripper", 1)
	if a := log.last(t); a.Code != CodeQueueFull || !strings.Contains(a.Message, "full") {
		t.Fatalf("ack = %+v", a)
	}
	if len(c.pending) != 0 {
		t.Fatalf("a refused command is tracked: %v", c.pending)
	}
}

type queueFull struct{}

func (queueFull) Error() string   { return "queue is full (64 commands): slow down" }
func (queueFull) AckCode() string { return CodeQueueFull }

func TestResultErrorsCarryTheirCode(t *testing.T) {
	c, _, log := newCore(t, Config{})
	c.Home("~/home")
	c.Result(protocol.NumericID(1), protocol.Fail(protocol.NumericID(1), protocol.CodeBusy, "another client holds control"), nil, time.Millisecond)
	if a := log.last(t); a.OK || a.Code != "busy" || a.Source != "~/home" {
		t.Fatalf("ack = %+v", a)
	}
	c.Home("~/home")
	c.Result(protocol.NumericID(2), protocol.Response{}, errors.New("boom"), 0)
	if a := log.last(t); a.Code != "internal" || a.Message != "boom" {
		t.Fatalf("ack = %+v", a)
	}
	// A seed-protocol server's error has no code.
	c.Home("~/home")
	c.Result(protocol.NumericID(3), protocol.Response{Status: "error", Message: "Invalid command"}, nil, 0)
	if a := log.last(t); a.Code != "error" || a.Message != "Invalid command" {
		t.Fatalf("ack = %+v", a)
	}
}

func TestPendingIsBounded(t *testing.T) {
	c, _, _ := newCore(t, Config{MaxPending: 8})
	p := reachable(t)
	for range 100 {
		c.Target("/aether/target", "", p.X, p.Y, p.Z)
	}
	if len(c.pending) > 8 || len(c.order) > 16 {
		t.Fatalf("pending %d, order %d: not bounded", len(c.pending), len(c.order))
	}
}

func TestConfigValidateNamesTheField(t *testing.T) {
	if _, err := NewCore(Config{Arm: ik.DefaultModel(), MaxPending: -1}, &fakeSink{}, func(Ack) {}); err == nil || !strings.Contains(err.Error(), "MaxPending") {
		t.Fatalf("err = %v", err)
	}
	bad := ik.DefaultModel()
	bad.UpperArm = 0
	if _, err := NewCore(Config{Arm: bad}, &fakeSink{}, func(Ack) {}); err == nil || !strings.Contains(err.Error(), "upper_arm") {
		t.Fatalf("err = %v", err)
	}
}

// instantSink answers every command synchronously, before SetTarget/Send
// even return — as a loopback reply can.
type instantSink struct {
	fakeSink
	core *Core
}

func (s *instantSink) SetTarget(p ik.Point, g float64) (protocol.ID, error) {
	id, _ := s.fakeSink.SetTarget(p, g)
	s.core.Result(id, protocol.OK(id, "Command received"), nil, time.Microsecond)
	return id, nil
}

func TestResultBeforeTrackIsNotLost(t *testing.T) {
	sink, log := &instantSink{}, &ackLog{}
	c, err := NewCore(Config{Arm: ik.DefaultModel()}, sink, log.add)
	if err != nil {
		t.Fatal(err)
	}
	sink.core = c
	p := reachable(t)
	c.Target("/aether/target", "", p.X, p.Y, p.Z)
	a := log.last(t)
	if !a.OK || a.Source != "/aether/target" || a.ID != "1" {
		t.Fatalf("ack = %+v: the early result lost its source", a)
	}
	if len(c.pending) != 0 || len(c.early) != 0 {
		t.Fatalf("leftovers: pending %v early %v", c.pending, c.early)
	}
}
