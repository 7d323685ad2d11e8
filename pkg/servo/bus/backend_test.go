//go:build linux

package bus_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/servo"
	"github.com/aether-lab/aether-bridge/pkg/servo/bus"
	"github.com/aether-lab/aether-bridge/pkg/servo/bus/bustest"
	"github.com/aether-lab/aether-bridge/pkg/servo/dynamixel"
	"github.com/aether-lab/aether-bridge/pkg/servo/feetech"
)

var joints = []string{"base", "shoulder", "elbow", "wrist_pitch", "wrist_roll"}

// cals is a six-servo arm on ids 1..6: joints centred at 2048 over
// 1024..3072 (±90°), the gripper 2048 (open) .. 3072 (closed).
func cals() servo.Calibrations {
	var cs servo.Calibrations
	for i, j := range append(append([]string(nil), joints...), servo.GripperJoint) {
		id := i + 1
		c := servo.Calibration{Joint: j, Direction: 1, BusCal: servo.BusCal{ID: &id, TickMin: 1024, TickMax: 3072, OffsetTicks: 2048}}
		if j == servo.GripperJoint {
			c.TickMin, c.OffsetTicks = 2048, 0
		}
		cs = append(cs, c)
	}
	return cs
}

var ids = []byte{1, 2, 3, 4, 5, 6}

type family struct {
	name string
	make bustest.Make
	fam  bus.Family
}

var families = []family{{"feetech", bustest.Feetech, feetech.Family{}}, {"dynamixel", bustest.Dynamixel, dynamixel.Family{}}}

func startBus(t testing.TB, f family, pos []int) *bustest.Bus {
	t.Helper()
	fb, err := bustest.New(f.make, ids, pos)
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { fb.Close() })
	return fb
}

func open(t *testing.T, f family, fb *bustest.Bus) *bus.Backend {
	t.Helper()
	b, err := bus.Open(bus.Config{Device: fb.Path(), ReplyTimeout: 50 * time.Millisecond}, f.fam, cals())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// Power-on: the backend reads every position before anything else and
// writes nothing, so the arm does not move and stays limp.
func TestSafeStartReadsPoseAndWritesNothing(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			fb := startBus(t, f, []int{2048, 3072, 1024, 2048 + 512, 2048, 2560})
			b := open(t, f, fb)
			m := b.Measured()
			want := []float64{0, math.Pi / 2, -math.Pi / 2, math.Pi / 4, 0}
			for i := range want {
				if !near(m.Joints[i], want[i]) {
					t.Fatalf("measured joints %v, want %v", m.Joints, want)
				}
			}
			if !near(m.Gripper, 0.5) || m.Torque || m.Fault != nil {
				t.Fatalf("measurement %+v: want gripper 0.5, torque off, no fault", m)
			}
			st := fb.Stats()
			if st.Instructions[feetech.InstSyncWrite]+st.Instructions[feetech.InstWrite] != 0 {
				t.Fatalf("start-up wrote to the servos: %v", st.Instructions)
			}
			for _, id := range ids {
				if fb.Servo(id).Torque() {
					t.Fatalf("id %d has torque on after start", id)
				}
			}
		})
	}
}

func TestStartRefusesMissingID(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			fb := startBus(t, f, []int{2048, 2048, 2048, 2048, 2048, 2048})
			fb.Remove(3)
			_, err := bus.Open(bus.Config{Device: fb.Path(), ReplyTimeout: 20 * time.Millisecond}, f.fam, cals())
			if err == nil {
				t.Fatal("Open with id 3 missing succeeded")
			}
			for _, w := range []string{f.name + " " + fb.Path(), `id 3 (joint "elbow")`, "no position read after 3 tries", "torque stays off"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestStartRefusesMultiTurn(t *testing.T) {
	cases := []struct {
		f    family
		set  func(*bustest.Servo)
		want string
	}{
		{families[0], func(s *bustest.Servo) { s.Set(feetech.AddrOperatingMode, 3) }, "operating mode (register 33) is 3"},
		{families[0], func(s *bustest.Servo) { s.Set(feetech.AddrMaxAngleLimit, 0, 0) }, "both 0, which makes it multi-turn"},
		{families[1], func(s *bustest.Servo) { s.Set(dynamixel.AddrOperatingMode, 4) }, "extended position (multi-turn)"},
		{families[1], func(s *bustest.Servo) { s.Set(dynamixel.AddrOperatingMode, 1) }, "is 1, not a position mode"},
	}
	for _, c := range cases {
		fb := startBus(t, c.f, []int{2048, 2048, 2048, 2048, 2048, 2048})
		c.set(fb.Servo(2))
		_, err := bus.Open(bus.Config{Device: fb.Path(), ReplyTimeout: 50 * time.Millisecond}, c.f.fam, cals())
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `id 2 (joint "shoulder")`) {
			t.Errorf("%s: Open = %v, want %q naming id 2", c.f.name, err, c.want)
		}
	}
}

func TestWriteDrivesAndReadsBack(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			fb := startBus(t, f, []int{2048, 2048, 2048, 2048, 2048, 2048})
			b := open(t, f, fb)
			if err := b.Write([]float64{0, 0, 0, 0, 0}, 0); err != nil { // torque on where it is
				t.Fatal(err)
			}
			if err := b.Write([]float64{0, math.Pi / 4, 0, 0, 0}, 1); err != nil {
				t.Fatal(err)
			}
			if g := fb.Servo(2).Goal(); g != 2560 || !fb.Servo(2).Torque() || fb.Servo(6).Goal() != 3072 {
				t.Fatalf("id 2 goal %d torque %v, gripper goal %d; want 2560, on, 3072", g, fb.Servo(2).Torque(), fb.Servo(6).Goal())
			}
			if m := b.Measured(); !near(m.Joints[1], math.Pi/4) || !m.Torque {
				t.Fatalf("measured %+v after Write", m)
			}
			if err := b.Write([]float64{0, math.Pi, 0, 0, 0}, 1); err == nil || !strings.Contains(err.Error(), `joint "shoulder" (id 2)`) {
				t.Fatalf("out-of-range Write = %v", err)
			}
			if err := b.Release(); err != nil {
				t.Fatal(err)
			}
			if b.Measured().Torque {
				t.Fatal("Release left torque on")
			}
			testutil.Eventually(t, 5*time.Second, "the servos to go limp", func() bool { return !fb.Servo(2).Torque() })
			// Limp: a hand moves the joint; Sense tracks it.
			fb.Servo(1).SetPosition(2048 + 1024)
			if err := b.Sense(); err != nil {
				t.Fatal(err)
			}
			if m := b.Measured(); !near(m.Joints[0], math.Pi/2) {
				t.Fatalf("after a hand move, measured base %v, want π/2", m.Joints[0])
			}
		})
	}
}

// A servo that stops answering (or answers garbage) is counted and
// skipped; torque is not switched on while its position is unknown.
func TestReplyFaultsAreCountedAndSkipped(t *testing.T) {
	for _, f := range families {
		for _, fault := range []bustest.Fault{{Silent: true}, {BadChecksum: true}, {Partial: true}} {
			fb := startBus(t, f, []int{2048, 2048, 2048, 2048, 2048, 2048})
			b := open(t, f, fb)
			fb.Servo(6).SetFault(fault)
			if err := b.Sense(); err != nil {
				t.Fatal(err)
			}
			m := b.Measured()
			if m.Timeouts == 0 {
				t.Errorf("%s %+v: no timeout counted", f.name, fault)
			}
			err := b.Write([]float64{0, 0, 0, 0, 0}, 0)
			if err == nil || !strings.Contains(err.Error(), `id 6 (joint "gripper"): position not read`) {
				t.Errorf("%s %+v: torque-on Write = %v, want a refusal naming id 6", f.name, fault, err)
			}
			if fb.Servo(1).Torque() {
				t.Errorf("%s %+v: torque came on", f.name, fault)
			}
			fb.Servo(6).SetFault(bustest.Fault{})                        // it answers again: the refused Write read
			b.Write([]float64{0, 0, 0, 0, 0}, 0)                         // again, as does every try, so after one good read…
			if err := b.Write([]float64{0, 0, 0, 0, 0}, 0); err != nil { // …torque comes on
				t.Errorf("%s %+v: Write once the servo answers again: %v", f.name, fault, err)
			}
		}
	}
}

func TestOverloadLatchesAndRecovers(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			fb := startBus(t, f, []int{2048, 2048, 2048, 2048, 2048, 2048})
			b := open(t, f, fb)
			if err := b.Write([]float64{0, 0, 0, 0, 0}, 0); err != nil {
				t.Fatal(err)
			}
			flags := feetech.StatusOverload
			if f.make == bustest.Dynamixel {
				flags = dynamixel.HwErrOverload
			}
			fb.Servo(3).SetFault(bustest.Fault{Flags: flags})
			if err := b.Sense(); err != nil {
				t.Fatal(err)
			}
			err := b.Write([]float64{0.1, 0, 0, 0, 0}, 0)
			if !errors.Is(err, servo.ErrFault) || !strings.Contains(err.Error(), `id 3 (joint "elbow") reports overload`) {
				t.Fatalf("Write while overloaded = %v", err)
			}
			if fb.Servo(1).Goal() != 2048 {
				t.Fatal("a goal was sent while the fault was latched")
			}
			if h := b.Measured().Servos[2]; len(h.Flags) != 1 || h.Flags[0] != "overload" {
				t.Fatalf("health of id 3: %+v", h)
			}
			fb.Servo(3).SetFault(bustest.Fault{}) // the cause is removed
			before := fb.Stats().Instructions[dynamixel.InstReboot]
			if err := b.Recover(); err != nil {
				t.Fatal(err)
			}
			if f.make == bustest.Dynamixel && fb.Stats().Instructions[dynamixel.InstReboot] != before+1 {
				t.Fatal("recovering a DYNAMIXEL did not REBOOT it")
			}
			if err := b.Write([]float64{0, 0, 0, 0, 0}, 0); err != nil { // from where it is
				t.Fatalf("Write after Recover: %v", err)
			}
		})
	}
}

// A joint resting outside its calibrated range: the controller's goal is
// clamped to the range, which would make the joint jump when torque comes
// on; the backend refuses and names it.
func TestTorqueOnRefusesAJump(t *testing.T) {
	for _, f := range families {
		fb := startBus(t, f, []int{2048, 900, 2048, 2048, 2048, 2048}) // shoulder below tick_min 1024
		b := open(t, f, fb)
		err := b.Write([]float64{0, -math.Pi / 2, 0, 0, 0}, 0) // clamped to the range's end
		if err == nil || !strings.Contains(err.Error(), `id 2 (joint "shoulder"): its goal 1024 is 124 ticks from where it is (900); torque stays off`) {
			t.Fatalf("%s: Write = %v", f.name, err)
		}
		if fb.Servo(1).Torque() {
			t.Fatalf("%s: torque came on", f.name)
		}
	}
}

// The adapter is unplugged: every call returns at once with an error that
// says so, instead of hanging the motion loop.
func TestUnpluggedPort(t *testing.T) {
	f := families[0]
	fb := startBus(t, f, []int{2048, 2048, 2048, 2048, 2048, 2048})
	b := open(t, f, fb)
	fb.Close()
	for name, call := range map[string]func() error{
		"Write": func() error { return b.Write([]float64{0, 0, 0, 0, 0}, 0) },
		"Sense": b.Sense,
	} {
		start := time.Now()
		err := call()
		if err == nil || !strings.Contains(err.Error(), "port is gone") {
			t.Errorf("%s on an unplugged port = %v", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v", name, d)
		}
	}
}
