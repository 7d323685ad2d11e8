package link_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/link"
)

func TestValidateNamesTheField(t *testing.T) {
	ok := link.Config{Addr: "127.0.0.1:5000"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	cases := []struct {
		field string
		edit  func(*link.Config)
	}{
		{"Addr", func(c *link.Config) { c.Addr = "" }},
		{"Addr", func(c *link.Config) { c.Addr = "localhost" }},
		{"Addr", func(c *link.Config) { c.Addr = ":5000" }},
		{"Addr", func(c *link.Config) { c.Addr = "127.0.0.1:http" }},
		{"Addr", func(c *link.Config) { c.Addr = "127.0.0.1:70000" }},
		{"DialTimeout", func(c *link.Config) { c.DialTimeout = -1 }},
		{"WriteTimeout", func(c *link.Config) { c.WriteTimeout = -time.Second }},
		{"AckTimeout", func(c *link.Config) { c.AckTimeout = -1 }},
		{"HeartbeatInterval", func(c *link.Config) { c.HeartbeatInterval = -1 }},
		{"BackoffInitial", func(c *link.Config) { c.BackoffInitial = -1 }},
		{"BackoffMax", func(c *link.Config) { c.BackoffMax = -1 }},
		{"BackoffMax", func(c *link.Config) { c.BackoffInitial = 3 * time.Second }}, // above the 2s default max
		{"BackoffJitter", func(c *link.Config) { c.BackoffJitter = 1.5 }},
		{"BackoffJitter", func(c *link.Config) { c.BackoffJitter = -0.1 }},
		{"BackoffJitter", func(c *link.Config) { c.BackoffJitter = math.NaN() }},
		{"MaxTargetAge", func(c *link.Config) { c.MaxTargetAge = -1 }},
		{"QueueSize", func(c *link.Config) { c.QueueSize = -1 }},
		{"MaxInFlight", func(c *link.Config) { c.MaxInFlight = -1 }},
		{"MaxInFlight", func(c *link.Config) { c.MaxInFlight = link.MaxMaxInFlight + 1 }},
	}
	for _, tc := range cases {
		c := ok
		tc.edit(&c)
		err := c.Validate()
		if err == nil {
			t.Errorf("%s: %+v accepted", tc.field, c)
			continue
		}
		if !strings.Contains(err.Error(), tc.field+": ") {
			t.Errorf("%s: error %q does not name the field", tc.field, err)
		}
		if _, nerr := link.New(c); nerr == nil {
			t.Errorf("%s: New accepted an invalid config", tc.field)
		}
	}
}

func TestValidateReportsEveryBadField(t *testing.T) {
	err := link.Config{AckTimeout: -1, QueueSize: -2}.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, f := range []string{"Addr: ", "AckTimeout: ", "QueueSize: "} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q misses %s", err, f)
		}
	}
}
