package servo

import (
	"math"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func deg(d float64) float64 { return d * math.Pi / 180 }

func defaultCal(joint string, ch int) Calibration {
	return Calibration{Joint: joint, Channel: ch, PulseMinUS: 500, PulseMaxUS: 2500, AngleMinDeg: -90, AngleMaxDeg: 90, Direction: 1}
}

func TestPulseUS(t *testing.T) {
	base := defaultCal("elbow", 2)
	mirrored := base
	mirrored.Direction = -1
	zeroDir := base
	zeroDir.Direction = 0
	offset := base
	offset.OffsetDeg = 10
	narrow := Calibration{Joint: "wrist", Channel: 3, PulseMinUS: 1000, PulseMaxUS: 2000, AngleMinDeg: 0, AngleMaxDeg: 90}
	grip := defaultCal(GripperJoint, 6)
	gripRev := grip
	gripRev.Direction = -1

	tests := []struct {
		name string
		cal  Calibration
		in   float64
		want int
	}{
		{"centre", base, 0, 1500},
		{"max exactly pi/2", base, math.Pi / 2, 2500},
		{"min exactly -pi/2", base, -math.Pi / 2, 500},
		{"45 deg", base, deg(45), 2000},
		{"-45 deg", base, deg(-45), 1000},
		{"rounds to nearest us", base, deg(0.1), 1501},
		{"mirrored 45 deg", mirrored, deg(45), 1000},
		{"direction 0 means +1", zeroDir, deg(45), 2000},
		{"offset: joint 0 is servo 10 deg", offset, 0, 1611},
		{"offset: joint 80 is servo max", offset, deg(80), 2500},
		{"offset: joint -100 is servo min", offset, deg(-100), 500},
		{"narrow range low end", narrow, 0, 1000},
		{"narrow range middle", narrow, deg(45), 1500},
		{"gripper open", grip, 0, 500},
		{"gripper closed", grip, 1, 2500},
		{"gripper half", grip, 0.5, 1500},
		{"reversed gripper open", gripRev, 0, 2500},
		{"reversed gripper closed", gripRev, 1, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cal.PulseUS(tc.in)
			if err != nil {
				t.Fatalf("PulseUS(%v): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("PulseUS(%v) = %d µs, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestPulseUSRejects(t *testing.T) {
	base := defaultCal("elbow", 2)
	offset := base
	offset.OffsetDeg = 10
	grip := defaultCal(GripperJoint, 6)
	broken := base
	broken.PulseMaxUS = 400

	tests := []struct {
		name string
		cal  Calibration
		in   float64
		want []string
	}{
		{"above max", base, deg(91), []string{`joint "elbow"`, "channel 2", "91.00°", "-90.00°..90.00°"}},
		{"below min", base, deg(-90.5), []string{"channel 2", "outside the calibrated range"}},
		{"offset shrinks the top", offset, deg(85), []string{"-100.00°..80.00°"}},
		{"NaN", base, math.NaN(), []string{"channel 2", "not a finite number"}},
		{"+Inf", base, math.Inf(1), []string{"not a finite number"}},
		{"gripper above 1", grip, 1.01, []string{`joint "gripper"`, "channel 6", "0 (open)..1 (closed)"}},
		{"gripper below 0", grip, -0.01, []string{"0 (open)..1 (closed)"}},
		{"invalid calibration", broken, 0, []string{"channel 2", "pulse_max_us"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cal.PulseUS(tc.in)
			if err == nil {
				t.Fatalf("PulseUS(%v) = %d, want an error", tc.in, got)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// Whatever the angle, a pulse is either inside the calibrated pulse range or
// not produced at all, and pulses grow monotonically with a +1 servo.
func TestPulseUSNeverLeavesRange(t *testing.T) {
	cals := []Calibration{
		defaultCal("a", 0),
		{Joint: "b", Channel: 1, PulseMinUS: 900, PulseMaxUS: 2100, AngleMinDeg: -60, AngleMaxDeg: 75, Direction: -1, OffsetDeg: 7.5},
		{Joint: "c", Channel: 2, PulseMinUS: 1000, PulseMaxUS: 1001, AngleMinDeg: 0, AngleMaxDeg: 1e-6},
	}
	for _, c := range cals {
		prev := -1
		ok := 0
		for i := -4000; i <= 4000; i++ {
			a := float64(i) / 1000 // -4..4 rad
			p, err := c.PulseUS(a)
			if err != nil {
				continue
			}
			ok++
			if p < c.PulseMinUS || p > c.PulseMaxUS {
				t.Fatalf("%s: PulseUS(%v) = %d outside [%d, %d]", c.Joint, a, p, c.PulseMinUS, c.PulseMaxUS)
			}
			if c.Direction >= 0 && p < prev {
				t.Fatalf("%s: PulseUS not monotonic at %v: %d after %d", c.Joint, a, p, prev)
			}
			prev = p
		}
		if c.Joint != "c" && ok == 0 {
			t.Fatalf("%s: no angle accepted", c.Joint)
		}
	}
}

func TestJointRangeRad(t *testing.T) {
	c := Calibration{Joint: "b", Channel: 1, PulseMinUS: 900, PulseMaxUS: 2100, AngleMinDeg: -60, AngleMaxDeg: 75, Direction: -1, OffsetDeg: 15}
	lo, hi := c.JointRangeRad()
	if math.Abs(lo-deg(-60)) > 1e-12 || math.Abs(hi-deg(75)) > 1e-12 {
		t.Fatalf("JointRangeRad = %v..%v deg, want -60..75", lo*180/math.Pi, hi*180/math.Pi)
	}
	// The ends of the range are accepted and map to the pulse ends.
	if p, err := c.PulseUS(lo); err != nil || p != 2100 {
		t.Fatalf("PulseUS(lo) = %d, %v; want 2100", p, err)
	}
	if p, err := c.PulseUS(hi); err != nil || p != 900 {
		t.Fatalf("PulseUS(hi) = %d, %v; want 900", p, err)
	}
	g := defaultCal(GripperJoint, 0)
	if lo, hi := g.JointRangeRad(); lo != 0 || hi != 1 {
		t.Fatalf("gripper range = %v..%v, want 0..1", lo, hi)
	}
}

func TestCalibrationValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Calibration)
		field string
	}{
		{"empty joint", func(c *Calibration) { c.Joint = "" }, "joint:"},
		{"negative channel", func(c *Calibration) { c.Channel = -1 }, "channel:"},
		{"huge channel", func(c *Calibration) { c.Channel = 128 }, "channel:"},
		{"zero pulse min", func(c *Calibration) { c.PulseMinUS = 0 }, "pulse_min_us:"},
		{"pulse min in ms", func(c *Calibration) { c.PulseMinUS = 1 }, "pulse_min_us:"},
		{"pulse max too big", func(c *Calibration) { c.PulseMaxUS = 25000 }, "pulse_max_us:"},
		{"pulse max below min", func(c *Calibration) { c.PulseMaxUS = 400; c.PulseMinUS = 500 }, "pulse_max_us:"},
		{"pulse max equals min", func(c *Calibration) { c.PulseMaxUS = 500 }, "pulse_max_us:"},
		{"angle min NaN", func(c *Calibration) { c.AngleMinDeg = math.NaN() }, "angle_min_deg:"},
		{"angle max Inf", func(c *Calibration) { c.AngleMaxDeg = math.Inf(1) }, "angle_max_deg:"},
		{"angles reversed", func(c *Calibration) { c.AngleMinDeg, c.AngleMaxDeg = 90, -90 }, "angle_max_deg:"},
		{"direction 2", func(c *Calibration) { c.Direction = 2 }, "direction:"},
		{"offset NaN", func(c *Calibration) { c.OffsetDeg = math.NaN() }, "offset_deg:"},
		{"gripper offset", func(c *Calibration) { c.Joint = GripperJoint; c.OffsetDeg = 5 }, "offset_deg:"},
	}
	good := defaultCal("elbow", 2)
	if err := good.Validate(); err != nil {
		t.Fatalf("default calibration rejected: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate(%+v) = nil, want an error naming %s", c, tc.field)
			}
			if !strings.HasPrefix(err.Error(), tc.field) {
				t.Fatalf("Validate error %q does not start with %q", err, tc.field)
			}
		})
	}
}

// The yaml tags are the arm file's field names.
func TestCalibrationYAML(t *testing.T) {
	const doc = `
servos:
  - joint: elbow
    channel: 3
    pulse_min_us: 600
    pulse_max_us: 2400
    angle_min_deg: -80
    angle_max_deg: 85
    direction: -1
    offset_deg: 2.5
`
	var f struct {
		Servos Calibrations `yaml:"servos"`
	}
	if err := yaml.Unmarshal([]byte(doc), &f); err != nil {
		t.Fatal(err)
	}
	want := Calibration{Joint: "elbow", Channel: 3, PulseMinUS: 600, PulseMaxUS: 2400, AngleMinDeg: -80, AngleMaxDeg: 85, Direction: -1, OffsetDeg: 2.5}
	if len(f.Servos) != 1 || f.Servos[0] != want {
		t.Fatalf("decoded %+v, want [%+v]", f.Servos, want)
	}
}
