// Command plot draws the benchmark's latency CDFs into a PNG with gonum/plot.
//
//	plot -in series.json -out latency.png
//
// The input is written by bench/run.py:
//
//	{"title": "...", "series": [{"name": "bridge @ 30 Hz", "ms": [0.41, 0.39, ...]}, ...]}
//
// Each series becomes one line: the share of samples (y, 0..1) at or below
// each latency (x, milliseconds, log scale).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

// Series is one named set of latency samples, in milliseconds.
type Series struct {
	Name string    `json:"name"`
	MS   []float64 `json:"ms"`
}

// Input is the whole input file.
type Input struct {
	Title  string   `json:"title"`
	Series []Series `json:"series"`
}

// maxPoints bounds the points drawn per line; the CDF is sampled evenly.
const maxPoints = 2000

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "input `file` (JSON, see the package doc); required")
	out := fs.String("out", "", "output `file`, .png; required")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q: use -in FILE -out FILE.png", fs.Arg(0))
	case *in == "":
		return errors.New("-in is required: the series JSON written by bench/run.py")
	case !strings.HasSuffix(*out, ".png"):
		return fmt.Errorf("-out %q must name a .png file", *out)
	}
	b, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var data Input
	if err := json.Unmarshal(b, &data); err != nil {
		return fmt.Errorf("%s is not the series JSON (%v): expected {\"title\": ..., \"series\": [{\"name\": ..., \"ms\": [...]}]}", *in, err)
	}
	p, err := CDF(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	return p.Save(9*vg.Inch, 5.5*vg.Inch, *out)
}

// CDF builds the plot of data. Every series needs at least one sample, and
// every sample must be a finite latency above zero (the x axis is
// logarithmic).
func CDF(data Input) (*plot.Plot, error) {
	if len(data.Series) == 0 {
		return nil, errors.New("no series: give at least one {\"name\", \"ms\"}")
	}
	p := plot.New()
	p.Title.Text = data.Title
	p.X.Label.Text = "latency, ms (log scale)"
	p.Y.Label.Text = "share of samples ≤ x"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"},
		{Value: 0.5, Label: "0.5"}, {Value: 0.75, Label: "0.75"}, {Value: 0.9, Label: "0.9"}, {Value: 1, Label: "1"}}
	p.Legend.Top = false
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	for i, s := range data.Series {
		if len(s.MS) == 0 {
			return nil, fmt.Errorf("series %d (%q) has no samples", i, s.Name)
		}
		for j, v := range s.MS {
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("series %q sample %d is %v: latencies must be finite and above 0 ms", s.Name, j, v)
			}
		}
		l, err := plotter.NewLine(cdfPoints(s.MS))
		if err != nil {
			return nil, fmt.Errorf("series %q: %w", s.Name, err)
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		if i >= len(palette) {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (n=%d)", s.Name, len(s.MS)), l)
	}
	return p, nil
}

// cdfPoints returns the empirical CDF of ms, at most maxPoints points.
func cdfPoints(ms []float64) plotter.XYs {
	s := slices.Clone(ms)
	slices.Sort(s)
	n := len(s)
	step := max(1, (n+maxPoints-1)/maxPoints)
	pts := make(plotter.XYs, 0, n/step+2)
	for i := 0; i < n; i += step {
		pts = append(pts, plotter.XY{X: s[i], Y: float64(i+1) / float64(n)})
	}
	if last := pts[len(pts)-1]; last.Y != 1 {
		pts = append(pts, plotter.XY{X: s[n-1], Y: 1})
	}
	return pts
}

// palette: distinguishable on white and in grey print.
var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
}
