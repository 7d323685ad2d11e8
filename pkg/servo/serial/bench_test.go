package serial

import (
	"io"
	"testing"

	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// One control tick: calibrate and encode six servos into one write.
func BenchmarkWrite(b *testing.B) {
	be, err := New(io.Discard, Config{}, servo.DefaultCalibrations([]string{"base", "shoulder", "elbow", "wrist_pitch", "wrist_roll"}))
	if err != nil {
		b.Fatal(err)
	}
	joints := []float64{0.1, -0.2, 0.3, -0.4, 0.5}
	b.ReportAllocs()
	for b.Loop() {
		if err := be.Write(joints, 0.5); err != nil {
			b.Fatal(err)
		}
	}
}
