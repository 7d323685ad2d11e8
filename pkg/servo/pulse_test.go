package servo

import (
	"math"
	"strings"
	"testing"
)

func TestAngleForPulse(t *testing.T) {
	base := defaultCal("elbow", 2)
	mirrored := base
	mirrored.Direction = -1
	offset := base
	offset.OffsetDeg = 10
	narrow := Calibration{Joint: "wrist", Channel: 3, PulseMinUS: 1000, PulseMaxUS: 2000, AngleMinDeg: 0, AngleMaxDeg: 90}
	grip := defaultCal(GripperJoint, 6)
	gripRev := grip
	gripRev.Direction = -1

	tests := []struct {
		name string
		cal  Calibration
		us   int
		want float64 // rad, or the gripper value
	}{
		{"centre", base, 1500, 0},
		{"max", base, 2500, math.Pi / 2},
		{"min", base, 500, -math.Pi / 2},
		{"mirrored 1000 µs is +45°", mirrored, 1000, deg(45)},
		{"offset: 1500 µs is joint -10°", offset, 1500, deg(-10)},
		{"narrow middle", narrow, 1500, deg(45)},
		{"extrapolated above the range", base, 2600, deg(99)},
		{"extrapolated below the range", narrow, 900, deg(-9)},
		{"gripper open", grip, 500, 0},
		{"gripper half", grip, 1500, 0.5},
		{"reversed gripper closed", gripRev, 500, 1},
		{"gripper beyond closed", grip, 2700, 1.1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cal.AngleForPulse(tc.us); math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("AngleForPulse(%d) = %v, want %v", tc.us, got, tc.want)
			}
		})
	}
}

// TestAngleForPulseInvertsPulseUS: every pulse PulseUS returns maps back to
// an angle within one µs of the original.
func TestAngleForPulseInvertsPulseUS(t *testing.T) {
	cals := []Calibration{defaultCal("a", 0), {Joint: "b", Channel: 1, PulseMinUS: 700, PulseMaxUS: 2300, AngleMinDeg: -60, AngleMaxDeg: 120, Direction: -1, OffsetDeg: 30}}
	for _, c := range cals {
		lo, hi := c.JointRangeRad()
		for k := 0; k <= 100; k++ {
			q := lo + (hi-lo)*float64(k)/100
			p, err := c.PulseUS(q)
			if err != nil {
				t.Fatal(err)
			}
			back := c.AngleForPulse(p)
			usPerRad := float64(c.PulseMaxUS-c.PulseMinUS) / (hi - lo)
			if math.Abs(back-q)*usPerRad > 0.5+1e-9 {
				t.Fatalf("%s: %v rad → %d µs → %v rad", c.Joint, q, p, back)
			}
		}
	}
}

func TestCheckPulse(t *testing.T) {
	cs := DefaultCalibrations([]string{"base", "elbow"})
	cs[1].Channel = 7
	tests := []struct {
		name      string
		channel   int
		us        int
		wantIndex int
		wantErr   string
	}{
		{"gripper channel", 2, 1500, 2, ""},
		{"moved channel", 7, MinPulseUS, 1, ""},
		{"upper bound", 0, MaxPulseUS, 0, ""},
		{"unknown channel", 1, 1500, -1, "channel 1: no servo is calibrated on it; use one of 0, 7, 2"},
		{"negative channel", -1, 1500, -1, "channel -1: no servo"},
		{"below the bounds", 7, MinPulseUS - 1, 1, `joint "elbow" (channel 7): pulse 99 µs is outside 100..4000 µs`},
		{"above the bounds", 2, MaxPulseUS + 1, 2, `joint "gripper" (channel 2): pulse 4001 µs`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i, err := cs.CheckPulse(tc.channel, tc.us)
			if i != tc.wantIndex {
				t.Errorf("index = %d, want %d", i, tc.wantIndex)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("CheckPulse = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("CheckPulse = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
