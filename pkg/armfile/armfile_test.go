package armfile

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/servo"
)

func TestConfigArmYAMLIsDefault(t *testing.T) {
	got, err := Load("../../config/arm.yaml")
	if err != nil {
		t.Fatalf("Load(config/arm.yaml): %v", err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Fatalf("config/arm.yaml parses to\n%+v\nwant Default()\n%+v", got, want)
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestDefaultMotion(t *testing.T) {
	m := Default().Motion
	if m.TickHz != 50 || m.MaxJointSpeedDegS != 90 || m.ParkSpeedDegS != 30 || m.GripperSpeedPerS != 2 {
		t.Fatalf("default motion %+v", m)
	}
}

// armYAML is config/arm.yaml with edits applied.
func armYAML(t *testing.T, edits ...func(string) string) string {
	t.Helper()
	b, err := os.ReadFile("../../config/arm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, e := range edits {
		s = e(s)
	}
	return s
}

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("config/arm.yaml no longer contains " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
}

func appendText(text string) func(string) string {
	return func(s string) string { return s + text }
}

const gripperLine = "  - {joint: gripper,        channel: 5, pulse_min_us: 500, pulse_max_us: 2500, angle_min_deg: -90, angle_max_deg: 90, direction: 1, offset_deg: 0}\n"

func TestParseErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"empty", "", []string{"empty"}},
		{"not yaml", "name: [", []string{"yaml"}},
		{"unknown top-level key", armYAML(t, appendText("servo_speed: 3\n")), []string{"servo_speed", "known top-level keys"}},
		{"unknown motion key", armYAML(t, appendText("motion: {tick_rate: 50}\n")), []string{"tick_rate"}},
		{"no servos", armYAML(t, func(s string) string { return s[:strings.Index(s, "servos:")] }), []string{"servos: missing", "gripper"}},
		{"no gripper servo", armYAML(t, replace(gripperLine, "")), []string{`servos: no entry for joint "gripper"`}},
		{"unknown servo joint", armYAML(t, replace("joint: wrist_roll,", "joint: wrist_rol,")), []string{`servos[4] (joint "wrist_rol"): joint: unknown joint`}},
		{"duplicate channel", armYAML(t, replace("channel: 5", "channel: 4")), []string{"channel: 4 is already used by servos[4]"}},
		{"pulse typo", armYAML(t, replace("channel: 2, pulse_min_us: 500", "channel: 2, pulse_min_us: 5")), []string{"servos[2]", "pulse_min_us: 5"}},
		{"servo field type", armYAML(t, replace("channel: 3,", "channel: three,")), []string{"three"}},
		{"bad kinematics", armYAML(t, replace("upper_arm: 120", "upper_arm: 0")), []string{"kinematics.upper_arm"}},
		{"tick_hz", armYAML(t, appendText("motion: {tick_hz: 5000}\n")), []string{"motion.tick_hz: 5000 Hz"}},
		{"negative speed", armYAML(t, appendText("motion: {max_joint_speed_deg_s: -10}\n")), []string{"motion.max_joint_speed_deg_s: -10"}},
		{"park speed NaN", armYAML(t, appendText("motion: {park_speed_deg_s: .nan}\n")), []string{"motion.park_speed_deg_s: NaN"}},
		{"gripper speed", armYAML(t, appendText("motion: {gripper_speed_per_s: 1000}\n")), []string{"motion.gripper_speed_per_s"}},
		{"servo range misses the joint", armYAML(t, replace(
			"{joint: shoulder_pitch, channel: 1, pulse_min_us: 500, pulse_max_us: 2500, angle_min_deg: -90, angle_max_deg: 90",
			"{joint: shoulder_pitch, channel: 1, pulse_min_us: 500, pulse_max_us: 2500, angle_min_deg: 100, angle_max_deg: 170")),
			[]string{"servos[1] (joint \"shoulder_pitch\")", "does not overlap kinematics.joints[1]"}},
		{"home out of servo range", armYAML(t, replace(
			"{joint: elbow_pitch,    channel: 2, pulse_min_us: 500, pulse_max_us: 2500, angle_min_deg: -90, angle_max_deg: 90",
			"{joint: elbow_pitch,    channel: 2, pulse_min_us: 500, pulse_max_us: 2500, angle_min_deg: -45, angle_max_deg: 45")),
			[]string{"kinematics.home_deg[2]: -90°", "servos[2]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatal("Parse accepted the file")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseOrdersServosAndFillsDefaults(t *testing.T) {
	y := armYAML(t, replace(gripperLine, ""), func(s string) string {
		return strings.Replace(s, "servos:\n", "servos:\n"+gripperLine, 1)
	}, replace("name: aether-desktop-5dof\n\n", "\n"), appendText("motion: {park_speed_deg_s: 10}\n"))
	a, err := Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Servos[len(a.Servos)-1].Joint; got != servo.GripperJoint {
		t.Fatalf("servos not in arm order, gripper last: last is %q", got)
	}
	if a.Name != a.Kinematics.Name || a.Motion.ParkSpeedDegS != 10 || a.Motion.TickHz != DefaultTickHz {
		t.Fatalf("defaults: name %q motion %+v", a.Name, a.Motion)
	}
}

func TestLimitsParkAndModel(t *testing.T) {
	a := Default()
	lo, hi := a.Limits()
	// Elbow: model -165..15, servo -90..90 → -90..15.
	if !near(lo[2], -math.Pi/2) || !near(hi[2], rad(15)) {
		t.Fatalf("elbow limits %v..%v rad", lo[2], hi[2])
	}
	if park, clamped := a.ParkPose(); clamped {
		t.Fatalf("the built-in park pose %v needs clamping: keep it within the servos' reach", park)
	}
	folded := Default()
	folded.Kinematics.ParkDeg = []float64{0, 100, -150, -30, 0} // elbow beyond the servo's -90°
	park, clamped := folded.ParkPose()
	if !clamped || !near(park[2], -math.Pi/2) || !near(park[1], rad(100)) {
		t.Fatalf("park %v clamped %v; want the elbow clamped to -90°", park, clamped)
	}
	m := a.Model()
	if err := m.Validate(); err != nil {
		t.Fatalf("narrowed model invalid: %v", err)
	}
	if m.Joints[2].MinDeg != -90 || m.Joints[2].MaxDeg != 15 || a.Kinematics.Joints[2].MinDeg != -165 {
		t.Fatalf("Model joints %+v (and Kinematics must be untouched)", m.Joints[2])
	}
	// IK with the narrowed model keeps every joint within the servos' reach.
	sol, err := m.IK(ik.Point{X: 120, Y: 35.5, Z: 210}, ik.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ext, _ := m.ToExternal(sol.Joints)
	if _, err := a.Servos.Pulses(ext, 0); err != nil {
		t.Fatalf("IK solution the servos cannot take: %v", err)
	}
	if h := a.Hash(); !strings.HasPrefix(h, "sha256:") || len(h) != len("sha256:")+64 {
		t.Fatalf("Hash %q", h)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("Load(missing) = %v", err)
	}
	p := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(p, []byte("name: x\n"), 0o600)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("Load(bad) = %v, want the path in the error", err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// The trajectory limits: defaults, per-joint overrides, and errors that
// name the field, unit and default.
func TestTrajectoryLimits(t *testing.T) {
	a := Default()
	if a.Motion.MaxToolSpeedMMS != DefaultMaxToolSpeedMMS || a.Motion.DeadbandMM != DefaultDeadbandMM {
		t.Fatalf("defaults not filled in: %+v", a.Motion.TrajectoryLimits)
	}
	a.Motion.Joints = []JointLimits{{Name: "elbow_pitch", MaxSpeedDegS: 45, MaxAccelDegS2: 100}}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	v, acc := a.JointSpeedLimits(), a.JointAccelLimits()
	if !near(v[2], rad(45)) || !near(v[0], rad(DefaultMaxJointSpeedDeg)) || !near(acc[2], rad(100)) || !near(acc[1], rad(DefaultMaxJointAccelDegS2)) {
		t.Fatalf("speed limits %v, accel limits %v", v, acc)
	}
	for _, tc := range []struct {
		edit func(*Motion)
		want string
	}{
		{func(m *Motion) { m.MaxToolAccelMMS2 = -1 }, "motion.max_tool_accel_mm_s2: -1 mm/s² is outside (0, 100000]; it is in millimetres per second squared (0 means 700)"},
		{func(m *Motion) { m.DeadbandMM = 100 }, "motion.deadband_mm: 100 mm is outside [0.01, 50]"},
		{func(m *Motion) { m.Joints = []JointLimits{{Name: "elbow"}} }, `motion.joints[0].name: "elbow" is not a kinematics joint`},
		{func(m *Motion) { m.Joints = []JointLimits{{Name: "base_yaw", MaxAccelDegS2: -5}} }, "motion.joints[0].max_accel_deg_s2: -5°/s² is outside (0, 20000]"},
		{func(m *Motion) { m.Joints = []JointLimits{{Name: "base_yaw"}, {Name: "base_yaw"}} }, `motion.joints[1].name: "base_yaw" is listed twice`},
	} {
		b := Default()
		tc.edit(&b.Motion)
		if err := b.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want it to mention %q", err, tc.want)
		}
	}
}
func TestParseBusServos(t *testing.T) {
	src, err := os.ReadFile("../../config/arm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(src, []byte("\nservos:"))
	j := bytes.Index(src, []byte("\nmotion:"))
	if i < 0 {
		t.Fatal("config/arm.yaml has no servos: section")
	}
	tail := []byte{}
	if j > i {
		tail = src[j:]
	}
	bus := `
servos:
  - {joint: base_yaw,       id: 1, tick_min: 1024, tick_max: 3072, offset_ticks: 2048, direction: 1}
  - {joint: shoulder_pitch, id: 2, tick_min: 1024, tick_max: 3072, offset_ticks: 2048, direction: 1}
  - {joint: elbow_pitch,    id: 3, tick_min: 1024, tick_max: 3072, offset_ticks: 2048, direction: -1}
  - {joint: wrist_pitch,    id: 4, tick_min: 1024, tick_max: 3072, offset_ticks: 2048, direction: 1}
  - {joint: wrist_roll,     id: 5, tick_min: 1024, tick_max: 3072, offset_ticks: 2048, direction: 1}
  - {joint: gripper,        id: 6, tick_min: 2048, tick_max: 3072, direction: 1}
`
	doc := append(append(append([]byte(nil), src[:i]...), bus...), tail...)
	a, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Servos.IsBus() || *a.Servos[2].ID != 3 {
		t.Fatalf("servos %+v", a.Servos)
	}
	for _, c := range []struct{ from, to, want string }{
		{"id: 3,", "id: 2,", `servos[2] (joint "elbow_pitch"): id: 2 is already used by servos[1]`},
		{"tick_max: 3072, offset_ticks: 2048, direction: -1", "tick_max: 5000, offset_ticks: 2048, direction: -1", "tick_max: 5000 is outside 0..4095"},
		{"id: 5, tick_min: 1024", "id: 5, channel: 4, tick_min: 1024", "id: a bus servo is calibrated in ticks; remove channel"},
		{"{joint: gripper,        id: 6, tick_min: 2048, tick_max: 3072, direction: 1}", "{joint: gripper, channel: 5, pulse_min_us: 500, pulse_max_us: 2500, angle_min_deg: -90, angle_max_deg: 90}", "every servo of an arm must be on the same kind of output"},
	} {
		bad := bytes.Replace(doc, []byte(c.from), []byte(c.to), 1)
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s → %s: %v, want %q", c.from, c.to, err, c.want)
		}
	}
}
