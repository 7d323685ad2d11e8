package controller

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/servo/sim"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults(armfile.DefaultTickHz)
	if c.MaxClients != 8 || c.MaxLine != 64<<10 || c.Watchdog != 500*time.Millisecond || c.ParkAfter != 5*time.Second ||
		c.ReleaseAfter != 2*time.Second || c.TickHz != 50 || c.EventRate != 20 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 ||
		c.MaxBadLines <= 0 || c.MaxLineRate <= 0 || c.MaxPulseStepUS != 50 || c.Logger == nil || c.Clock == nil {
		t.Fatalf("defaults %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{MaxClients: -1}, "MaxClients: -1"},
		{Config{MaxLine: 10}, "MaxLine: 10 bytes"},
		{Config{MaxLine: 1 << 30}, "MaxLine:"},
		{Config{Token: " secret\n"}, "Token: has leading or trailing white space"},
		{Config{Watchdog: -time.Second}, "Watchdog: -1s is negative"},
		{Config{ParkAfter: -1}, "ParkAfter:"},
		{Config{ReleaseAfter: -1}, "ReleaseAfter:"},
		{Config{ReadTimeout: -1}, "ReadTimeout:"},
		{Config{WriteTimeout: -1}, "WriteTimeout:"},
		{Config{TickHz: 10000}, "TickHz: 10000 Hz"},
		{Config{EventRate: math.NaN()}, "EventRate:"},
		{Config{EventRate: -1}, "EventRate:"},
		{Config{MaxBadLines: -1}, "MaxBadLines:"},
		{Config{MaxLineRate: -1}, "MaxLineRate:"},
		{Config{MaxPulseStepUS: -1}, "MaxPulseStepUS: -1 µs is outside 1..3900"},
		{Config{MaxPulseStepUS: 5000}, "MaxPulseStepUS: 5000 µs"},
	}
	backend, err := sim.New(sim.Config{Joints: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want it to mention %q", err, tc.want)
			}
			if _, err := New(tc.cfg, armfile.Default(), backend); err == nil {
				t.Fatal("New accepted the config")
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New(Config{}, armfile.Default(), nil); err == nil || !strings.Contains(err.Error(), "backend is nil") {
		t.Fatalf("nil backend: %v", err)
	}
	bad := armfile.Default()
	bad.Servos = bad.Servos[:2]
	backend, _ := sim.New(sim.Config{Joints: 5}, nil)
	if _, err := New(Config{}, bad, backend); err == nil || !strings.Contains(err.Error(), "servos: no entry for joint") {
		t.Fatalf("arm without servos for every joint: %v", err)
	}
}
