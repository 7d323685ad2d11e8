// Command linkload is the benchmark's pure-Go load and measurement helper
// (bench/run.py starts it; see bench/README.md). It talks protocol v1 to a
// running aether_controller on 127.0.0.1 and writes one JSON result.
//
// Modes:
//
//	linkload ndjson  -addr A -rate HZ -duration D -out F   loopback NDJSON round trips (pings), paced
//	linkload monitor -addr A -duration D -out F            record pushed state events (a monitor client)
//	linkload fifo    -addr A -rate HZ -duration D -out F   P2 baseline: queue every target, send in order
//	linkload link    -addr A -duration D -out F            acked targets/s through pkg/link alone
//
// It prints "ready" once measuring can start, and stops early, still
// writing its result, on SIGINT or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "linkload:", err)
		os.Exit(1)
	}
}

// options are the parsed flags of one mode.
type options struct {
	mode     string
	addr     string
	rate     float64       // Hz (ndjson, fifo)
	duration time.Duration // how long to measure
	warm     time.Duration // link: warm-up before counting
	drain    time.Duration // fifo: how long to keep sending after duration
	timeout  time.Duration // connect and per-reply timeout
	out      string        // result file, "-" = stdout
}

const modes = "ndjson, monitor, fifo or link"

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "usage: linkload MODE [flags]; MODE is %s; linkload MODE -h lists the flags\n", modes)
		if len(args) == 0 {
			return o, fmt.Errorf("no mode given: use %s", modes)
		}
		return o, flag.ErrHelp
	}
	o.mode = args[0]
	switch o.mode {
	case "ndjson", "monitor", "fifo", "link":
	default:
		return o, fmt.Errorf("unknown mode %q: use %s", o.mode, modes)
	}
	fs := flag.NewFlagSet("linkload "+o.mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "", "controller `host:port` on this machine, e.g. 127.0.0.1:5000 (required)")
	fs.Float64Var(&o.rate, "rate", 1000, "messages per `second` (ndjson, fifo)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to measure")
	fs.DurationVar(&o.warm, "warm", time.Second, "warm-up before counting (link)")
	fs.DurationVar(&o.drain, "drain", 5*time.Second, "how long to keep sending queued targets after -duration (fifo)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Second, "connect timeout and longest wait for one reply")
	fs.StringVar(&o.out, "out", "-", "result `file` (JSON); - = standard output")
	if err := fs.Parse(args[1:]); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: every setting is a flag, see linkload %s -h", fs.Arg(0), o.mode)
	}
	return o, o.validate()
}

// validate rejects values the modes cannot use, naming the flag.
func (o options) validate() error {
	var errs []error
	if o.addr == "" {
		errs = append(errs, errors.New("-addr is required: the controller's host:port, e.g. 127.0.0.1:5000"))
	} else if host, port, err := net.SplitHostPort(o.addr); err != nil {
		errs = append(errs, fmt.Errorf("-addr %q is not host:port (%v): use e.g. 127.0.0.1:5000", o.addr, err))
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		errs = append(errs, fmt.Errorf("-addr %q: the benchmark only talks to this machine; use a loopback address such as 127.0.0.1", o.addr))
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		errs = append(errs, fmt.Errorf("-addr %q: port %q is not a number from 1 to 65535", o.addr, port))
	}
	if !(o.rate > 0 && o.rate <= 100000) {
		errs = append(errs, fmt.Errorf("-rate %v: use a rate from above 0 to 100000 messages per second", o.rate))
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
		min  time.Duration
	}{{"-duration", o.duration, time.Millisecond}, {"-warm", o.warm, 0}, {"-drain", o.drain, 0}, {"-timeout", o.timeout, time.Millisecond}} {
		if d.v < d.min || d.v > time.Hour {
			errs = append(errs, fmt.Errorf("%s %v: use a duration from %v to 1h", d.flag, d.v, d.min))
		}
	}
	if o.out == "" {
		errs = append(errs, errors.New("-out is empty: name a result file, or - for standard output"))
	}
	return errors.Join(errs...)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ready := func() { fmt.Fprintln(stdout, "ready") }
	var res any
	switch o.mode {
	case "ndjson":
		ready()
		res, err = runNDJSON(ctx, o.addr, o.rate, o.duration, o.timeout)
	case "monitor":
		res, err = runMonitor(ctx, o.addr, o.duration, o.timeout, ready)
	case "fifo":
		ready()
		res, err = runFIFO(ctx, o.addr, o.rate, o.duration, o.drain, o.timeout)
	case "link":
		ready()
		res, err = runLink(ctx, o.addr, o.warm, o.duration)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", o.mode, err)
	}
	return writeResult(o.out, stdout, res)
}

// writeResult writes res as JSON to path, or to stdout for "-".
func writeResult(path string, stdout io.Writer, res any) error {
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = stdout.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}
