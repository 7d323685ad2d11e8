package bridge

import (
	"fmt"
	"math"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// LinkStatus is the bridge's view of its connection to the arm, for
// /aether/link_state and /diagnostics.
type LinkStatus struct {
	State  link.State
	Reason string // why the link is in State
	// Up: commands can be sent now (connected, or legacy).
	Up bool
	// Control: the controller's last reported state names this bridge as
	// the holder of the control lease.
	Control bool
	// Watchdog is the controller's watchdog state as last reported
	// (protocol.Watchdog*); "" before any report.
	Watchdog string
	// Arm is the controller's arm model against the bridge's, as of the
	// last hello.
	Arm ArmCheck
}

// ArmState is the arm as the controller reports it, in ROS units.
type ArmState struct {
	Names     []string  // joint names (the gripper is State.Gripper; JointStates maps it to its joint)
	Positions []float64 // rad in the joints' external (URDF) frame
	Pose      ik.Point  // tool position, metres
	State     protocol.State
	At        time.Time // when the bridge received it
}

// armView is what the Core knows of the arm: only what the controller
// reported, nothing reported before the last home, reset or stop was
// answered, and nothing while the move that home started still runs.
// Guarded by Core.mu.
type armView struct {
	link     LinkStatus
	pose     *ik.Point            // tool position, mm; nil = unknown
	awaiting map[protocol.ID]bool // home/reset/stop sent, not answered: reports meanwhile may predate them
	settling bool                 // one was answered: the pose stays unknown until the arm reports it rests
}

// clear forgets the pose until id is answered and the arm rests. Core.mu
// must be held.
func (a *armView) clear(id protocol.ID) {
	a.pose = nil
	a.awaiting[id] = true
}

// answered ends the wait for id's reply (or gives up on it) and reports
// whether it was one (then a fresh report is wanted: Sink.Refresh). Core.mu
// must be held.
func (a *armView) answered(id protocol.ID) bool {
	if !a.awaiting[id] {
		return false
	}
	delete(a.awaiting, id)
	a.settling = true
	return true
}

// LinkState records a change of the sink's connection (Events).
func (c *Core) LinkState(sc link.StateChange) {
	c.mu.Lock()
	st := &c.arm.link
	st.State, st.Reason = sc.State, sc.Reason
	st.Up = sc.State == link.StateConnected || sc.State == link.StateLegacy
	st.Arm = c.armCheck
	if sc.State == link.StateConnected && c.armCheck.Mismatch {
		st.Reason = c.armCheck.Message // arm_mismatch warn; under error the link backs off with it
	}
	ls := *st
	c.mu.Unlock()
	if c.out.Link != nil {
		c.out.Link(ls)
	}
}

// Telemetry records the arm's state as the controller reports it (Events).
func (c *Core) Telemetry(s protocol.State) {
	now := time.Now()
	c.mu.Lock()
	if len(c.arm.awaiting) == 0 && !(c.arm.settling && s.Moving) {
		p := ik.Point{X: s.Pose.X, Y: s.Pose.Y, Z: s.Pose.Z}
		c.arm.pose, c.arm.settling = &p, false
	}
	st := &c.arm.link
	control := s.Control == c.cfg.ClientName
	changed := st.Control != control || st.Watchdog != s.Watchdog
	st.Control, st.Watchdog = control, s.Watchdog
	ls := *st
	c.mu.Unlock()
	if changed && c.out.Link != nil {
		c.out.Link(ls)
	}
	if c.out.Telemetry != nil {
		c.out.Telemetry(c.armState(s, now))
	}
}

// armState converts a controller state to ROS units: wire angles are
// degrees in the model frame, /joint_states wants radians in the external
// (URDF) frame.
func (c *Core) armState(s protocol.State, at time.Time) ArmState {
	a := ArmState{State: s, At: at, Pose: *metres(ik.Point{X: s.Pose.X, Y: s.Pose.Y, Z: s.Pose.Z})}
	q := make([]float64, len(s.Joints))
	for i, j := range s.Joints {
		a.Names = append(a.Names, j.Name)
		q[i] = j.Deg * math.Pi / 180
	}
	if ext, err := c.cfg.Arm.ToExternal(q); err == nil {
		q = ext
	}
	a.Positions = q
	return a
}

// Link returns the link's status as last reported.
func (c *Core) Link() LinkStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.arm.link
}

// Position returns the tool position the controller last reported, in
// metres, and false when it is unknown: nothing reported yet, a home,
// reset or stop is not answered yet (the pose reported before it is
// stale), or the arm has not reported coming to rest since (a hand
// anchored mid-home would stop the home where it anchored).
func (c *Core) Position() (ik.Point, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.arm.pose == nil {
		return ik.Point{}, false
	}
	return *metres(*c.arm.pose), true
}

// unreachable returns the error for a command (named what) that cannot be
// sent because the controller is unreachable, or nil.
func (c *Core) unreachable(what string) error {
	c.mu.Lock()
	st := c.arm.link
	c.mu.Unlock()
	if st.Up {
		return nil
	}
	reason := st.State.String()
	if st.Reason != "" {
		reason += ": " + st.Reason
	}
	return &ackError{code: protocol.CodeLinkDown, msg: fmt.Sprintf(
		"the controller is unreachable (link %s): %s not sent; it is never run late, send it again once the link is connected", reason, what)}
}
