//go:build linux

// Command fakebus is a test helper for the panel's browser tests
// (test/panel): it runs pkg/servo/bus/bustest's register-level fake Feetech
// bus of six STS servos (ids 1..6, the SO-101's) behind a pty, so a real
// aether_controller --backend feetech opens it as its serial port.
//
// It prints "bus PATH" once the pty is open, then reads commands on stdin,
// one per line, and answers each with one line:
//
//	pos ID TICKS   move servo ID's shaft by hand  → "ok"
//	fault ID       latch an overload on servo ID   → "ok"
//	clear ID       remove the overload's cause     → "ok"
//	get ID         → "pos P goal G torque on|off"
//
// A bad command gets "error: ..." and the helper goes on. It exits when
// stdin closes.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aether-lab/aether-bridge/pkg/servo/bus/bustest"
	"github.com/aether-lab/aether-bridge/pkg/servo/feetech"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fakebus:", err)
		os.Exit(1)
	}
}

func run() error {
	ids := []byte{1, 2, 3, 4, 5, 6}
	fb, err := bustest.New(bustest.Feetech, ids, []int{2047, 2047, 2047, 2047, 2047, 2047})
	if err != nil {
		return err
	}
	defer fb.Close()
	fmt.Printf("bus %s\n", fb.Path())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Println(do(fb, strings.Fields(in.Text())))
	}
	return in.Err()
}

// do runs one command and returns its answer line.
func do(fb *bustest.Bus, f []string) string {
	if len(f) < 2 {
		return "error: want a command and a servo id"
	}
	id, err := strconv.Atoi(f[1])
	if err != nil || id < 0 || id > 253 || fb.Servo(byte(id)) == nil {
		return fmt.Sprintf("error: no servo with id %q", f[1])
	}
	s := fb.Servo(byte(id))
	switch {
	case f[0] == "pos" && len(f) == 3:
		ticks, err := strconv.Atoi(f[2])
		if err != nil {
			return fmt.Sprintf("error: ticks %q is not a whole number", f[2])
		}
		s.SetPosition(ticks)
	case f[0] == "fault" && len(f) == 2:
		s.SetFault(bustest.Fault{Flags: feetech.StatusOverload})
	case f[0] == "clear" && len(f) == 2:
		s.SetFault(bustest.Fault{})
	case f[0] == "get" && len(f) == 2:
		torque := "off"
		if s.Torque() {
			torque = "on"
		}
		return fmt.Sprintf("pos %d goal %d torque %s", s.Position(), s.Goal(), torque)
	default:
		return fmt.Sprintf("error: unknown command %q (pos ID TICKS, fault ID, clear ID, get ID)", strings.Join(f, " "))
	}
	return "ok"
}
