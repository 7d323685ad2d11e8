package bridge

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/ik"
)

type gazeboRig struct {
	trajs []Trajectory
	log   *ackLog
	core  *Core
	sink  *GazeboSink
	fail  error
}

func newGazeboRig(t *testing.T, cfg GazeboConfig) *gazeboRig {
	t.Helper()
	r := &gazeboRig{log: &ackLog{}}
	cfg.Arm = ik.DefaultModel()
	var err error
	r.sink, err = NewGazeboSink(cfg, func(tr Trajectory) error {
		if r.fail != nil {
			return r.fail
		}
		r.trajs = append(r.trajs, tr)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.core, err = NewCore(Config{Arm: cfg.Arm}, r.sink, Outputs{Ack: r.log.add})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGazeboTargetPublishesIKJointsThatFKBack(t *testing.T) {
	r := newGazeboRig(t, GazeboConfig{})
	m := ik.DefaultModel()
	want, _ := m.FK(m.HomePose())
	want.X += 20 // a nearby reachable point
	r.core.Target("/aether/target", "", want.X/1000, want.Y/1000, want.Z/1000)
	if len(r.trajs) != 1 {
		t.Fatalf("published %d trajectories (acks %+v)", len(r.trajs), r.log.acks)
	}
	tr := r.trajs[0]
	if len(tr.JointNames) != len(m.Joints) || len(tr.Positions) != len(m.Joints) {
		t.Fatalf("trajectory %+v", tr)
	}
	q, err := m.FromExternal(tr.Positions)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := m.FK(q)
	if math.Abs(got.X-want.X) > 0.1 || math.Abs(got.Y-want.Y) > 0.1 || math.Abs(got.Z-want.Z) > 0.1 {
		t.Fatalf("FK(trajectory) = %v, want %v", got, want)
	}
	if tr.Duration < 100*time.Millisecond {
		t.Fatalf("duration %v shorter than the minimum", tr.Duration)
	}
	a := r.log.last(t)
	if !a.OK || !strings.Contains(a.Message, "arm_controller/joint_trajectory") || a.Source != "/aether/target" {
		t.Fatalf("ack = %+v: should say it went to gazebo", a)
	}
}

func TestGazeboGripperJointAndStop(t *testing.T) {
	r := newGazeboRig(t, GazeboConfig{GripperJoint: "gripper_joint", GripperClosed: 0.5, Topic: "/arm/traj"})
	r.core.Gripper("/aether/gripper", 1)
	tr := r.trajs[len(r.trajs)-1]
	if tr.JointNames[len(tr.JointNames)-1] != "gripper_joint" || tr.Positions[len(tr.Positions)-1] != 0.5 {
		t.Fatalf("gripper not in trajectory: %+v", tr)
	}
	r.core.Stop("~/stop")
	tr = r.trajs[len(r.trajs)-1]
	if len(tr.Positions) != 0 || len(tr.JointNames) == 0 {
		t.Fatalf("stop should be an empty trajectory with joint names, got %+v", tr)
	}
	if a := r.log.last(t); !a.OK || a.Source != "~/stop" || !strings.Contains(a.Message, "/arm/traj") {
		t.Fatalf("ack = %+v", a)
	}
}

func TestGazeboPublishFailureIsAnErrorAck(t *testing.T) {
	r := newGazeboRig(t, GazeboConfig{})
	r.fail = errors.New("publisher closed")
	if _, err := r.core.Home("~/home"); err != nil {
		t.Fatal(err)
	}
	if a := r.log.last(t); a.OK || a.Code != "internal" || !strings.Contains(a.Message, "publisher closed") {
		t.Fatalf("ack = %+v", a)
	}
}

func TestGazeboConfigValidate(t *testing.T) {
	_, err := NewGazeboSink(GazeboConfig{Arm: ik.DefaultModel(), MaxJointSpeed: -1}, nil)
	if err == nil || !strings.Contains(err.Error(), "max_joint_speed") {
		t.Fatalf("err = %v", err)
	}
}

func TestGazeboStopLatchesUntilReset(t *testing.T) {
	r := newGazeboRig(t, GazeboConfig{GripperJoint: "g", GripperOpen: 0.1, GripperClosed: 0.5})
	m := ik.DefaultModel()
	p, _ := m.FK(m.HomePose())
	r.core.Stop("~/stop")
	n := len(r.trajs)
	r.core.Target("/aether/target", "", p.X/1000+0.01, p.Y/1000, p.Z/1000)
	if len(r.trajs) != n {
		t.Fatalf("a latched stop let %d trajectories through: %+v", len(r.trajs)-n, r.trajs[n:])
	}
	if a := r.log.last(t); a.OK || a.Code != "estop" || !strings.Contains(a.Message, "reset") {
		t.Fatalf("ack while latched = %+v", a)
	}
	r.core.Estop("/aether/estop", false) // releasing the estop sends reset
	if a := r.log.last(t); !a.OK || !strings.Contains(a.Message, "stop latch released") {
		t.Fatalf("reset ack = %+v", a)
	}
	r.core.Target("/aether/target", "", p.X/1000+0.01, p.Y/1000, p.Z/1000)
	if len(r.trajs) != n+1 {
		t.Fatalf("after reset the target was not sent (acks %+v)", r.log.acks)
	}
	if got := r.trajs[n].Positions[len(r.trajs[n].Positions)-1]; got != 0.1 {
		t.Fatalf("open gripper at %v, want GripperOpen 0.1", got)
	}
	// Home does not release the latch either (as on the controller): only a reset does.
	r.core.Stop("~/stop")
	n = len(r.trajs)
	_, _ = r.core.Home("~/home")
	if a := r.log.last(t); a.OK || len(r.trajs) != n {
		t.Fatalf("home while latched = %+v (%d trajectories), want it refused", a, len(r.trajs)-n)
	}
}

// A stop cuts a long move short where the bridge cannot see the arm. A
// gripper change after the reset would resend the joints last sent and so
// finish the interrupted move: it is refused, and nothing is published.
// No later trajectory is faster for starting before the last one ended.
func TestGazeboGripperAfterAStopMidMoveDoesNotFinishTheMove(t *testing.T) {
	clk := clock.NewFake(time.Unix(1000, 0))
	r := newGazeboRig(t, GazeboConfig{GripperJoint: "g", Clock: clk})
	m := ik.DefaultModel()
	home, _ := m.FK(m.HomePose())
	far := ik.Point{X: home.X, Y: home.Y + 150, Z: home.Z} // mm, a long base swing
	r.core.Target("/aether/target", "", far.X/1000, far.Y/1000, far.Z/1000)
	if len(r.trajs) != 1 {
		t.Fatalf("target not sent: %+v", r.log.acks)
	}
	long := r.trajs[0].Duration
	if long < 300*time.Millisecond {
		t.Fatalf("a 150 mm swing takes %v, want a long move for this test", long)
	}

	// A gripper change while the move runs keeps its pace.
	clk.Advance(long / 4)
	r.core.Gripper("/aether/gripper", 1)
	if got := r.trajs[len(r.trajs)-1].Duration; got < long*3/4 {
		t.Fatalf("gripper change mid-move: %v to finish the move, want at least the %v it had left", got, long*3/4)
	}

	clk.Advance(long / 4) // halfway
	r.core.Stop("~/stop")
	r.core.Estop("/aether/estop", false) // reset
	n := len(r.trajs)
	r.core.Gripper("/aether/gripper", 0)
	if len(r.trajs) != n {
		t.Fatalf("gripper change after a stop mid-move published %+v: the arm would finish the stopped move", r.trajs[n:])
	}
	if a := r.log.last(t); a.OK || a.Code != "missing_field" || !strings.Contains(a.Message, "send a target or home") {
		t.Fatalf("gripper ack after a stop mid-move = %+v, want it refused saying what to send", a)
	}

	// Home from wherever the arm halted: no faster than the way back from
	// the far target would allow.
	clk.Advance(time.Minute)
	if _, err := r.core.Home("~/home"); err != nil {
		t.Fatal(err)
	}
	if got := r.trajs[len(r.trajs)-1].Duration; got < long {
		t.Fatalf("home after the stop takes %v, want at least %v (the arm may be anywhere on the way)", got, long)
	}
	clk.Advance(time.Minute) // home reached: the gripper may change again
	r.core.Gripper("/aether/gripper", 0)
	if a := r.log.last(t); !a.OK {
		t.Fatalf("gripper change at rest after home = %+v", a)
	}
}
