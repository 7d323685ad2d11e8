package hand

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestMappingZeroIsValidAndGetsDefaults(t *testing.T) {
	if err := (Mapping{}).Validate(); err != nil {
		t.Fatalf("zero Mapping: %v", err)
	}
	d := Mapping{}.withDefaults()
	if d.Scale != [3]float64{1, 1, 1} || d.AxisMap != DefaultAxisMap || d.Clutch != ClutchAlways ||
		d.LossTimeout != DefaultLossTimeout || d.Filter.MinCutoffHz != DefaultMinCutoffHz ||
		d.Filter.DCutoffHz != DefaultDCutoffHz || d.Pinch.CloseAbove != DefaultCloseAbove ||
		d.Pinch.OpenBelow != DefaultOpenBelow {
		t.Fatalf("defaults not filled in: %+v", d)
	}
	if d.Filter.Beta != 0 || d.MinConfidence != 0 || d.Offset != [3]float64{} {
		t.Fatalf("zero-is-meaningful fields changed: %+v", d)
	}
}

func TestDefaultMapping(t *testing.T) {
	m := DefaultMapping()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if m.Filter.Beta != DefaultBeta || m.MinConfidence != DefaultMinConfidence {
		t.Fatalf("DefaultMapping lacks Beta/MinConfidence: %+v", m)
	}
	if m.withDefaults() != m {
		t.Fatal("DefaultMapping is not a fixed point of withDefaults")
	}
}

func TestMappingValidate(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		edit func(*Mapping)
		want []string // substrings of the error; nil = valid
	}{
		{"typical camera axes", func(m *Mapping) { m.AxisMap = [3]string{"-z", "x", "-y"} }, nil},
		{"plus sign", func(m *Mapping) { m.AxisMap = [3]string{"+y", "-x", "z"} }, nil},
		{"unknown axis", func(m *Mapping) { m.AxisMap = [3]string{"x", "w", "z"} }, []string{"AxisMap: entry 1 (arm y)", `"w"`, "-z"}},
		{"partly empty axis map", func(m *Mapping) { m.AxisMap = [3]string{"x", "", "z"} }, []string{"AxisMap: entry 1", `""`}},
		{"upper case axis", func(m *Mapping) { m.AxisMap = [3]string{"X", "y", "z"} }, []string{"AxisMap: entry 0", `"X"`}},
		{"double sign", func(m *Mapping) { m.AxisMap = [3]string{"--x", "y", "z"} }, []string{"AxisMap: entry 0"}},
		{"axis twice", func(m *Mapping) { m.AxisMap = [3]string{"x", "-x", "z"} }, []string{"AxisMap: entry 1 (arm y)", "already drives arm x"}},
		{"negative scale", func(m *Mapping) { m.Scale[2] = -1 }, []string{"Scale: entry 2 (arm z)", "axis map"}},
		{"NaN scale", func(m *Mapping) { m.Scale[0] = nan }, []string{"Scale: entry 0"}},
		{"Inf offset", func(m *Mapping) { m.Offset[1] = math.Inf(1) }, []string{"Offset: entry 1 (arm y)"}},
		{"confidence above 1", func(m *Mapping) { m.MinConfidence = 1.5 }, []string{"MinConfidence", "0..1"}},
		{"NaN confidence", func(m *Mapping) { m.MinConfidence = nan }, []string{"MinConfidence"}},
		{"negative min cutoff", func(m *Mapping) { m.Filter.MinCutoffHz = -1 }, []string{"Filter.MinCutoffHz"}},
		{"negative beta", func(m *Mapping) { m.Filter.Beta = -0.1 }, []string{"Filter.Beta"}},
		{"Inf dcutoff", func(m *Mapping) { m.Filter.DCutoffHz = math.Inf(1) }, []string{"Filter.DCutoffHz"}},
		{"open above close", func(m *Mapping) { m.Pinch = PinchConfig{CloseAbove: 0.6, OpenBelow: 0.7} }, []string{"Pinch.OpenBelow", "below the close threshold 0.6"}},
		{"open equals close", func(m *Mapping) { m.Pinch = PinchConfig{CloseAbove: 0.6, OpenBelow: 0.6} }, []string{"Pinch.OpenBelow"}},
		{"default open above set close", func(m *Mapping) { m.Pinch = PinchConfig{CloseAbove: 0.3} }, []string{"Pinch.OpenBelow: 0.5", "default"}},
		{"close at 1 never closes", func(m *Mapping) { m.Pinch.CloseAbove = 1 }, []string{"Pinch.CloseAbove"}},
		{"negative open", func(m *Mapping) { m.Pinch.OpenBelow = -0.1 }, []string{"Pinch.OpenBelow"}},
		{"bad clutch", func(m *Mapping) { m.Clutch = "pinch" }, []string{"Clutch", `"pinch"`, `"pinch_hold"`}},
		{"negative loss timeout", func(m *Mapping) { m.LossTimeout = -time.Second }, []string{"LossTimeout"}},
		{"several at once", func(m *Mapping) { m.Scale[0] = -1; m.Clutch = "x" }, []string{"Scale: entry 0", "Clutch"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := DefaultMapping()
			c.edit(&m)
			err := m.Validate()
			if c.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error for %+v", m)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if _, terr := NewTracker(m); terr == nil {
				t.Error("NewTracker accepted the invalid mapping")
			}
		})
	}
}

func TestParseAxisMap(t *testing.T) {
	got, err := parseAxisMap([3]string{"-z", "x", "-y"})
	if err != nil {
		t.Fatal(err)
	}
	want := [3]axis{{2, -1}, {0, 1}, {1, -1}}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
