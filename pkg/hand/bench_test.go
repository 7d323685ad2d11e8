package hand

import (
	"testing"
	"time"
)

// BenchmarkTrackerUpdate is one tracked frame: three filters, the mapping and
// the gripper logic. Hand trackers run at 30–120 Hz; this must stay far
// below a millisecond and allocate at most the returned target.
func BenchmarkTrackerUpdate(b *testing.B) {
	tr, err := NewTracker(DefaultMapping())
	if err != nil {
		b.Fatal(err)
	}
	f := Frame{Stamp: t0, Detected: true, Confidence: 1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.Stamp = f.Stamp.Add(time.Millisecond)
		f.Palm.X = float64(i%100) * 1e-3
		f.Pinch = float64(i%10) / 10
		if o := tr.Update(f); o.Target == nil {
			b.Fatalf("no target: %s", o.Reason)
		}
	}
}

func BenchmarkOneEuro(b *testing.B) {
	f, err := NewOneEuro(FilterConfig{Beta: DefaultBeta})
	if err != nil {
		b.Fatal(err)
	}
	ts := t0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ts = ts.Add(time.Millisecond)
		if _, err := f.Filter(ts, float64(i%100)*1e-3); err != nil {
			b.Fatal(err)
		}
	}
}
