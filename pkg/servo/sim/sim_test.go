package sim

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/servo"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func newSim(t *testing.T, cfg Config) (*Backend, *ManualClock) {
	t.Helper()
	clk := NewManualClock(t0)
	b, err := New(cfg, clk)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b, clk
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func wantPositions(t *testing.T, b *Backend, joints []float64, gripper float64) {
	t.Helper()
	got, g := b.Positions()
	if len(got) != len(joints) {
		t.Fatalf("Positions: %d joints, want %d", len(got), len(joints))
	}
	for i := range joints {
		if !near(got[i], joints[i]) {
			t.Fatalf("Positions = %v / %v, want %v / %v", got, g, joints, gripper)
		}
	}
	if !near(g, gripper) {
		t.Fatalf("Positions gripper = %v, want %v", g, gripper)
	}
}

func TestSlewDefaultSpeed(t *testing.T) {
	b, clk := newSim(t, Config{Joints: 3})
	if !b.Released() || b.Writes() != 0 {
		t.Fatalf("fresh sim: Released=%v Writes=%d, want true, 0", b.Released(), b.Writes())
	}
	if err := b.Write([]float64{1, -0.5, 0}, 1); err != nil {
		t.Fatal(err)
	}
	if b.Released() || b.Writes() != 1 {
		t.Fatalf("after Write: Released=%v Writes=%d, want false, 1", b.Released(), b.Writes())
	}
	wantPositions(t, b, []float64{0, 0, 0}, 0)
	clk.Advance(100 * time.Millisecond) // 3 rad/s → 0.3 rad; gripper 2/s → 0.2
	wantPositions(t, b, []float64{0.3, -0.3, 0}, 0.2)
	clk.Advance(100 * time.Millisecond)
	wantPositions(t, b, []float64{0.6, -0.5, 0}, 0.4)
	clk.Advance(time.Second)
	wantPositions(t, b, []float64{1, -0.5, 0}, 1)
	if tj, tg := b.Targets(); !near(tj[0], 1) || !near(tj[1], -0.5) || tg != 1 {
		t.Fatalf("Targets = %v, %v", tj, tg)
	}
}

func TestRetargetMidMove(t *testing.T) {
	b, clk := newSim(t, Config{Joints: 1, MaxSpeedRadPerSec: 1, GripperSpeedPerSec: 0.5})
	if err := b.Write([]float64{1}, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(400 * time.Millisecond)
	wantPositions(t, b, []float64{0.4}, 0.2)
	// Turn around: the new move starts from where the servo is, not its old target.
	if err := b.Write([]float64{-1}, 0); err != nil {
		t.Fatal(err)
	}
	clk.Advance(200 * time.Millisecond)
	wantPositions(t, b, []float64{0.2}, 0.1)
	if b.Writes() != 2 {
		t.Fatalf("Writes = %d, want 2", b.Writes())
	}
}

func TestReleaseFreezes(t *testing.T) {
	b, clk := newSim(t, Config{Joints: 2, StartJoints: []float64{0.5, 0}, StartGripper: 1})
	wantPositions(t, b, []float64{0.5, 0}, 1)
	if err := b.Write([]float64{-0.5, 0.3}, 0); err != nil {
		t.Fatal(err)
	}
	clk.Advance(100 * time.Millisecond)
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	if !b.Released() || b.Releases() != 1 {
		t.Fatalf("Released=%v Releases=%d, want true, 1", b.Released(), b.Releases())
	}
	clk.Advance(time.Second)
	wantPositions(t, b, []float64{0.2, 0.3}, 0.8)
	// The next Write re-engages from the released position.
	if err := b.Write([]float64{0.2, 0.3}, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(50 * time.Millisecond)
	wantPositions(t, b, []float64{0.2, 0.3}, 0.9)
	if b.Released() {
		t.Fatal("still released after Write")
	}
}

func TestClockBackwardsDoesNotMove(t *testing.T) {
	b, clk := newSim(t, Config{Joints: 1})
	if err := b.Write([]float64{1}, 0); err != nil {
		t.Fatal(err)
	}
	clk.Advance(-time.Second)
	wantPositions(t, b, []float64{0}, 0)
}

func TestWriteRejects(t *testing.T) {
	cals := servo.DefaultCalibrations([]string{"base", "elbow"})
	cals[1].Channel = 7
	tests := []struct {
		name    string
		cfg     Config
		joints  []float64
		gripper float64
		want    []string
	}{
		{"too few joints", Config{Joints: 3}, []float64{0, 0}, 0, []string{"sim: got 2 joint angles, want 3"}},
		{"NaN joint", Config{Joints: 3}, []float64{0, math.NaN(), 0}, 0, []string{"joint 1 (channel 1)", "not a finite number"}},
		{"gripper above 1", Config{Joints: 3}, []float64{0, 0, 0}, 1.5, []string{"gripper (channel 3)", "0 (open)..1 (closed)"}},
		{"gripper NaN", Config{Joints: 3}, []float64{0, 0, 0}, math.NaN(), []string{"gripper (channel 3)"}},
		{"outside calibration", Config{Calibrations: cals}, []float64{0, 2}, 0, []string{`joint "elbow" (channel 7)`, "outside the calibrated range"}},
		{"wrong count with calibrations", Config{Calibrations: cals}, []float64{0}, 0, []string{"got 1 joint angles, want 2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, clk := newSim(t, tc.cfg)
			start, _ := b.Positions()
			err := b.Write(tc.joints, tc.gripper)
			if err == nil {
				t.Fatal("Write accepted a bad command")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			// Nothing changed: not counted, still released, no motion.
			clk.Advance(time.Second)
			wantPositions(t, b, start, 0)
			if b.Writes() != 0 || !b.Released() {
				t.Fatalf("after rejected Write: Writes=%d Released=%v", b.Writes(), b.Released())
			}
		})
	}
}

func TestClosed(t *testing.T) {
	b, _ := newSim(t, Config{Joints: 1})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Write([]float64{0}, 0); !errors.Is(err, servo.ErrClosed) {
		t.Fatalf("Write after Close = %v, want ErrClosed", err)
	}
	if err := b.Release(); !errors.Is(err, servo.ErrClosed) {
		t.Fatalf("Release after Close = %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
}

func TestFailWith(t *testing.T) {
	cals := servo.DefaultCalibrations([]string{"base"})
	cals[0].Channel, cals[1].Channel = 4, 5
	b, clk := newSim(t, Config{Calibrations: cals})
	boom := errors.New("bus gone")
	b.FailWith(boom)
	for name, call := range map[string]func() error{
		"Write":   func() error { return b.Write([]float64{1}, 0) },
		"Release": b.Release,
	} {
		err := call()
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "channel 4") {
			t.Fatalf("%s while failing = %v, want bus gone naming channel 4", name, err)
		}
	}
	clk.Advance(time.Second)
	wantPositions(t, b, []float64{0}, 0)
	b.FailWith(nil)
	if err := b.Write([]float64{1}, 0); err != nil {
		t.Fatalf("Write after healing: %v", err)
	}
	if b.Writes() != 1 || b.Releases() != 0 {
		t.Fatalf("Writes=%d Releases=%d, want 1, 0", b.Writes(), b.Releases())
	}
}

func TestConfigValidate(t *testing.T) {
	cals := servo.DefaultCalibrations([]string{"a", "b"})
	badCals := servo.DefaultCalibrations([]string{"a", "b"})
	badCals[1].Channel = 0
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"nothing", Config{}, "Joints: zero and no Calibrations"},
		{"negative joints", Config{Joints: -1}, "Joints: -1 is negative"},
		{"joints disagree", Config{Joints: 3, Calibrations: cals}, "Joints: 3, but Calibrations lists 2 joints"},
		{"bad calibrations", Config{Calibrations: badCals}, "Calibrations: servos[1]"},
		{"negative speed", Config{Joints: 1, MaxSpeedRadPerSec: -1}, "MaxSpeedRadPerSec:"},
		{"NaN speed", Config{Joints: 1, MaxSpeedRadPerSec: math.NaN()}, "MaxSpeedRadPerSec:"},
		{"infinite gripper speed", Config{Joints: 1, GripperSpeedPerSec: math.Inf(1)}, "GripperSpeedPerSec:"},
		{"start gripper", Config{Joints: 1, StartGripper: 2}, "StartGripper:"},
		{"start joints count", Config{Joints: 2, StartJoints: []float64{0}}, "StartJoints: 1 angles for 2 joints"},
		{"start joint outside calibration", Config{Calibrations: cals, StartJoints: []float64{0, 3}}, `StartJoints: joint "b" (channel 1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.want)
			}
			if _, err := New(tc.cfg, nil); err == nil {
				t.Fatal("New accepted the config")
			}
		})
	}
	if err := (Config{Calibrations: cals}).Validate(); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	b, clk := newSim(t, Config{Joints: 2})
	const workers, each = 4, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := b.Write([]float64{float64(w) / 10, float64(i) / 1000}, 0.5); err != nil {
					t.Error(err)
					return
				}
				clk.Advance(time.Millisecond)
				b.Positions()
				b.Released()
			}
		}()
	}
	wg.Wait()
	if got := b.Writes(); got != workers*each {
		t.Fatalf("Writes = %d, want %d", got, workers*each)
	}
}

func TestWritePulse(t *testing.T) {
	cals := servo.DefaultCalibrations([]string{"base", "elbow"})
	cals[1].Channel, cals[1].Direction = 7, -1
	tests := []struct {
		name        string
		channel, us int
		wantJoints  []float64 // after the slew has finished
		wantGripper float64
	}{
		{"base to +45°", 0, 2000, []float64{math.Pi / 4, 0}, 0},
		{"mirrored elbow 1000 µs is +45°", 7, 1000, []float64{0, math.Pi / 4}, 0},
		{"beyond the calibrated range", 0, 2600, []float64{99 * math.Pi / 180, 0}, 0},
		{"gripper half closed", 2, 1500, []float64{0, 0}, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, clk := newSim(t, Config{Calibrations: cals})
			if err := b.WritePulse(tc.channel, tc.us); err != nil {
				t.Fatal(err)
			}
			if b.Released() {
				t.Fatal("still released after WritePulse")
			}
			if got := b.RawPulses(); len(got) != 1 || got[tc.channel] != tc.us {
				t.Fatalf("RawPulses = %v, want {%d: %d}", got, tc.channel, tc.us)
			}
			clk.Advance(2 * time.Second)
			wantPositions(t, b, tc.wantJoints, tc.wantGripper)
			if b.Writes() != 0 {
				t.Fatalf("Writes = %d: WritePulse must not count as a Write", b.Writes())
			}
			// A Write returns to calibrated motion and forgets raw pulses.
			if err := b.Write([]float64{0, 0}, 0); err != nil {
				t.Fatal(err)
			}
			if got := b.RawPulses(); len(got) != 0 {
				t.Fatalf("RawPulses after Write = %v, want none", got)
			}
		})
	}
}

func TestWritePulseOtherServosKeepMoving(t *testing.T) {
	cals := servo.DefaultCalibrations([]string{"base", "elbow"})
	b, clk := newSim(t, Config{Calibrations: cals, MaxSpeedRadPerSec: 1})
	if err := b.Write([]float64{1, 0}, 0); err != nil {
		t.Fatal(err)
	}
	clk.Advance(500 * time.Millisecond)
	if err := b.WritePulse(1, 1500+100); err != nil { // elbow: 100 µs = 9°
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	wantPositions(t, b, []float64{1, 9 * math.Pi / 180}, 0)
}

func TestWritePulseRejects(t *testing.T) {
	cals := servo.DefaultCalibrations([]string{"base"})
	tests := []struct {
		name        string
		cfg         Config
		channel, us int
		fail        error
		want        string
	}{
		{"no calibrations", Config{Joints: 1}, 0, 1500, nil, "sim: channel 0: the simulated servos have no calibrations"},
		{"unknown channel", Config{Calibrations: cals}, 5, 1500, nil, "sim: channel 5: no servo is calibrated on it; use one of 0, 1"},
		{"pulse too short", Config{Calibrations: cals}, 0, 50, nil, `sim: joint "base" (channel 0): pulse 50 µs is outside 100..4000 µs`},
		{"pulse too long", Config{Calibrations: cals}, 1, 5000, nil, "outside 100..4000 µs"},
		{"failing bus", Config{Calibrations: cals}, 0, 1500, errors.New("bus gone"), "sim: channel 0: bus gone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, clk := newSim(t, tc.cfg)
			b.FailWith(tc.fail)
			err := b.WritePulse(tc.channel, tc.us)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WritePulse = %v, want an error containing %q", err, tc.want)
			}
			clk.Advance(time.Second)
			wantPositions(t, b, []float64{0}, 0)
			if !b.Released() || len(b.RawPulses()) != 0 {
				t.Fatalf("a rejected WritePulse changed state: Released=%v RawPulses=%v", b.Released(), b.RawPulses())
			}
		})
	}
	b, _ := newSim(t, Config{Calibrations: cals})
	b.Close()
	if err := b.WritePulse(0, 1500); !errors.Is(err, servo.ErrClosed) {
		t.Fatalf("WritePulse after Close = %v, want ErrClosed", err)
	}
}
