package armfile

import (
	"os"
	"strings"
	"testing"
)

func TestGripperDefaultsAndPosition(t *testing.T) {
	g := Gripper{}.withDefaults()
	if g.Joint != DefaultGripperJoint || g.Type != GripperRevolute || g.Closed != DefaultGripperClosedRad {
		t.Fatalf("defaults %+v", g)
	}
	p := Gripper{Type: GripperPrismatic}.withDefaults()
	if p.Closed != DefaultGripperClosedM || p.Unit() != "m" {
		t.Fatalf("prismatic defaults %+v", p)
	}
	if got := p.Position(0.5); got != 0.01 {
		t.Errorf("Position(0.5) = %v, want 0.01", got)
	}
	rev := Gripper{Open: 0.5, Closed: -0.3, Type: GripperRevolute, Joint: "g"}
	if lo, hi := rev.Limits(); lo != -0.3 || hi != 0.5 {
		t.Errorf("Limits = %v, %v", lo, hi)
	}
}

func TestGripperValidate(t *testing.T) {
	for _, tc := range []struct {
		g    Gripper
		want string
	}{
		{Gripper{Joint: "base_yaw", Type: GripperRevolute, Closed: 1}, `gripper.joint: "base_yaw" is already a kinematic joint`},
		{Gripper{Joint: "g", Type: "hinge", Closed: 1}, `gripper.type: "hinge"`},
		{Gripper{Joint: "g", Type: GripperPrismatic, Closed: 18}, "gripper.closed: 18 m is outside ±0.5 m"},
		{Gripper{Joint: "g", Type: GripperRevolute, Open: 45, Closed: 0}, "gripper.open: 45 rad"},
		{Gripper{Joint: "g", Type: GripperRevolute, Open: 0.2, Closed: 0.2}, "equals gripper.open"},
	} {
		errs := tc.g.validate([]string{"base_yaw"})
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%+v: errs %v, want %q", tc.g, errs, tc.want)
		}
	}
}

func TestParseReadsGripper(t *testing.T) {
	a, err := Parse([]byte(strings.Replace(string(mustRead(t, "../../config/arm.yaml")),
		"gripper: {joint: gripper_joint, type: revolute, open: 0.0, closed: 0.8}",
		"gripper: {joint: finger, type: prismatic, closed: 0.02}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if a.Gripper.Joint != "finger" || a.Gripper.Type != GripperPrismatic || a.Gripper.Closed != 0.02 {
		t.Fatalf("gripper %+v", a.Gripper)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
