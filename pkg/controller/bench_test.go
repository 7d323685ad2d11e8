package controller

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/servo/sim"
)

// BenchmarkCommandRoundTrip is one hand-tracking target over TCP: decode,
// IK, motion loop, reply. Target: well under 1 ms, so a 60 Hz stream
// leaves the Pi mostly idle.
func BenchmarkCommandRoundTrip(b *testing.B) {
	arm := armfile.Default()
	backend, err := sim.New(sim.Config{Calibrations: arm.Servos}, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(Config{Logger: slog.New(slog.DiscardHandler), MaxLineRate: 1 << 30, Watchdog: time.Hour}, arm, backend)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(b.Context(), ln) }()
	defer func() { srv.Close(); <-served }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	line := []byte(seedLine + "\n")
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if _, err := conn.Write(line); err != nil {
			b.Fatal(err)
		}
		if _, err := r.ReadSlice('\n'); err != nil {
			b.Fatal(err)
		}
	}
	if per := time.Since(start) / time.Duration(b.N); per > time.Millisecond {
		b.Errorf("%v per command, want under 1 ms", per)
	}
}

// BenchmarkTick is one motion-loop tick while moving: step, clamp, frame
// conversion, servo write, FK snapshot. Target: under 10% of a 50 Hz period.
func BenchmarkTick(b *testing.B) {
	arm := armfile.Default()
	backend, err := sim.New(sim.Config{Calibrations: arm.Servos}, nil)
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.NewFake(t0)
	srv, err := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clk}, arm, backend)
	if err != nil {
		b.Fatal(err)
	}
	srv.Close() // the loop is gone: drive its state from here
	m := srv.motion
	m.released = false
	copy(m.target, m.home)
	now := t0
	b.ReportAllocs()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		if i%50 == 0 { // keep moving
			if i%100 == 0 {
				copy(m.target, m.home)
			} else {
				p, _ := arm.ParkPose()
				copy(m.target, p)
			}
		}
		now = now.Add(20 * time.Millisecond)
		m.tick(now)
	}
	if per := time.Since(start) / time.Duration(b.N); per > 2*time.Millisecond {
		b.Errorf("%v per tick, want under 2 ms (10%% of a 50 Hz period)", per)
	}
}
