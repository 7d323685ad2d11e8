package bridge

import (
	"os"
	"strings"
	"testing"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

const armYAML = "../../config/arm.yaml"

// narrowedArm writes config/arm.yaml with base_yaw's servo range narrowed:
// the same kinematics, but an effective model that rejects other targets.
func narrowedArm(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(armYAML)
	if err != nil {
		t.Fatal(err)
	}
	const from = "{joint: base_yaw,       channel: 0, pulse_min_us: 500, pulse_max_us: 2500, angle_min_deg: -90, angle_max_deg: 90,"
	if !strings.Contains(string(b), from) {
		t.Fatalf("%s no longer has %q", armYAML, from)
	}
	return writeFile(t, strings.Replace(string(b), from,
		"{joint: base_yaw,       channel: 0, pulse_min_us: 500, pulse_max_us: 2500, angle_min_deg: -45, angle_max_deg: 45,", 1))
}

// The bridge hashes the model it checks targets with exactly as the
// controller hashes its arm file for hello's arm_hash: the same file gives
// the same hash on both sides, and a servo range that narrows the effective
// model gives another.
func TestArmHashMatchesTheControllersForTheSameFile(t *testing.T) {
	narrow := narrowedArm(t)
	hashes := map[string]string{}
	for _, file := range []string{"", armYAML, narrow} {
		argv := []string{"--ros-args"}
		if file != "" {
			argv = append(argv, "-p", "arm:="+file)
		}
		s, err := load(t, argv...)
		if err != nil {
			t.Fatal(err)
		}
		ctl := armfile.Default()
		if file != "" {
			if ctl, err = armfile.Load(file); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := armfile.ModelHash(s.Arm), ctl.Hash(); got != want {
			t.Errorf("arm %q: bridge hash %s, controller hash %s", file, got, want)
		}
		hashes[file] = armfile.ModelHash(s.Arm)
	}
	if hashes[armYAML] == hashes[narrow] {
		t.Error("a narrower servo range does not change arm_hash")
	}
}

func coreWithArm(t *testing.T, policy string) (*Core, *fakeSink, *ackLog, string) {
	t.Helper()
	s, err := load(t, "--ros-args", "-p", "arm:="+armYAML, "-p", "arm_mismatch:="+policy)
	if err != nil {
		t.Fatal(err)
	}
	c, sink, log := newCore(t, s.Core())
	return c, sink, log, armfile.ModelHash(s.Arm)
}

func TestArmMismatchRefusesMotionUntilAMatchingController(t *testing.T) {
	c, sink, log, own := coreWithArm(t, ArmMismatchError)
	other := &protocol.ServerInfo{Arm: "aether-5dof", ArmHash: "sha256:0123456789abcdef0123"}
	err := c.CheckServer(other)
	if err == nil {
		t.Fatal("a controller with another arm model was accepted")
	}
	for _, want := range []string{`the controller uses arm "aether-5dof" (arm_hash sha256:0123456789ab)`,
		"the bridge uses arm file " + armYAML + " (arm_hash " + own[:len("sha256:")+12] + ")",
		"same file as aether_controller's --arm", "motion is refused until they match", "arm_mismatch:=warn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if a := c.ArmCheck(); !a.Checked || !a.Mismatch || !a.Refused || a.Controller != other.ArmHash || a.Bridge != own {
		t.Fatalf("ArmCheck = %+v", a)
	}
	p := reachable(t)
	c.Target("/aether/target", "", p.X, p.Y, p.Z)
	c.Gripper("/aether/gripper", 1)
	if _, err := c.Home("~/home"); err == nil {
		t.Error("home was sent to a mismatched controller")
	}
	if len(sink.targets)+len(sink.sent) != 0 {
		t.Fatalf("motion reached the sink: targets %v sent %v", sink.targets, sink.sent)
	}
	for _, a := range log.acks {
		if a.OK || a.Code != string(protocol.CodeArmMismatch) || !strings.Contains(a.Message, "arm model mismatch") {
			t.Errorf("ack %+v, want an arm_mismatch error", a)
		}
	}
	c.Stop("~/stop") // stop is never refused
	if sink.stops != 1 {
		t.Fatal("stop was refused")
	}

	// The controller restarted with the bridge's arm file: motion flows again.
	if err := c.CheckServer(&protocol.ServerInfo{Arm: "aether-desktop-5dof", ArmHash: own}); err != nil {
		t.Fatalf("matching controller refused: %v", err)
	}
	if a := c.ArmCheck(); !a.Checked || a.Mismatch || a.Message != "" {
		t.Fatalf("ArmCheck after a match = %+v", a)
	}
	c.Target("/aether/target", "", p.X, p.Y, p.Z)
	if len(sink.targets) != 1 {
		t.Fatal("target refused after the arm files matched")
	}
}

func TestArmMismatchWarnLetsMotionThrough(t *testing.T) {
	c, sink, _, _ := coreWithArm(t, ArmMismatchWarn)
	if err := c.CheckServer(&protocol.ServerInfo{Arm: "x", ArmHash: "sha256:ff"}); err != nil {
		t.Fatalf("warn policy refused the connection: %v", err)
	}
	if a := c.ArmCheck(); !a.Mismatch || a.Refused || !strings.Contains(a.Message, "arm_mismatch is warn") {
		t.Fatalf("ArmCheck = %+v", a)
	}
	c.LinkState(link.StateChange{State: link.StateConnected, Reason: "hello answered"})
	if ls := c.Link(); !ls.Arm.Mismatch || !strings.Contains(ls.Reason, "arm model mismatch") {
		t.Fatalf("link status %+v does not carry the warning", ls)
	}
	p := reachable(t)
	c.Target("/aether/target", "", p.X, p.Y, p.Z)
	if len(sink.targets) != 1 {
		t.Fatal("warn policy refused a target")
	}
}

// A seed-protocol server (no hello) or one that sends no arm_hash cannot be
// checked; that is not a mismatch.
func TestNoArmHashIsUnchecked(t *testing.T) {
	c, _, _, _ := coreWithArm(t, ArmMismatchError)
	for _, info := range []*protocol.ServerInfo{nil, {Arm: "x"}} {
		if err := c.CheckServer(info); err != nil {
			t.Fatalf("CheckServer(%+v) = %v", info, err)
		}
		if a := c.ArmCheck(); a.Checked || a.Mismatch {
			t.Fatalf("ArmCheck = %+v", a)
		}
	}
}
