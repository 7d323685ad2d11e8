//go:build linux

package bus_test

import (
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/servo/bus"
)

// BenchmarkBusCycle is one controller tick's bus cycle for a six-servo arm
// (SYNC WRITE of the goals, SYNC READ of the positions, six replies) over
// the fake bus behind a pty, against the wire-time floor of the same bytes
// at 1,000,000 bit/s (10 bits per byte: start, 8 data, stop). make bench
// reports it; the pty has no baud rate, so the ratio is the software and
// kernel cost of a cycle relative to what the wire alone would take.
func BenchmarkBusCycle(b *testing.B) {
	for _, f := range families {
		b.Run(f.name, func(b *testing.B) {
			fb := startBus(b, f, []int{2048, 2048, 2048, 2048, 2048, 2048})
			be, err := bus.Open(bus.Config{Device: fb.Path(), ReplyTimeout: 50 * time.Millisecond, TelemetryEvery: 1 << 30}, f.fam, cals())
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			goal := []float64{0.1, 0.2, 0.3, 0.4, 0.5}
			if err := be.Write(make([]float64, len(goal)), 0); err != nil { // torque on where it rests, outside the loop
				b.Fatal(err)
			}
			fb.ResetStats()
			b.ResetTimer()
			for b.Loop() {
				if err := be.Write(goal, 0.5); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			st := fb.Stats()
			n := float64(b.N)
			wire := float64(st.BytesIn+st.BytesOut) / n
			floor := wire * 10 / bus.DefaultBaud * 1e6 // µs
			perOp := float64(b.Elapsed().Microseconds()) / n
			// A reply the fake bus answers late (its goroutine descheduled past
			// the 50 ms budget on a loaded machine) is counted and skipped, as
			// on a real bus; more than 1 % of cycles means the figure is not
			// a bus cycle any more.
			missed := be.Measured().Timeouts
			if float64(missed) > n/100 {
				b.Fatalf("%d replies missed in %d cycles", missed, b.N)
			}
			b.ReportMetric(float64(missed), "missed")
			b.ReportMetric(wire, "wire-B/cycle")
			b.ReportMetric(floor, "floor-µs")
			b.ReportMetric(perOp/floor, "x-floor")
		})
	}
}
