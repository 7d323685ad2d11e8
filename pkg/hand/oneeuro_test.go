package hand

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func newFilter(t *testing.T, c FilterConfig) *OneEuro {
	t.Helper()
	f, err := NewOneEuro(c)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustFilter(t *testing.T, f *OneEuro, ts time.Time, x float64) float64 {
	t.Helper()
	y, err := f.Filter(ts, x)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func TestOneEuroFirstSamplePassesThrough(t *testing.T) {
	for _, x := range []float64{0, -3.25, 1e9, 0.1} {
		f := newFilter(t, FilterConfig{Beta: 5})
		if y := mustFilter(t, f, at(1), x); y != x {
			t.Errorf("first sample %v came out as %v", x, y)
		}
		mustFilter(t, f, at(1.01), x+1)
		f.Reset()
		if y := mustFilter(t, f, at(0.5), x); y != x {
			t.Errorf("first sample after Reset %v came out as %v", x, y)
		}
	}
}

// Property: a constant input comes out unchanged, bit for bit, whatever the
// tuning and the sample times.
func TestOneEuroConstantInputIsUnchanged(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		c := FilterConfig{MinCutoffHz: 0.01 + rng.Float64()*20, Beta: rng.Float64() * 50, DCutoffHz: 0.01 + rng.Float64()*10}
		x := (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(12)-6))
		f := newFilter(t, c)
		ts := t0
		for i := 0; i < 50; i++ {
			ts = ts.Add(time.Duration(1 + rng.IntN(int(200*time.Millisecond))))
			if y := mustFilter(t, f, ts, x); y != x {
				t.Fatalf("trial %d (%+v): constant %v came out as %v at sample %d", trial, c, x, y, i)
			}
		}
	}
}

func TestOneEuroStepKnownValues(t *testing.T) {
	// Beta 0: a first-order low-pass at 1 Hz. At 100 Hz the smoothing factor
	// is 1/(1 + τ/dt) with τ = 1/(2π) s: 0.05911739744174894.
	f := newFilter(t, FilterConfig{MinCutoffHz: 1})
	mustFilter(t, f, at(0), 0)
	if y := mustFilter(t, f, at(0.01), 1); math.Abs(y-0.05911739744174894) > 1e-12 {
		t.Fatalf("first step output %v, want 0.0591173974", y)
	}
	prev := 0.0591
	for i := 2; i <= 500; i++ {
		y := mustFilter(t, f, at(float64(i)*0.01), 1)
		if y <= prev || y > 1 {
			t.Fatalf("step response not monotone without overshoot at sample %d: %v after %v", i, y, prev)
		}
		prev = y
	}
	if 1-prev > 1e-6 {
		t.Fatalf("after 5 s at 1 Hz cutoff the output is %v, want ≈1", prev)
	}
}

// The filter runs on timestamps, not sample counts: the same step sampled at
// 100 Hz and at 40 Hz is at the same place after the same time, close to the
// continuous response 1 − e^(−t/τ).
func TestOneEuroIsTimeDriven(t *testing.T) {
	const T = 0.5
	want := 1 - math.Exp(-T*2*math.Pi*2) // 2 Hz cutoff
	for _, hz := range []float64{100, 40, 1000} {
		f := newFilter(t, FilterConfig{MinCutoffHz: 2})
		mustFilter(t, f, at(0), 0)
		n := int(T * hz)
		var y float64
		for i := 1; i <= n; i++ {
			y = mustFilter(t, f, at(float64(i)/hz), 1)
		}
		if math.Abs(y-want) > 0.03 {
			t.Errorf("%v Hz: after %v s the step response is %v, want ≈%v", hz, T, y, want)
		}
	}
}

func TestOneEuroReducesJitter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	f := newFilter(t, FilterConfig{MinCutoffHz: 1, Beta: 10})
	var rawVar, outVar float64
	const n = 2000
	for i := 0; i < n; i++ {
		noise := rng.NormFloat64() * 0.002 // 2 mm tracker jitter around 0.3 m
		y := mustFilter(t, f, at(float64(i)/60), 0.3+noise)
		if i >= 60 {
			rawVar += noise * noise
			outVar += (y - 0.3) * (y - 0.3)
		}
	}
	if ratio := math.Sqrt(outVar / rawVar); ratio > 0.3 {
		t.Fatalf("jitter only reduced to %.2f of the input's", ratio)
	}
}

func TestOneEuroLagOnRamp(t *testing.T) {
	const v = 0.5 // m/s
	lag := func(beta float64) float64 {
		f := newFilter(t, FilterConfig{MinCutoffHz: 1, Beta: beta})
		var x, y float64
		for i := 0; i <= 600; i++ { // 10 s at 60 Hz
			s := float64(i) / 60
			x = v * s
			y = mustFilter(t, f, at(s), x)
		}
		return x - y
	}
	// Steady-state lag of a first-order low-pass on a ramp is exactly v·τ.
	if l0, want := lag(0), v/(2*math.Pi); math.Abs(l0-want) > 1e-9 {
		t.Fatalf("lag with Beta 0 is %v m, want v·τ = %v m", l0, want)
	}
	if l0, l1 := lag(0), lag(10); !(l1 > 0 && l1 < l0/4) {
		t.Fatalf("Beta 10 should cut the lag: %v m with, %v m without", l1, l0)
	}
}

func TestOneEuroRejectsBadSamplesAndKeepsState(t *testing.T) {
	f := newFilter(t, FilterConfig{Beta: 3})
	twin := newFilter(t, FilterConfig{Beta: 3})
	for i, x := range []float64{0, 0.1, 0.15} {
		mustFilter(t, f, at(float64(i)*0.02), x)
		mustFilter(t, twin, at(float64(i)*0.02), x)
	}
	bad := []struct {
		ts   time.Time
		x    float64
		want string
	}{
		{at(0.1), math.NaN(), "not a finite number"},
		{at(0.1), math.Inf(-1), "not a finite number"},
		{at(0.04), 0.2, "not after the previous"},
		{at(0.01), 0.2, "not after the previous"},
	}
	for _, b := range bad {
		_, err := f.Filter(b.ts, b.x)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Filter(%v, %v) error %v, want %q", b.ts, b.x, err, b.want)
		}
	}
	if a, b := mustFilter(t, f, at(0.06), 0.3), mustFilter(t, twin, at(0.06), 0.3); a != b {
		t.Fatalf("rejected samples changed the state: %v vs %v", a, b)
	}
}

func TestNewOneEuroRejectsBadConfig(t *testing.T) {
	_, err := NewOneEuro(FilterConfig{MinCutoffHz: math.NaN()})
	if err == nil || !strings.Contains(err.Error(), "MinCutoffHz") {
		t.Fatalf("error %v, want one naming MinCutoffHz", err)
	}
}
