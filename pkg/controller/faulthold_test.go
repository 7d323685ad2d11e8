package controller

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// feedbackSim adds servo.Feedback to the sim servos: they report the pose
// they were last sent, and a fault set by the test, which (like the bus
// backends) makes Write send nothing until Recover.
type feedbackSim struct {
	*gatedBackend
	now   func() time.Time
	mu    sync.Mutex
	fault error
}

func (f *feedbackSim) setFault(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = err
}

func (f *feedbackSim) Write(joints []float64, gripper float64) error {
	f.mu.Lock()
	fault := f.fault
	f.mu.Unlock()
	if fault != nil {
		return fault
	}
	return f.gatedBackend.Write(joints, gripper)
}

func (f *feedbackSim) Sense() error { return nil }

func (f *feedbackSim) Measured() servo.Measurement {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, g := f.sim().Targets()
	return servo.Measurement{Joints: j, Gripper: g, At: f.now(), Torque: !f.sim().Released(), Fault: f.fault}
}

func (f *feedbackSim) Recover() error {
	f.setFault(nil)
	return nil
}

func (f *feedbackSim) sim() interface {
	Targets() ([]float64, float64)
	Released() bool
} {
	return f.gatedBackend.Backend
}

// TestServoFaultHoldsWithoutParking: a servo fault holds the arm where it
// is until the operator switches torque on. The watchdog must not turn the
// hold into a park: the servos take no goals while faulted, so a park
// would only walk the commanded pose away from the arm and report
// "parking" for an arm that is held.
func TestServoFaultHoldsWithoutParking(t *testing.T) {
	cfg := Config{Watchdog: 100 * time.Millisecond, ParkAfter: 200 * time.Millisecond, ReleaseAfter: 100 * time.Millisecond}
	var fs *feedbackSim
	h := newHarnessWith(t, cfg, armfile.Default(), func(h *harness) servo.Backend {
		fs = &feedbackSim{gatedBackend: h.servos, now: h.clk.Now}
		return fs
	})
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.step(5)
	fs.setFault(fmt.Errorf("%w: id 3 reports overload", servo.ErrFault))
	h.step(1)
	held := h.srv.State()
	if held.Watchdog != protocol.WatchdogHold || held.Fault == "" {
		t.Fatalf("after the fault: watchdog %q fault %q, want hold with the fault", held.Watchdog, held.Fault)
	}
	h.step(50) // 1 s: far past the park timeout
	st := h.srv.State()
	if st.Watchdog != protocol.WatchdogHold || !sameJoints(jointsDeg(st), jointsDeg(held), 1e-9) {
		t.Fatalf("faulted arm: watchdog %q joints %v, want hold at %v", st.Watchdog, jointsDeg(st), jointsDeg(held))
	}
	if cmd := commandedDeg(st); !sameJoints(cmd, commandedDeg(held), 1e-9) {
		t.Fatalf("faulted arm: commanded joints went %v → %v while held", commandedDeg(held), cmd)
	}
}

func commandedDeg(st protocol.State) []float64 {
	out := make([]float64, len(st.Commanded))
	for i, j := range st.Commanded {
		out[i] = j.Deg
	}
	return out
}

// A fault reported by a limp arm (torque off) is latched and refuses
// motion, but the arm is not held: the state says off, not hold.
func TestServoFaultOnALimpArmStaysOff(t *testing.T) {
	var fs *feedbackSim
	h := newHarnessWith(t, Config{}, armfile.Default(), func(h *harness) servo.Backend {
		fs = &feedbackSim{gatedBackend: h.servos, now: h.clk.Now}
		return fs
	})
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.step(3)
	if r := c.do(`{"type":"torque","on":false}`); r.Status != protocol.StatusOK {
		t.Fatalf("torque off: %+v", r)
	}
	fs.setFault(fmt.Errorf("%w: id 2 reports voltage", servo.ErrFault))
	h.step(2)
	if st := h.srv.State(); st.Watchdog != protocol.WatchdogOff || st.Fault == "" {
		t.Fatalf("fault on a limp arm: watchdog %q fault %q, want off with the fault", st.Watchdog, st.Fault)
	}
	wantCode(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.CodeServoFault)
}

// Neither a reset of a fault-held arm nor torque on under a latched stop
// makes the state claim the arm follows commands (watchdog ok): both stay
// held until the fault is recovered or the stop reset.
func TestHeldArmStaysHeldThroughResetAndTorqueOn(t *testing.T) {
	var fs *feedbackSim
	h := newHarnessWith(t, Config{Watchdog: time.Hour}, armfile.Default(), func(h *harness) servo.Backend {
		fs = &feedbackSim{gatedBackend: h.servos, now: h.clk.Now}
		return fs
	})
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.step(3)
	wantOK(t, c.do(`{"type":"stop"}`), "Stopped")
	if r := c.do(`{"type":"torque","on":false}`); r.Status != protocol.StatusOK {
		t.Fatalf("torque off: %+v", r)
	}
	if r := c.do(`{"type":"torque","on":true}`); r.Status != protocol.StatusOK {
		t.Fatalf("torque on: %+v", r)
	}
	if st := h.srv.State(); st.Watchdog != protocol.WatchdogHold || !st.Estopped {
		t.Fatalf("torque on under a latched stop: watchdog %q estopped %v, want hold, latched", st.Watchdog, st.Estopped)
	}
	wantOK(t, c.do(`{"type":"reset"}`), "Reset")

	fs.setFault(fmt.Errorf("%w: id 3 reports overheat", servo.ErrFault))
	h.step(2)
	wantOK(t, c.do(`{"type":"reset"}`), "Reset")
	if st := h.srv.State(); st.Watchdog != protocol.WatchdogHold || st.Fault == "" {
		t.Fatalf("reset of a fault-held arm: watchdog %q fault %q, want hold with the fault", st.Watchdog, st.Fault)
	}
}
