package ik

import "testing"

func benchIK(b *testing.B, m Model, p Point, opt Options) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.IK(p, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIK is the common case: the preferred pitch works.
func BenchmarkIK(b *testing.B) {
	benchIK(b, DefaultModel(), Point{150, 40, 100}, Options{})
}

// BenchmarkIKAutoTilt: the preferred pitch fails and auto scans.
func BenchmarkIKAutoTilt(b *testing.B) {
	benchIK(b, DefaultModel(), Point{120, 35.5, 210}, Options{})
}

// BenchmarkIKFixedPitch: a fixed-pitch model, the cheapest path.
func BenchmarkIKFixedPitch(b *testing.B) {
	benchIK(b, wideModel(WristFixedPitch, -90), Point{150, 40, 100}, Options{})
}

// BenchmarkIKClamp: a target inside the box but out of reach, so the
// clamp search runs.
func BenchmarkIKClamp(b *testing.B) {
	benchIK(b, DefaultModel(), Point{270, 200, 300}, Options{Clamp: true})
}

// BenchmarkIKClampWorst: the slowest of 20000 random targets tried; the
// segment probes mostly fail on joint limits, so each runs the full auto
// pitch scan. This bounds IK's cost in a motion loop.
func BenchmarkIKClampWorst(b *testing.B) {
	benchIK(b, DefaultModel(), Point{160.8, 168.8, 306.8}, Options{Clamp: true})
}

func BenchmarkFK(b *testing.B) {
	m := DefaultModel()
	q := m.HomePose()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.FK(q); err != nil {
			b.Fatal(err)
		}
	}
}
