package servo

import (
	"math"
	"strings"
	"testing"
)

func busCal(joint string, id, lo, hi, off, dir int) Calibration {
	return Calibration{Joint: joint, Direction: dir, BusCal: BusCal{ID: &id, TickMin: lo, TickMax: hi, OffsetTicks: off}}
}

func TestBusTicks(t *testing.T) {
	cs := Calibrations{busCal("a", 1, 1024, 3072, 2048, 1), busCal("b", 2, 0, 4095, 2048, -1), busCal(GripperJoint, 3, 2000, 3000, 0, -1)}
	if err := cs.CheckBus(253); err != nil {
		t.Fatal(err)
	}
	ticks, err := cs.Ticks([]float64{math.Pi / 2, math.Pi / 4}, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{3072, 1536, 2750}; ticks[0] != want[0] || ticks[1] != want[1] || ticks[2] != want[2] {
		t.Fatalf("Ticks = %v, want %v", ticks, want)
	}
	for i, c := range cs {
		v := []float64{math.Pi / 2, math.Pi / 4, 0.25}[i]
		if got := c.AngleForTicks(ticks[i]); math.Abs(got-v) > 2*math.Pi/4096 {
			t.Errorf("%s: AngleForTicks(%d) = %v, want %v", c.Joint, ticks[i], got, v)
		}
	}
	if _, err := cs.Ticks([]float64{math.Pi, 0}, 0); err == nil || !strings.Contains(err.Error(), `joint "a" (id 1): 180.00°`) {
		t.Fatalf("out of range: %v", err)
	}
	lo, hi := cs[0].JointRangeRad()
	if math.Abs(lo+math.Pi/2) > 1e-12 || math.Abs(hi-math.Pi/2) > 1e-12 {
		t.Fatalf("JointRangeRad = %v, %v", lo, hi)
	}
}

func TestBusValidate(t *testing.T) {
	for _, c := range []struct {
		c    Calibration
		want string
	}{
		{busCal("a", 254, 0, 10, 0, 1), "id: 254 is outside 0..253"},
		{busCal("a", 1, 10, 10, 10, 1), "tick_max: 10 must be greater than tick_min (10)"},
		{busCal("a", 1, -1, 10, 0, 1), "tick_min: -1 is outside 0..4095"},
		{busCal("a", 1, 0, 10, 5000, 1), "offset_ticks: 5000 is outside 0..4095"},
		{busCal(GripperJoint, 1, 0, 10, 5, 1), "offset_ticks: 5 must be 0 for the gripper"},
		{busCal("a", 1, 0, 10, 0, 2), "direction: 2 must be 1, -1 or 0"},
	} {
		if err := c.c.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate = %v, want %q", err, c.want)
		}
	}
	pwm := DefaultCalibrations([]string{"a"})
	if err := pwm.CheckBus(253); err == nil || !strings.Contains(err.Error(), "id: missing; bus servos are named by id") {
		t.Errorf("CheckBus(pwm) = %v", err)
	}
	bus := Calibrations{busCal("a", 1, 0, 4095, 2048, 1), busCal(GripperJoint, 2, 0, 4095, 0, 1)}
	if err := bus.CheckLayout(15); err == nil || !strings.Contains(err.Error(), "use --backend feetech or dynamixel") {
		t.Errorf("CheckLayout(bus) = %v", err)
	}
	if err := bus.CheckBus(1); err == nil || !strings.Contains(err.Error(), "id: 2 is above this bus's last id 1") {
		t.Errorf("CheckBus(1) = %v", err)
	}
	if _, err := bus.CheckPulse(0, 1500); err == nil || !strings.Contains(err.Error(), "a bus servo has no pulse") {
		t.Errorf("CheckPulse(bus) = %v", err)
	}
}
