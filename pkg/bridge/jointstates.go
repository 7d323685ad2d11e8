package bridge

import (
	"fmt"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
)

// JointSample is one /joint_states message: the controller's latest sample
// in the URDF frame, with the gripper in its joint's real units.
type JointSample struct {
	Names      []string
	Positions  []float64 // rad (revolute) or m (prismatic gripper), URDF frame
	Velocities []float64 // rad/s or m/s; 0 at rest
	Stamp      time.Time // the controller's sample time (its time_ms), or receipt when it sends none
}

// gripperJoint is the gripper joint's position for a gripper command g
// (0 open .. 1 closed): linear from open to closed, in the joint's units.
func gripperJoint(open, closed, g float64) float64 { return open + g*(closed-open) }

// JointStates turns controller telemetry into /joint_states samples
// published at a fixed rate: the latest sample is repeated while the arm
// rests, velocities come from the last two samples while it moves.
type JointStates struct {
	arm           ik.Model
	gripperJoint  string
	gripperOpen   float64
	gripperClosed float64

	mu       sync.Mutex
	last     *JointSample
	recv     time.Time // when last arrived
	moving   bool      // last says the arm moves
	sent     bool      // last was returned by Latest already
	prevPos  []float64
	prevTime time.Time
}

// NewJointStates returns a tracker for s's arm and gripper.
func NewJointStates(s Settings) *JointStates {
	return &JointStates{arm: s.Arm, gripperJoint: s.GripperJoint, gripperOpen: s.GripperOpen, gripperClosed: s.GripperClosed}
}

// Update records an arm state as the Core reports it (positions already in
// the URDF frame); it returns an error when the state does not match the
// arm model (then it is not recorded).
func (j *JointStates) Update(a ArmState) error {
	n := len(j.arm.Joints)
	if len(a.State.Joints) != n || len(a.Positions) < n {
		return fmt.Errorf("telemetry has %d joints, the arm file has %d: is the controller running the same arm file?", len(a.State.Joints), n)
	}
	names := append(make([]string, 0, n+1), a.Names[:n]...)
	pos := append(make([]float64, 0, n+1), a.Positions[:n]...)
	if j.gripperJoint != "" {
		names = append(names, j.gripperJoint)
		pos = append(pos, gripperJoint(j.gripperOpen, j.gripperClosed, a.State.Gripper))
	}
	at := a.At
	if a.State.TimeMS > 0 {
		at = time.UnixMilli(a.State.TimeMS)
	}
	vel := make([]float64, len(pos))
	j.mu.Lock()
	defer j.mu.Unlock()
	if dt := at.Sub(j.prevTime).Seconds(); a.State.Moving && j.prevPos != nil && dt > 0 && len(j.prevPos) == len(pos) {
		for i := range pos {
			vel[i] = (pos[i] - j.prevPos[i]) / dt
		}
	}
	j.prevPos, j.prevTime = pos, at
	j.last = &JointSample{Names: names, Positions: pos, Velocities: vel, Stamp: at}
	j.recv, j.moving, j.sent = a.At, a.State.Moving, false
	return nil
}

// Latest returns the sample to publish at now, or false when there is
// nothing to publish: before the first telemetry, or while the arm moves
// and no new sample came since the last call (an old position must not be
// stamped as current). At rest the last sample still holds: it is
// repeated, stamped with its sample time advanced by the time since it
// arrived, so stamps keep increasing in the controller's time base (tf
// listeners drop repeated stamps). The slices are shared: callers must not
// change them.
func (j *JointStates) Latest(now time.Time) (JointSample, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.last == nil || (j.sent && j.moving) {
		return JointSample{}, false
	}
	s := *j.last
	if j.sent {
		s.Stamp = s.Stamp.Add(now.Sub(j.recv))
	}
	j.sent = true
	return s, true
}
