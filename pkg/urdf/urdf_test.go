package urdf

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
)

func TestGenerateDefaultArm(t *testing.T) {
	out, err := Generate(armfile.Default(), Options{ControllersFile: "/opt/ros/share/aether_bridge/config/controllers.yaml", Namespace: "/arm2"})
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Joints []struct {
			Name string `xml:"name,attr"`
			Type string `xml:"type,attr"`
		} `xml:"joint"`
	}
	if err := xml.Unmarshal(out, &r); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	var moving []string
	for _, j := range r.Joints {
		if j.Type != "fixed" {
			moving = append(moving, j.Name+":"+j.Type)
		}
	}
	want := "base_yaw:revolute shoulder_pitch:revolute elbow_pitch:revolute wrist_pitch:revolute wrist_roll:revolute gripper_joint:revolute"
	if got := strings.Join(moving, " "); got != want {
		t.Errorf("moving joints %q, want %q", got, want)
	}
	for _, s := range []string{
		"<parameters>/opt/ros/share/aether_bridge/config/controllers.yaml</parameters>",
		"<namespace>/arm2</namespace>",
		`<param name="initial_value">0</param>`,
	} {
		if !strings.Contains(string(out), s) {
			t.Errorf("URDF lacks %s", s)
		}
	}
}

func TestGenerateRefusesLinkNameClash(t *testing.T) {
	a := armfile.Default()
	_, err := Generate(a, Options{BaseFrame: "base_yaw_link"})
	if err == nil || !strings.Contains(err.Error(), `two links would be named "base_yaw_link"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestGenerateRefusesInvalidArm(t *testing.T) {
	a := armfile.Default()
	a.Gripper.Closed = a.Gripper.Open
	if _, err := Generate(a, Options{}); err == nil || !strings.Contains(err.Error(), "gripper.closed") {
		t.Fatalf("err = %v", err)
	}
}
