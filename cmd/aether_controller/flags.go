package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"
)

// flagOfField names the flag that sets each controller.Config field, so a
// Validate error names what the user typed (--max-line), not the Go field.
var flagOfField = map[string]string{
	"MaxClients":     "--max-clients",
	"MaxLine":        "--max-line",
	"Token":          "--token-file",
	"Watchdog":       "--watchdog",
	"ParkAfter":      "--park-after",
	"ReleaseAfter":   "--release-after",
	"MaxLineRate":    "--max-line-rate",
	"MaxPulseStepUS": "--max-pulse-step",
}

// durationValue is a time.Duration flag whose parse error says what to
// write: "--watchdog 50" gets "a duration needs a unit", not "parse error".
type durationValue time.Duration

// durationVar defines a duration flag like flag.DurationVar.
func durationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var((*durationValue)(p), name, usage)
}

// String shows the duration as --help prints defaults.
func (d *durationValue) String() string { return time.Duration(*d).String() }

// Set parses a flag value; the error says a unit is needed.
func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err == nil {
		*d = durationValue(v)
		return nil
	}
	if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
		return fmt.Errorf("a duration needs a unit: write e.g. %sms or %ss (units: ms, s, m)", s, s)
	}
	return errors.New("not a duration: write a number with a unit, e.g. 500ms, 2s or 1m30s")
}

// checkHostPort reports an --listen/--http value that is not host:port,
// saying what to write instead. An empty host (":5000") is fine: it means
// every interface.
func checkHostPort(flagName, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		if _, nerr := strconv.ParseUint(addr, 10, 16); nerr == nil {
			return fmt.Errorf("--%s %s: the host part is missing: use 127.0.0.1:%s (this machine only) or :%s (every interface)", flagName, addr, addr, addr)
		}
		return fmt.Errorf("--%s %q is not host:port: use e.g. 127.0.0.1:5000 (this machine only) or :5000 (every interface)", flagName, addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("--%s %s: port %q is not a number from 0 to 65535 (0 picks a free port)", flagName, addr, port)
	}
	return nil
}

// listenHint is the fix to suggest when listening on the address of flagName
// failed with err.
func listenHint(flagName string, err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Sprintf("another program (another aether_controller?) is using that port: stop it or change --%s", flagName)
	case errors.Is(err, syscall.EACCES):
		return fmt.Sprintf("ports below 1024 need root: use a port from 1024 up in --%s", flagName)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Sprintf("that IP address is not one of this machine's: use one it has, 127.0.0.1 or an empty host in --%s", flagName)
	}
	return "check --" + flagName
}
