package main

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/controller"
	"github.com/aether-lab/aether-bridge/pkg/servo/sim"
)

// startController serves a real controller (sim servos, built-in arm) on
// 127.0.0.1 and returns its address; it is closed when the test ends.
func startController(t *testing.T) string {
	t.Helper()
	arm := armfile.Default()
	park, _ := arm.ParkPose()
	start, err := arm.Kinematics.ToExternal(park)
	if err != nil {
		t.Fatal(err)
	}
	backend, err := sim.New(sim.Config{Calibrations: arm.Servos, StartJoints: start}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := controller.New(controller.Config{Logger: slog.New(slog.DiscardHandler)}, arm, backend)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		srv.Close()
		select {
		case <-served:
		case <-time.After(5 * time.Second):
			t.Error("controller did not stop within 5 s")
		}
	})
	return ln.Addr().String()
}

// silentServer accepts connections and answers hello, then never replies
// again: a controller that hangs.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			if _, err := c.Read(buf); err == nil { // the hello line
				_, _ = c.Write([]byte(`{"status":"ok","message":"hello","type":"hello","id":1}` + "\n"))
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// closedAddr is a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
