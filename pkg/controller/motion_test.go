package controller

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

func jointsDeg(st protocol.State) []float64 {
	out := make([]float64, len(st.Joints))
	for i, j := range st.Joints {
		out[i] = j.Deg
	}
	return out
}

func sameJoints(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !near(a[i], b[i], tol) {
			return false
		}
	}
	return true
}

func degs(rads []float64) []float64 {
	out := make([]float64, len(rads))
	for i, r := range rads {
		out[i] = r * 180 / math.Pi
	}
	return out
}

// TestMotionReachesTargetAtMaxSpeed: joints move no faster than
// max_joint_speed_deg_s and arrive at the IK solution of the target.
func TestMotionReachesTargetAtMaxSpeed(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","x":150,"y":40,"z":100,"gripper":"close"}`), protocol.MessageCommandReceived)
	sol, err := h.srv.model.IK(ik.Point{X: 150, Y: 40, Z: 100}, ik.Options{})
	if err != nil {
		t.Fatal(err)
	}
	perTick := armfile.DefaultMaxJointSpeedDeg*h.period.Seconds() + 1e-6
	prev := jointsDeg(h.srv.State())
	ticks := 0
	for h.srv.State().Moving || ticks == 0 {
		h.step(1)
		ticks++
		cur := jointsDeg(h.srv.State())
		if d := maxAbsDiff(prev, cur); d > perTick {
			t.Fatalf("tick %d: a joint moved %.3f°, more than %.3f° per tick", ticks, d, perTick)
		}
		prev = cur
		if ticks > 500 {
			t.Fatal("never arrived")
		}
	}
	st := h.srv.State()
	if !sameJoints(jointsDeg(st), degs(sol.Joints), 1e-3) || st.Gripper != 1 {
		t.Fatalf("arrived at %v gripper %v, want %v closed", jointsDeg(st), st.Gripper, degs(sol.Joints))
	}
	if !near(st.Pose.X, 150, 1e-2) || !near(st.Pose.Y, 40, 1e-2) || !near(st.Pose.Z, 100, 1e-2) {
		t.Fatalf("pose %+v, want (150, 40, 100)", st.Pose)
	}
	// The servos got the same angles, in their frame.
	ext, _ := h.srv.model.ToExternal(sol.Joints)
	got, _ := h.sim.Targets()
	for i := range ext {
		if !near(got[i], ext[i], 1e-9) {
			t.Fatalf("servo targets %v, want %v", got, ext)
		}
	}
}

// TestWatchdogHoldParkRelease measures each watchdog step on the fake clock.
func TestWatchdogHoldParkRelease(t *testing.T) {
	cfg := Config{Watchdog: 500 * time.Millisecond, ParkAfter: time.Second, ReleaseAfter: 400 * time.Millisecond}
	h := newHarness(t, cfg)
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived) // at t0
	elapsed := func() time.Duration { return h.clk.Now().Sub(t0) }

	h.stepUntil(100, "hold", func(st protocol.State) bool { return st.Watchdog == protocol.WatchdogHold })
	if got := elapsed(); got != cfg.Watchdog {
		t.Fatalf("hold after %v of silence, want %v", got, cfg.Watchdog)
	}
	// Holding: the accepted move ends at its target, then nothing moves.
	sol, err := h.srv.model.IK(ik.Point{X: 200, Y: 0, Z: 100}, ik.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.stepUntil(100, "move finished", func(st protocol.State) bool { return !st.Moving })
	held := jointsDeg(h.srv.State())
	if !sameJoints(held, degs(sol.Joints), 1e-3) {
		t.Fatalf("held at %v, want the accepted target %v", held, degs(sol.Joints))
	}
	h.step(10)
	if st := h.srv.State(); st.Moving || st.Watchdog != protocol.WatchdogHold || !sameJoints(jointsDeg(st), held, 0) {
		t.Fatalf("joints moved while holding: %v → %v", held, jointsDeg(st))
	}

	h.stepUntil(100, "parking", func(st protocol.State) bool { return st.Watchdog == protocol.WatchdogParking })
	if got := elapsed(); got != cfg.Watchdog+cfg.ParkAfter {
		t.Fatalf("parking began at %v, want %v", got, cfg.Watchdog+cfg.ParkAfter)
	}
	perTick := armfile.DefaultParkSpeedDeg*h.period.Seconds() + 1e-6
	prev := jointsDeg(h.srv.State())
	for h.srv.State().Watchdog == protocol.WatchdogParking {
		h.step(1)
		cur := jointsDeg(h.srv.State())
		if d := maxAbsDiff(prev, cur); d > perTick {
			t.Fatalf("parking moved a joint %.3f° in a tick, faster than park_speed_deg_s", d)
		}
		prev = cur
		if elapsed() > time.Minute {
			t.Fatal("never parked")
		}
	}
	parkedAt := elapsed()
	st := h.srv.State()
	park, _ := armfile.Default().ParkPose()
	if st.Watchdog != protocol.WatchdogParked || !sameJoints(jointsDeg(st), degs(park), 1e-3) {
		t.Fatalf("after parking: %+v, want parked at %v", st, degs(park))
	}
	h.stepUntil(100, "off", func(st protocol.State) bool { return st.Watchdog == protocol.WatchdogOff })
	if got := elapsed() - parkedAt; got != cfg.ReleaseAfter {
		t.Fatalf("pulses off %v after parking, want %v", got, cfg.ReleaseAfter)
	}
	if !h.sim.Released() || h.sim.Releases() != 1 {
		t.Fatalf("servos Released=%v Releases=%d, want released once", h.sim.Released(), h.sim.Releases())
	}
	writes := h.sim.Writes()
	h.step(5)
	if h.sim.Writes() != writes {
		t.Fatal("servos written while released")
	}
	for _, want := range []string{"watchdog: ok → hold", "watchdog: hold → parking", "watchdog: parking → parked", "watchdog: parked → off"} {
		if !strings.Contains(h.logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}

	// A new command resumes.
	wantOK(t, c.do(`{"type":"command","x":150,"y":0,"z":150}`), protocol.MessageCommandReceived)
	h.step(1)
	if st := h.srv.State(); st.Watchdog != protocol.WatchdogOK || !st.Moving || h.sim.Released() {
		t.Fatalf("after a new command: %+v, released %v", st, h.sim.Released())
	}
}

// TestAnyLineFeedsWatchdog: pings from the control client keep it ok.
func TestAnyLineFeedsWatchdog(t *testing.T) {
	h := newHarness(t, Config{Watchdog: 500 * time.Millisecond})
	c := h.dial()
	wantOK(t, c.do(seedLine), protocol.MessageCommandReceived)
	for range 10 {
		h.step(20) // 400 ms
		wantOK(t, c.do(`{"type":"ping"}`), "pong")
	}
	if wd := h.srv.State().Watchdog; wd != protocol.WatchdogOK {
		t.Fatalf("watchdog %s after 4 s of pings every 400 ms, want ok", wd)
	}
	// Another client's lines do not count.
	o := h.dial()
	for range 2 {
		h.step(20)
		wantOK(t, o.do(`{"type":"ping"}`), "pong")
	}
	if wd := h.srv.State().Watchdog; wd != protocol.WatchdogHold {
		t.Fatalf("watchdog %s with only another client talking, want hold", wd)
	}
}

func TestDisconnectHolds(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.step(2)
	c.conn.Close()
	eventually(t, "hold after disconnect", func() bool { return h.srv.State().Watchdog == protocol.WatchdogHold })
	if st := h.srv.State(); st.Control != "" {
		t.Fatalf("control still held after disconnect: %+v", st)
	}
	h.stepUntil(100, "move finished", func(st protocol.State) bool { return !st.Moving })
	st := h.srv.State()
	if !near(st.Pose.X, 200, 1e-2) || !near(st.Pose.Z, 100, 1e-2) {
		t.Fatalf("held at %+v, want the accepted target (200, 0, 100)", st.Pose)
	}
	h.step(5)
	if st2 := h.srv.State(); st2.Moving || !sameJoints(jointsDeg(st), jointsDeg(st2), 0) {
		t.Fatalf("moved while holding: %+v then %+v", st, st2)
	}
}

func TestRolesAndLease(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	a := h.dial()
	wantOK(t, a.do(`{"type":"hello","version":1,"client":"bridge-a"}`), "hello bridge-a, role control")
	wantOK(t, a.do(seedLine), protocol.MessageCommandReceived)

	b := h.dial() // a seed-style client: no hello, control
	for _, line := range []string{seedLine, `{"type":"home","id":2}`, `{"type":"reset"}`} {
		wantCode(t, b.do(line), protocol.CodeBusy, "bridge-a at 127.0.0.1:")
	}
	m := h.dial()
	wantOK(t, m.do(`{"type":"hello","version":1,"client":"dash","role":"monitor"}`), "hello dash, role monitor")
	for _, line := range []string{seedLine, `{"type":"home"}`, `{"type":"reset"}`} {
		wantCode(t, m.do(line), protocol.CodeUnauthorized, "monitor")
	}
	if st := m.do(`{"type":"status"}`); st.State == nil || st.State.Control != "bridge-a" {
		t.Fatalf("monitor status %+v", st)
	}
	// Stop works from anyone authenticated, lease or not.
	wantOK(t, m.do(`{"type":"stop"}`), "Stopped")
	wantCode(t, a.do(seedLine), protocol.CodeEstop)
	wantOK(t, b.do(`{"type":"stop"}`), "Stopped")
	wantOK(t, b.do(`{"type":"reset"}`), "Reset") // b sent stop: it may reset without the lease
	wantOK(t, a.do(seedLine), protocol.MessageCommandReceived)

	// Becoming a monitor gives the lease up.
	wantOK(t, a.do(`{"type":"hello","version":1,"client":"bridge-a","role":"monitor"}`), "hello bridge-a, role monitor")
	eventually(t, "lease released", func() bool { return h.srv.State().Control == "" })
	wantOK(t, b.do(seedLine), protocol.MessageCommandReceived)
	if got := h.srv.State().Control; got != b.conn.LocalAddr().String() {
		t.Fatalf("control %q, want b's address", got)
	}
	wantCode(t, a.do(seedLine), protocol.CodeUnauthorized)
}

// TestStopPreemptsQueuedCommand: a stop read after a command that is still
// queued halts the arm first, and the command gets estop.
func TestStopPreemptsQueuedCommand(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","id":1,"x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.step(2)

	h.servos.close()
	h.clk.Advance(h.period) // the motion loop blocks in this tick's servo write
	select {
	case <-h.servos.entered:
	case <-time.After(waitFor):
		t.Fatal("motion loop never wrote the servos")
	}
	c.send(`{"type":"command","id":2,"x":120,"y":-100,"z":250}`)
	eventually(t, "command queued", func() bool { return len(h.srv.ops) == 1 })
	c.send(`{"type":"stop","id":3}`)
	eventually(t, "stop requested", func() bool {
		h.srv.stopMu.Lock()
		defer h.srv.stopMu.Unlock()
		return len(h.srv.stopWaiters) == 1
	})
	h.servos.open()

	r := c.recv()
	wantCode(t, r, protocol.CodeEstop)
	if r.ID != "2" {
		t.Fatalf("first reply is for id %s, want 2", r.ID)
	}
	if r := c.recv(); r.ID != "3" || r.Message != "Stopped" {
		t.Fatalf("second reply %+v, want Stopped for id 3", r)
	}
	halted := h.srv.State()
	h.step(10)
	st := h.srv.State()
	if !st.Estopped || st.Moving || st.LastID != "1" || !sameJoints(jointsDeg(st), jointsDeg(halted), 0) {
		t.Fatalf("after stop: %+v (halted at %v)", st, jointsDeg(halted))
	}
}

func TestTTLExpired(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","id":1,"x":200,"y":0,"z":100,"ttl_ms":100}`), protocol.MessageCommandReceived)
	h.stallInServoWrite()
	c.send(`{"type":"command","id":2,"x":120,"y":-100,"z":250,"ttl_ms":100}`)
	eventually(t, "command queued", func() bool { return len(h.srv.ops) == 1 })
	h.clk.Advance(150 * time.Millisecond) // the arm is busy past the ttl
	h.servos.open()
	wantCode(t, c.recv(), protocol.CodeExpired, "ttl_ms 100")
	if st := h.srv.State(); st.LastID != "1" {
		t.Fatalf("an expired command was applied: last_id %s", st.LastID)
	}
}

// TestDuplicateIDReplay: a resent (client, id) gets the first reply and
// does not move the arm again, also after a reconnect.
func TestDuplicateIDReplay(t *testing.T) {
	h := newHarness(t, Config{Watchdog: time.Hour})
	hello := `{"type":"hello","version":1,"client":"bridge"}`
	p1 := `{"type":"command","id":1,"x":200,"y":0,"z":100}`
	p2 := `{"type":"command","id":2,"x":150,"y":60,"z":200}`
	a := h.dial()
	wantOK(t, a.do(hello), "hello bridge, role control")
	wantOK(t, a.do(p1), protocol.MessageCommandReceived)
	wantOK(t, a.do(p2), protocol.MessageCommandReceived)
	r := a.do(p1) // replay
	wantOK(t, r, protocol.MessageCommandReceived)
	if r.ID != "1" {
		t.Fatalf("replayed reply id %s", r.ID)
	}
	h.stepUntil(500, "arrive", func(st protocol.State) bool { return !st.Moving && st.Watchdog == protocol.WatchdogOK })
	if st := h.srv.State(); st.LastID != "2" || !near(st.Pose.X, 150, 1e-2) || !near(st.Pose.Y, 60, 1e-2) {
		t.Fatalf("the replay moved the arm: %+v, want it at p2 (150, 60, 200)", st)
	}
	wantCode(t, a.do(`{"type":"command","id":1,"x":120,"y":0,"z":200}`), protocol.CodeInvalidCommand, "already used", "new id")

	// After a reconnect, the same name and id replay too.
	a.conn.Close()
	eventually(t, "lease freed", func() bool { return h.srv.State().Control == "" })
	b := h.dial()
	wantOK(t, b.do(hello), "hello bridge, role control")
	wantOK(t, b.do(p1), protocol.MessageCommandReceived)
	if st := h.srv.State(); st.Control != "" || st.LastID != "2" {
		t.Fatalf("a replay after reconnect executed: %+v", st)
	}

	// A request refused as busy is not remembered: its retry runs.
	other := h.dial()
	wantOK(t, other.do(`{"type":"hello","version":1,"client":"other"}`), "hello other, role control")
	wantOK(t, other.do(`{"type":"home","id":"h"}`), "Homing")
	p3 := `{"type":"command","id":3,"x":120,"y":0,"z":200}`
	wantCode(t, b.do(p3), protocol.CodeBusy)
	other.conn.Close()
	eventually(t, "lease freed", func() bool { return h.srv.State().Control == "" })
	wantOK(t, b.do(p3), protocol.MessageCommandReceived)
	if st := h.srv.State(); st.LastID != "3" {
		t.Fatalf("retry after busy did not run: %+v", st)
	}
	// Stop is never cached: it works every time.
	wantOK(t, b.do(`{"type":"stop","id":1}`), "Stopped")
	wantOK(t, b.do(`{"type":"stop","id":1}`), "Stopped")
}

func TestDedupeCacheEvictsOldest(t *testing.T) {
	d := newDedupeCache(3)
	key := func(i int) dedupeKey { return dedupeKey{client: "c", id: protocol.NumericID(uint64(i))} }
	for i := range 4 {
		if prev, mm := d.claim(key(i), "fp", newResult()); prev != nil || mm {
			t.Fatalf("claim %d: prev %v mismatch %v", i, prev, mm)
		}
	}
	if d.len() != 3 {
		t.Fatalf("len %d, want 3", d.len())
	}
	if prev, _ := d.claim(key(0), "fp", newResult()); prev != nil {
		t.Fatal("the oldest entry survived eviction")
	}
	if prev, _ := d.claim(key(3), "fp", newResult()); prev == nil {
		t.Fatal("a recent entry was evicted")
	}
	if _, mm := d.claim(key(3), "other", newResult()); !mm {
		t.Fatal("a different request under a known id was not flagged")
	}
}

// TestStopLatchHoldsThroughWatchdog: while stop is latched the watchdog
// only holds (no parking, no release); home is refused until a reset.
func TestStopLatchHoldsThroughWatchdog(t *testing.T) {
	h := newHarness(t, Config{Watchdog: 100 * time.Millisecond, ParkAfter: 200 * time.Millisecond, ReleaseAfter: 100 * time.Millisecond})
	c := h.dial()
	wantOK(t, c.do(`{"type":"command","x":200,"y":0,"z":100}`), protocol.MessageCommandReceived)
	h.step(3)
	wantOK(t, c.do(`{"type":"stop"}`), "Stopped")
	halted := jointsDeg(h.srv.State())
	h.step(100) // 2 s: far past hold, park and release timeouts
	st := h.srv.State()
	if st.Watchdog != protocol.WatchdogHold || !st.Estopped || !sameJoints(jointsDeg(st), halted, 0) || h.sim.Released() {
		t.Fatalf("latched stop: %+v, released %v; want holding where it halted", st, h.sim.Released())
	}
	wantCode(t, c.do(`{"type":"home"}`), protocol.CodeEstop, "send reset first, then home")
	if st := h.srv.State(); !st.Estopped || st.Moving {
		t.Fatalf("home while latched changed the state: %+v", st)
	}
	wantOK(t, c.do(`{"type":"reset"}`), "Reset")
	wantOK(t, c.do(`{"type":"home"}`), "Homing")
	for i := 0; h.srv.State().Moving; i++ { // pings keep the watchdog ok
		if i == 100 {
			t.Fatal("home not reached")
		}
		h.step(4)
		wantOK(t, c.do(`{"type":"ping"}`), "pong")
	}
	st = h.srv.State()
	if st.Estopped || !sameJoints(jointsDeg(st), armfile.Default().Kinematics.HomeDeg, 1e-3) {
		t.Fatalf("after home: %+v, want at home_deg %v", st, armfile.Default().Kinematics.HomeDeg)
	}
}

// A bridge whose old connection went half-open reconnects under the same
// client name: it takes the lease once the old connection has been silent
// past the watchdog; a differently named client never does.
func TestSameClientTakesOverASilentLease(t *testing.T) {
	h := newHarness(t, Config{Watchdog: 500 * time.Millisecond})
	old := h.dial()
	wantOK(t, old.do(`{"type":"hello","version":1,"client":"bridge-a"}`), "hello bridge-a, role control")
	wantOK(t, old.do(seedLine), protocol.MessageCommandReceived)

	other := h.dial()
	wantOK(t, other.do(`{"type":"hello","version":1,"client":"bridge-b"}`), "hello bridge-b, role control")
	again := h.dial()
	wantOK(t, again.do(`{"type":"hello","version":1,"client":"bridge-a"}`), "hello bridge-a, role control")

	// The holder is not silent yet: even the same name waits.
	wantCode(t, again.do(seedLine), protocol.CodeBusy, "bridge-a")
	h.clk.Advance(600 * time.Millisecond) // old sends nothing: past the watchdog
	wantCode(t, other.do(seedLine), protocol.CodeBusy, "bridge-a")
	wantOK(t, again.do(seedLine), protocol.MessageCommandReceived)
	// The old connection has lost control.
	wantCode(t, old.do(seedLine), protocol.CodeBusy, "bridge-a")
}
