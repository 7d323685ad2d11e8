package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCDFRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		name string
		in   Input
		want string
	}{
		{"no series", Input{}, "no series"},
		{"empty series", Input{Series: []Series{{Name: "a"}}}, `series 0 ("a") has no samples`},
		{"zero latency", Input{Series: []Series{{Name: "a", MS: []float64{1, 0}}}}, `series "a" sample 1 is 0`},
		{"negative", Input{Series: []Series{{Name: "b", MS: []float64{-2}}}}, "sample 0 is -2"},
		{"NaN", Input{Series: []Series{{Name: "c", MS: []float64{math.NaN()}}}}, "sample 0 is NaN"},
		{"infinite", Input{Series: []Series{{Name: "d", MS: []float64{math.Inf(1)}}}}, "sample 0 is +Inf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := CDF(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CDF: %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

func TestCDFPointsAreTheEmpiricalCDF(t *testing.T) {
	ms := make([]float64, 5000)
	for i := range ms {
		ms[i] = float64((i*7919)%5000 + 1) // 1..5000, shuffled
	}
	pts := cdfPoints(ms)
	if len(pts) > maxPoints+1 {
		t.Fatalf("%d points, want at most %d", len(pts), maxPoints+1)
	}
	if pts[0].X != 1 || pts[len(pts)-1].X != 5000 || pts[len(pts)-1].Y != 1 {
		t.Fatalf("ends %v … %v", pts[0], pts[len(pts)-1])
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].X < pts[i-1].X || pts[i].Y <= pts[i-1].Y {
			t.Fatalf("not increasing at %d: %v then %v", i, pts[i-1], pts[i])
		}
		// Sample i·step of 1..5000 is the value i·step+1, so y = x/5000 exactly.
		if math.Abs(pts[i].Y-pts[i].X/5000) > 1e-12 {
			t.Fatalf("point %v: share of samples ≤ x should be %v", pts[i], pts[i].X/5000)
		}
	}
}

func TestRunWritesAPNG(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "s.json"), filepath.Join(dir, "cdf.png")
	b, _ := json.Marshal(Input{Title: "t", Series: []Series{{Name: "a", MS: []float64{0.2, 0.3, 0.25}}, {Name: "b", MS: []float64{1}}}})
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-in", in, "-out", out}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 400 || r.Dy() < 200 {
		t.Fatalf("image is %v", r)
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(notJSON, []byte("[1, 2"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-out", "x.png"}, "-in is required"},
		{[]string{"-in", notJSON, "-out", "x.svg"}, "must name a .png file"},
		{[]string{"-in", notJSON, "-out", filepath.Join(dir, "x.png")}, "is not the series JSON"},
		{[]string{"-in", filepath.Join(dir, "missing.json"), "-out", filepath.Join(dir, "x.png")}, "no such file"},
		{[]string{"-in", notJSON, "-out", "x.png", "more"}, `unexpected argument "more"`},
	} {
		err := run(c.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%q) = %v, want %q", c.args, err, c.want)
		}
	}
}
