package servo

import (
	"math"
	"slices"
	"strings"
	"testing"
)

var arm = []string{"base", "shoulder", "elbow", "wrist"}

func TestDefaultCalibrations(t *testing.T) {
	cs := DefaultCalibrations(arm)
	if len(cs) != len(arm)+1 {
		t.Fatalf("got %d entries, want %d", len(cs), len(arm)+1)
	}
	for i, c := range cs {
		wantJoint := GripperJoint
		if i < len(arm) {
			wantJoint = arm[i]
		}
		if c.Joint != wantJoint || c.Channel != i || c.PulseMinUS != 500 || c.PulseMaxUS != 2500 ||
			c.AngleMinDeg != -90 || c.AngleMaxDeg != 90 || c.dir() != 1 || c.OffsetDeg != 0 {
			t.Errorf("entry %d = %+v", i, c)
		}
	}
	if err := cs.Validate(arm); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	// The caller's slice must not be appended to in place.
	names := make([]string, 2, 8)
	copy(names, arm)
	DefaultCalibrations(names)
	if got := names[:3][2]; got != "" {
		t.Fatalf("DefaultCalibrations wrote %q into the caller's backing array", got)
	}
}

func TestCalibrationsValidateRejects(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		edit  func(Calibrations) Calibrations
		want  []string
	}{
		{"missing joint", arm, func(cs Calibrations) Calibrations { return slices.Delete(cs, 1, 2) },
			[]string{`no entry for joint "shoulder"`}},
		{"missing gripper", arm, func(cs Calibrations) Calibrations { return cs[:len(arm)] },
			[]string{`no entry for joint "gripper"`}},
		{"duplicate joint", arm, func(cs Calibrations) Calibrations { cs[3].Joint = "elbow"; return cs },
			[]string{`servos[3] (joint "elbow"): joint: already calibrated by servos[2]`, `no entry for joint "wrist"`}},
		{"unknown joint", arm, func(cs Calibrations) Calibrations { cs[0].Joint = "bas"; return cs },
			[]string{`servos[0] (joint "bas"): joint: unknown joint`, `no entry for joint "base"`}},
		{"duplicate channel", arm, func(cs Calibrations) Calibrations { cs[4].Channel = 1; return cs },
			[]string{`servos[4] (joint "gripper"): channel: 1 is already used by servos[1] (joint "shoulder")`}},
		{"bad field", arm, func(cs Calibrations) Calibrations { cs[2].Direction = 5; return cs },
			[]string{`servos[2] (joint "elbow"): direction:`}},
		{"two problems at once", arm, func(cs Calibrations) Calibrations { cs[2].Direction = 5; cs[3].PulseMinUS = 0; return cs },
			[]string{`servos[2] (joint "elbow"): direction:`, `servos[3] (joint "wrist"): pulse_min_us:`}},
		{"arm joint named gripper", []string{"base", GripperJoint}, func(cs Calibrations) Calibrations { return cs },
			[]string{"reserved for the gripper"}},
		{"empty arm joint name", []string{"base", ""}, func(cs Calibrations) Calibrations { return cs },
			[]string{"arm joint 1 has an empty name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := tc.edit(DefaultCalibrations(arm))
			err := cs.Validate(tc.names)
			if err == nil {
				t.Fatal("Validate = nil, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestOrdered(t *testing.T) {
	cs := DefaultCalibrations(arm)
	shuffled := Calibrations{cs[4], cs[2], cs[0], cs[3], cs[1]}
	got, err := shuffled.Ordered(arm)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, cs) {
		t.Fatalf("Ordered = %+v\nwant %+v", got, cs)
	}
	if _, err := shuffled[:4].Ordered(arm); err == nil {
		t.Fatal("Ordered accepted a list without a wrist entry")
	}
}

func TestPulses(t *testing.T) {
	cs := DefaultCalibrations(arm)
	// Gripper first: joints still map in slice order of the joint entries.
	cs = append(Calibrations{cs[4]}, cs[:4]...)
	got, err := cs.Pulses([]float64{0, deg(45), deg(-45), deg(90)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{2500, 1500, 2000, 1000, 2500}
	if !slices.Equal(got, want) {
		t.Fatalf("Pulses = %v, want %v", got, want)
	}
}

func TestPulsesRejects(t *testing.T) {
	cs := DefaultCalibrations(arm)
	tests := []struct {
		name    string
		joints  []float64
		gripper float64
		want    []string
	}{
		{"too few joints", []float64{0, 0, 0}, 0, []string{"got 3 joint angles, want 4", `"base"`}},
		{"too many joints", []float64{0, 0, 0, 0, 0}, 0, []string{"got 5 joint angles, want 4"}},
		{"nil joints", nil, 0, []string{"got 0 joint angles, want 4"}},
		{"every bad value reported", []float64{0, deg(100), math.NaN(), 0}, 2,
			[]string{`joint "shoulder" (channel 1)`, `joint "elbow" (channel 2)`, `joint "gripper" (channel 4)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := cs.Pulses(tc.joints, tc.gripper)
			if err == nil {
				t.Fatalf("Pulses = %v, want an error", p)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestCheckLayout(t *testing.T) {
	cs := DefaultCalibrations(arm)
	if err := cs.CheckLayout(15); err != nil {
		t.Fatalf("CheckLayout(defaults) = %v", err)
	}
	tests := []struct {
		name string
		cs   Calibrations
		max  int
		want string
	}{
		{"empty", nil, 15, "servos: empty"},
		{"channel above board", DefaultCalibrations(arm), 3, `servos[4] (joint "gripper"): channel: 4 is above this board's last channel 3`},
		{"no gripper", DefaultCalibrations(arm)[:4], 15, `no entry for joint "gripper"`},
		{"duplicate joint reported once", Calibrations{defaultCal("a", 0), defaultCal("a", 1), defaultCal(GripperJoint, 2)}, 15,
			`servos[1] (joint "a"): joint: already calibrated by servos[0]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cs.CheckLayout(tc.max)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckLayout = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "appears twice") {
				t.Fatalf("duplicate reported twice: %v", err)
			}
		})
	}
}

// The control loop converts a full command every tick (50–100 Hz); this
// should stay far below a microsecond per servo and allocate one slice.
func BenchmarkPulses(b *testing.B) {
	cs := DefaultCalibrations([]string{"base", "shoulder", "elbow", "wrist_pitch", "wrist_roll"})
	joints := []float64{0.1, -0.2, 0.3, -0.4, 0.5}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cs.Pulses(joints, 0.5); err != nil {
			b.Fatal(err)
		}
	}
}
