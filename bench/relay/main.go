//go:build cgo

// Command relay is the benchmark's floor for a ROS hop: a trivial rclgo node
// that republishes every geometry_msgs/PointStamped from one topic on another,
// unchanged. rclpy → relay → rclpy is the round trip that
// rclpy → aether_bridge → aether_controller → aether_bridge → rclpy is compared
// with (bench/run.py, P1). It uses the same rclgo, the same generated message
// bindings and the same reliable default QoS as aether_bridge's /aether/target
// subscription, and does nothing else, so the difference is the bridge's work
// plus the TCP round trip.
//
// Usage:
//
//	relay -in /bench/in -out /bench/out
//
// It runs until SIGINT or SIGTERM. Build it with scripts/env.sh sourced (cgo).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	geometry "github.com/aether-lab/aether-bridge/msgs/gen/geometry_msgs/msg"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(2)
	}
}

// options are the parsed flags.
type options struct {
	in, out string // topic names
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.in, "in", "/bench/in", "`topic` to subscribe to (geometry_msgs/msg/PointStamped)")
	fs.StringVar(&o.out, "out", "/bench/out", "`topic` to republish every message on")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: use -in TOPIC -out TOPIC", fs.Arg(0))
	}
	for _, t := range []struct{ flag, v string }{{"-in", o.in}, {"-out", o.out}} {
		if !strings.HasPrefix(t.v, "/") || strings.ContainsAny(t.v, " \t") {
			return o, fmt.Errorf("%s %q is not an absolute ROS topic name: use e.g. /bench/in", t.flag, t.v)
		}
	}
	if o.in == o.out {
		return o, fmt.Errorf("-in and -out are both %q: the relay would feed itself; use two topics", o.in)
	}
	return o, nil
}

func run(args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rctx, err := rclgo.NewContext(rclgo.ClockTypeROSTime, nil)
	if err != nil {
		return fmt.Errorf("initialising ROS 2 (rcl): %w", err)
	}
	defer rctx.Close()
	node, err := rctx.NewNode("bench_relay", "")
	if err != nil {
		return fmt.Errorf("creating node: %w", err)
	}
	pub, err := geometry.NewPointStampedPublisher(node, o.out, nil)
	if err != nil {
		return fmt.Errorf("creating publisher %s: %w", o.out, err)
	}
	_, err = geometry.NewPointStampedSubscription(node, o.in, rclgo.NewDefaultSubscriptionOptions(),
		func(m *geometry.PointStamped, _ *rclgo.MessageInfo, err error) {
			if err != nil {
				return // a wake-up without a message: nothing to relay
			}
			if err := pub.Publish(m); err != nil {
				log.Error("publish", "topic", o.out, "err", err)
			}
		})
	if err != nil {
		return fmt.Errorf("subscribing to %s: %w", o.in, err)
	}
	fmt.Fprintf(os.Stdout, "relaying %s -> %s\n", o.in, o.out)
	if err := rctx.Spin(ctx); err != nil && ctx.Err() == nil {
		return fmt.Errorf("spinning: %w", err)
	}
	return nil
}
