package bridge

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// fakeSink records what the Core hands over. It reports itself connected
// when started.
type fakeSink struct {
	mu      sync.Mutex
	n       uint64
	ev      Events
	targets []ik.Point
	sent    []Command
	stops   int
	refresh int
	sendErr error
}

func (s *fakeSink) next() protocol.ID { s.n++; return protocol.NumericID(s.n) }

func (s *fakeSink) Start(ev Events) error {
	s.ev = ev
	ev.LinkState(link.StateChange{State: link.StateConnected})
	return nil
}

func (s *fakeSink) Close() error { return nil }

func (s *fakeSink) Refresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh++
}

func (s *fakeSink) SetTarget(t Target) (protocol.ID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.targets = append(s.targets, t.Point)
	return s.next(), nil
}

func (s *fakeSink) Send(c Command) (protocol.ID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sendErr != nil {
		return "", s.sendErr
	}
	s.sent = append(s.sent, c)
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
	c, err := NewCore(cfg, sink, Outputs{Ack: log.add})
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
	if *a.Target != p {
		t.Fatalf("ack target %v, want %v in metres", *a.Target, p)
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
		{"unknown frame", "camera", p.X, p.Y, p.Z, string(protocol.CodeUnknownFrame), `transform the target into "base_link"`},
		{"NaN", "", math.NaN(), p.Y, p.Z, "out_of_range", "x is NaN"},
		{"+Inf", "", p.X, math.Inf(1), p.Z, "out_of_range", "y is +Inf"},
		{"-Inf", "base_link", p.X, p.Y, math.Inf(-1), "out_of_range", "z is -Inf"},
		{"outside workspace", "", 5, 0, 0.1, "out_of_range", "x = 5 m is above the workspace maximum"},
		{"millimetres by mistake", "", 120, 35.5, 210, "out_of_range", "x = 120 m is above the workspace maximum"},
		// 1e308 m is +Inf in mm: the ack names the value sent and the limit, in metres
		{"x = 1e308 m", "", 1e308, p.Y, p.Z, "out_of_range", "x = 1e+308 m is above the workspace maximum 0."},
		{"z = -1e308 m", "", p.X, p.Y, -1e308, "out_of_range", "z = -1e+308 m is below the workspace minimum "},
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
	for _, x := range []float64{5, 1e308} { // 1e308 m overflows to +Inf in mm
		c, sink, log := newCore(t, Config{Clamp: true})
		c.Target("/aether/target", "", x, 0, 0.1)
		if len(sink.targets) != 1 {
			t.Fatalf("x = %g: clamped target not sent (acks %+v)", x, log.acks)
		}
		if !ik.DefaultModel().Workspace.Contains(sink.targets[0]) {
			t.Fatalf("x = %g: clamped target %v is outside the workspace", x, sink.targets[0])
		}
	}
}

// A gripper change is a command of its own: it carries no position, so
// the controller keeps the arm's target (a stale one can never be sent).
func TestGripperCarriesNoPosition(t *testing.T) {
	c, sink, _ := newCore(t, Config{})
	p := reachable(t)
	c.Target("/aether/target", "", p.X, p.Y, p.Z)
	c.Home("~/home")
	c.Gripper("/aether/gripper", 1)
	if len(sink.sent) != 2 || sink.sent[1] != (Command{Kind: CommandGripper, Gripper: 1}) {
		t.Fatalf("sent %+v, want home then a gripper change", sink.sent)
	}
}

// While the controller is unreachable, gripper, home and reset are refused
// at once with a message saying so; stop is kept and says so too.
func TestCommandsAreRefusedWhileTheControllerIsUnreachable(t *testing.T) {
	c, sink, log := newCore(t, Config{})
	sink.ev.LinkState(link.StateChange{State: link.StateBackoff, Reason: "dial: connection refused"})
	c.Gripper("/aether/gripper", 1)
	if a := log.last(t); a.Code != string(protocol.CodeLinkDown) || !strings.Contains(a.Message, "controller is unreachable") {
		t.Fatalf("gripper ack %+v", a)
	}
	if _, err := c.Home("~/home"); err == nil || !strings.Contains(Message(err), "controller is unreachable") {
		t.Fatalf("home: %v", err)
	}
	if _, queued := c.Stop("~/stop"); !queued || sink.stops != 1 {
		t.Fatalf("stop: queued %v, sink stops %d; want it kept for the reconnect", queued, sink.stops)
	}
	if len(sink.sent) != 0 {
		t.Fatalf("sent %+v while unreachable", sink.sent)
	}
}

// The arm's position is what the controller reports, and nothing reported
// before a home is answered counts.
func TestPositionIsTheReportedPoseNeverOneFromBeforeAHome(t *testing.T) {
	c, _, _ := newCore(t, Config{})
	if _, ok := c.Position(); ok {
		t.Fatal("position known before any report")
	}
	c.Telemetry(protocol.State{Pose: protocol.Point{X: 220, Y: 100, Z: 80}})
	if p, ok := c.Position(); !ok || math.Abs(p.X-0.22) > 1e-12 || math.Abs(p.Z-0.08) > 1e-12 {
		t.Fatalf("position %v %v, want the report in metres", p, ok)
	}
	id, _ := c.Home("~/home")
	c.Telemetry(protocol.State{Pose: protocol.Point{X: 220, Y: 100, Z: 80}}) // in flight before the home
	if p, ok := c.Position(); ok {
		t.Fatalf("position %v before the home was answered", p)
	}
	c.Result(id, protocol.OK(id, "Homing"), nil, time.Millisecond)
	c.Telemetry(protocol.State{Pose: protocol.Point{X: 70, Y: 0, Z: 200}})
	if p, ok := c.Position(); !ok || math.Abs(p.X-0.07) > 1e-12 {
		t.Fatalf("position %v %v after the home, want (0.07, 0, 0.2)", p, ok)
	}
}

// A stop of an arm at rest: the controller pushes its state before it
// answers, so that report predates the reply and does not count; the
// answer asks for a fresh one, and once it comes the position is known
// again (hand tracking re-anchors on it at once, not at the next change).
func TestAnsweredStopAsksForAFreshReport(t *testing.T) {
	c, sink, _ := newCore(t, Config{})
	rest := protocol.State{Pose: protocol.Point{X: 150, Y: 0, Z: 120}}
	c.Telemetry(rest)
	id, _ := c.Stop("~/stop")
	c.Telemetry(rest) // pushed with the stop, before its reply
	c.Result(id, protocol.OK(id, "Stopped"), nil, time.Millisecond)
	if _, ok := c.Position(); ok {
		t.Fatal("position known from a report older than the stop's reply")
	}
	if sink.refresh != 1 {
		t.Fatalf("refreshes %d after the stop was answered, want 1", sink.refresh)
	}
	c.Telemetry(rest) // the status reply Refresh asked for
	if p, ok := c.Position(); !ok || math.Abs(p.X-0.15) > 1e-12 {
		t.Fatalf("position %v %v after the fresh report, want x 0.15 m", p, ok)
	}
	c.Result(protocol.NumericID(99), protocol.OK(protocol.NumericID(99), "x"), nil, 0)
	if sink.refresh != 1 {
		t.Fatalf("refreshes %d: an unrelated reply asked for one", sink.refresh)
	}
}

// A refusal repeated by the same source is marked Repeat (logged once per
// episode); an accepted command ends the episode.
func TestRepeatedRefusalsAreMarked(t *testing.T) {
	c, _, log := newCore(t, Config{})
	p := reachable(t)
	for range 3 {
		c.Target("/aether/hand", "", 5, 0, 0.1)
	}
	if a := log.acks; a[0].Repeat || !a[1].Repeat || !a[2].Repeat {
		t.Fatalf("repeat flags %v %v %v, want false true true", a[0].Repeat, a[1].Repeat, a[2].Repeat)
	}
	// The pinch's gripper change in between does not end the episode.
	c.Gripper("/aether/hand", 0)
	c.Result(protocol.NumericID(1), protocol.OK(protocol.NumericID(1), "Command received"), nil, 0)
	c.Target("/aether/hand", "", 5, 0, 0.1)
	if a := log.last(t); !a.Repeat {
		t.Fatal("an accepted gripper change ended the out-of-workspace episode")
	}
	c.Target("/aether/hand", "", p.X, p.Y, p.Z)
	c.Result(protocol.NumericID(2), protocol.OK(protocol.NumericID(2), "Command received"), nil, 0)
	c.Target("/aether/hand", "", 5, 0, 0.1)
	if a := log.last(t); a.Repeat {
		t.Fatal("the first refusal after an accepted target is marked Repeat")
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
	if _, err := c.Home("~/home"); err == nil || len(sink.sent) != 0 {
		t.Fatalf("home while the estop is engaged: %v, sent %+v; want refused (only a reset releases it)", err, sink.sent)
	}
	c.Estop("/aether/estop", false)
	if len(sink.sent) != 1 || sink.sent[0].Kind != CommandReset {
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
	if a := log.last(t); a.Code != string(protocol.CodeQueueFull) || !strings.Contains(a.Message, "full") {
		t.Fatalf("ack = %+v", a)
	}
	if len(c.pending) != 0 {
		t.Fatalf("a refused command is tracked: %v", c.pending)
	}
}

type queueFull struct{}

func (queueFull) Error() string   { return "queue is full (64 commands): slow down" }
func (queueFull) AckCode() string { return string(protocol.CodeQueueFull) }

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
	if _, err := NewCore(Config{Arm: ik.DefaultModel(), MaxPending: -1}, &fakeSink{}, Outputs{Ack: func(Ack) {}}); err == nil || !strings.Contains(err.Error(), "MaxPending") {
		t.Fatalf("err = %v", err)
	}
	bad := ik.DefaultModel()
	bad.UpperArm = 0
	if _, err := NewCore(Config{Arm: bad}, &fakeSink{}, Outputs{Ack: func(Ack) {}}); err == nil || !strings.Contains(err.Error(), "upper_arm") {
		t.Fatalf("err = %v", err)
	}
}

// instantSink answers every command synchronously, before SetTarget/Send
// even return — as a loopback reply can.
type instantSink struct{ fakeSink }

func (s *instantSink) SetTarget(t Target) (protocol.ID, error) {
	id, _ := s.fakeSink.SetTarget(t)
	s.ev.Result(id, protocol.OK(id, "Command received"), nil, time.Microsecond)
	return id, nil
}

func TestResultBeforeTrackIsNotLost(t *testing.T) {
	sink, log := &instantSink{}, &ackLog{}
	c, err := NewCore(Config{Arm: ik.DefaultModel()}, sink, Outputs{Ack: log.add})
	if err != nil {
		t.Fatal(err)
	}
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
