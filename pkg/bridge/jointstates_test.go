package bridge

import (
	"math"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// state is what the Core reports for a controller state received at recv.
func state(deg []float64, gripper float64, moving bool, ms int64, recv time.Time) ArmState {
	st := protocol.State{Gripper: gripper, Moving: moving, TimeMS: ms}
	for i, j := range ik.DefaultModel().Joints {
		st.Joints = append(st.Joints, protocol.JointState{Name: j.Name, Deg: deg[i]})
	}
	return (&Core{cfg: Config{Arm: ik.DefaultModel()}}).armState(st, recv)
}

func TestJointStatesURDFFrameGripperUnitsVelocityAndStamp(t *testing.T) {
	js := NewJointStates(Settings{Arm: ik.DefaultModel(), GripperJoint: "g", GripperOpen: 0.1, GripperClosed: 0.5})
	if _, ok := js.Latest(time.Now()); ok {
		t.Fatal("a sample before any telemetry")
	}
	recv := time.Unix(2000, 0)
	if err := js.Update(state([]float64{0, 90, -90, -90, 0}, 0.5, true, 1_000_000, recv)); err != nil {
		t.Fatal(err)
	}
	if err := js.Update(state([]float64{10, 90, -90, -90, 0}, 0.5, true, 1_000_100, recv)); err != nil {
		t.Fatal(err)
	}
	s, _ := js.Latest(recv)
	if !s.Stamp.Equal(time.UnixMilli(1_000_100)) {
		t.Errorf("stamp %v, want the controller's sample time", s.Stamp)
	}
	if s.Names[5] != "g" || math.Abs(s.Positions[5]-0.3) > 1e-12 {
		t.Errorf("gripper %s=%v, want g=0.3 (halfway between open and closed)", s.Names[5], s.Positions[5])
	}
	if math.Abs(s.Positions[1]) > 1e-12 { // shoulder zero_deg 90: model 90° is URDF 0
		t.Errorf("shoulder %v, want 0 in the URDF frame", s.Positions[1])
	}
	if want := (10 * math.Pi / 180) / 0.1; math.Abs(s.Velocities[0]-want) > 1e-9 {
		t.Errorf("base velocity %v, want %v", s.Velocities[0], want)
	}
	// At rest the velocity is zero, whatever the previous sample was.
	_ = js.Update(state([]float64{10, 90, -90, -90, 0}, 0.5, false, 1_000_200, recv))
	if s, _ := js.Latest(recv); s.Velocities[0] != 0 {
		t.Errorf("velocity at rest %v", s.Velocities[0])
	}
	// Without time_ms (a seed server), the receipt time.
	_ = js.Update(state([]float64{10, 90, -90, -90, 0}, 0, false, 0, recv))
	if s, _ := js.Latest(recv); !s.Stamp.Equal(recv) {
		t.Errorf("stamp %v, want receipt %v", s.Stamp, recv)
	}
	// Repeated at rest with the stamp advancing by the time since receipt.
	if s, ok := js.Latest(recv.Add(20 * time.Millisecond)); !ok || !s.Stamp.Equal(recv.Add(20*time.Millisecond)) {
		t.Errorf("repeat at rest: ok=%v stamp %v", ok, s.Stamp)
	}
}

func TestJointStatesNotRepeatedWhileMoving(t *testing.T) {
	js := NewJointStates(Settings{Arm: ik.DefaultModel()})
	now := time.Unix(100, 0)
	_ = js.Update(state([]float64{0, 90, -90, -90, 0}, 0, true, 5000, now))
	if _, ok := js.Latest(now); !ok {
		t.Fatal("new sample not returned")
	}
	if s, ok := js.Latest(now.Add(20 * time.Millisecond)); ok {
		t.Fatalf("an old sample was repeated while moving: %+v", s)
	}
}

func TestJointStatesRefusesAnotherArm(t *testing.T) {
	js := NewJointStates(Settings{Arm: ik.DefaultModel()})
	st := state([]float64{0, 90, -90, -90, 0}, 0, false, 1, time.Now())
	st.State.Joints = st.State.Joints[:4]
	if err := js.Update(st); err == nil {
		t.Fatal("4 joints accepted for a 5-joint arm")
	}
}
