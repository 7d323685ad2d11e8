package bus_test

import (
	"errors"
	"testing"

	"github.com/aether-lab/aether-bridge/pkg/servo"
	"github.com/aether-lab/aether-bridge/pkg/servo/bus/bustest"
	"github.com/aether-lab/aether-bridge/pkg/servo/dynamixel"
)

// While a fault is latched the controller senses the bus every tick. A
// DYNAMIXEL keeps its alert bit set until it is rebooted, and finding out
// which flag is set costs one READ (a reply budget) per servo. It must be
// paid once, when the fault latches, not on every cycle after: a few
// faulted servos would otherwise push each tick past its period.
func TestLatchedFaultIsNotReadAgainEveryCycle(t *testing.T) {
	f := families[1]
	fb := startBus(t, f, []int{2048, 2048, 2048, 2048, 2048, 2048})
	b := open(t, f, fb)
	if err := b.Write([]float64{0, 0, 0, 0, 0}, 0); err != nil {
		t.Fatal(err)
	}
	fb.Servo(3).SetFault(bustest.Fault{Flags: dynamixel.HwErrOverload})
	if err := b.Sense(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(b.Measured().Fault, servo.ErrFault) {
		t.Fatalf("fault not latched: %+v", b.Measured())
	}
	fb.ResetStats()
	for range 10 {
		if err := b.Sense(); err != nil {
			t.Fatal(err)
		}
	}
	if n := fb.Stats().Instructions[dynamixel.InstRead]; n != 0 {
		t.Fatalf("10 cycles with the fault latched sent %d READs of the hardware error status, want 0", n)
	}
	if h := b.Measured().Servos[2]; len(h.Flags) != 1 || h.Flags[0] != "overload" {
		t.Fatalf("health of id 3 while latched: %+v", h)
	}
}
