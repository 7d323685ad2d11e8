package ik

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDefaultModelValid(t *testing.T) {
	if err := DefaultModel().Validate(); err != nil {
		t.Fatalf("DefaultModel is invalid: %v", err)
	}
}

func TestArmFileMatchesDefault(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "arm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseArmKinematics(data)
	if err != nil {
		t.Fatalf("config/arm.yaml: %v", err)
	}
	if want := DefaultModel(); !reflect.DeepEqual(m, want) {
		t.Errorf("config/arm.yaml kinematics differ from DefaultModel():\n got %+v\nwant %+v", m, want)
	}
	if m.Hash() != DefaultModel().Hash() {
		t.Error("hash of config/arm.yaml kinematics differs from DefaultModel's")
	}
}

func TestSeedCommandReachable(t *testing.T) {
	// The lab's seed request must move the default arm, unclamped.
	sol, err := DefaultModel().IK(Point{120.0, 35.5, 210.0}, Options{})
	if err != nil {
		t.Fatalf("seed command: %v", err)
	}
	if sol.Clamped {
		t.Error("seed command was clamped")
	}
}

func TestHash(t *testing.T) {
	a := DefaultModel()
	h := a.Hash()
	if len(h) != 64 {
		t.Fatalf("Hash() = %q, want 64 hex digits", h)
	}
	if a.Hash() != h || DefaultModel().Hash() != h {
		t.Error("Hash is not stable across calls")
	}
	negZero := DefaultModel()
	negZero.Joints[0].ZeroDeg = math.Copysign(0, -1)
	if negZero.Hash() != h {
		t.Error("-0 and 0 hash differently")
	}
	// Every kind of change must change the hash.
	edits := map[string]func(m *Model){
		"name":         func(m *Model) { m.Name = "other" },
		"base_height":  func(m *Model) { m.BaseHeight = 71 },
		"upper_arm":    func(m *Model) { m.UpperArm = 120.5 },
		"forearm":      func(m *Model) { m.Forearm = 119 },
		"tool":         func(m *Model) { m.Tool = 0 },
		"joint name":   func(m *Model) { m.Joints[3].Name = "wrist" },
		"min_deg":      func(m *Model) { m.Joints[1].MinDeg = 1 },
		"max_deg":      func(m *Model) { m.Joints[2].MaxDeg = 10 },
		"zero_deg":     func(m *Model) { m.Joints[1].ZeroDeg = 0 },
		"drop roll":    func(m *Model) { m.Joints = m.Joints[:4] },
		"wrist.mode":   func(m *Model) { m.Wrist.Mode = WristFixedPitch },
		"pitch_deg":    func(m *Model) { m.Wrist.PitchDeg = -80 },
		"workspace":    func(m *Model) { m.Workspace.Max.Z = 321 },
		"park_deg":     func(m *Model) { m.ParkDeg[1] = 101 },
		"home_deg":     func(m *Model) { m.HomeDeg[0] = 1 },
		"home vs park": func(m *Model) { m.HomeDeg, m.ParkDeg = m.ParkDeg, m.HomeDeg },
	}
	for name, edit := range edits {
		m := DefaultModel()
		edit(&m)
		if m.Hash() == h {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}

func TestHashIgnoresYAMLLayout(t *testing.T) {
	block := `
name: a
base_height: 70
upper_arm: 120
forearm: 120
tool: 60
joints:
  - name: base_yaw
    min_deg: -90
    max_deg: 90
  - {name: shoulder_pitch, min_deg: 0, max_deg: 180, zero_deg: 90}
  - {name: elbow_pitch, min_deg: -165, max_deg: 15}
  - {name: wrist_pitch, min_deg: -135, max_deg: 45}
wrist: {mode: auto, pitch_deg: -90}
workspace: {min: {x: 0, y: -250, z: 5}, max: {x: 280, y: 250, z: 320}}
park_deg: [0, 100, -150, -30]
home_deg: [0, 90, -90, -90]
`
	reordered := `# same arm, keys shuffled, floats spelled differently
home_deg: [0, 90.0, -90, -9e1]
park_deg: [0, 100, -150, -30]
workspace:
  max: {z: 320, y: 250, x: 280}
  min: {y: -250, x: 0, z: 5.0}
wrist: {pitch_deg: -90, mode: auto}
joints:
  - {max_deg: 90, min_deg: -90, name: base_yaw, zero_deg: 0}
  - {name: shoulder_pitch, min_deg: 0, max_deg: 180, zero_deg: 90}
  - {name: elbow_pitch, min_deg: -165, max_deg: 15}
  - {name: wrist_pitch, min_deg: -135, max_deg: 45}
tool: 60
forearm: 120
upper_arm: 120
base_height: 70
name: a
`
	a, err := ParseModel([]byte(block))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseModel([]byte(reordered))
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() {
		t.Error("the same model in two YAML layouts hashes differently")
	}
}

func TestPosesAndLimits(t *testing.T) {
	m := DefaultModel()
	lo, hi := m.JointLimits()
	if len(lo) != 5 || len(hi) != 5 {
		t.Fatalf("JointLimits lengths %d, %d", len(lo), len(hi))
	}
	if math.Abs(lo[2]-rad(-165)) > 1e-15 || math.Abs(hi[1]-math.Pi) > 1e-15 {
		t.Errorf("JointLimits = %v, %v", lo, hi)
	}
	home := m.HomePose()
	if math.Abs(home[1]-math.Pi/2) > 1e-15 || math.Abs(home[3]+math.Pi/2) > 1e-15 {
		t.Errorf("HomePose = %v", home)
	}
	home[0] = 42 // a fresh slice: must not write through to the model
	if m.HomeDeg[0] != 0 || m.HomePose()[0] != 0 {
		t.Error("HomePose shares memory with the model")
	}
	park := m.ParkPose()
	if math.Abs(park[2]-rad(-90)) > 1e-15 {
		t.Errorf("ParkPose = %v", park)
	}
	if err := m.CheckJoints(park); err != nil {
		t.Errorf("park pose fails CheckJoints: %v", err)
	}
}

func TestCheckJoints(t *testing.T) {
	m := DefaultModel()
	if err := m.CheckJoints(degs(0, 180, -165, 45, 0)); err != nil {
		t.Errorf("angles exactly at limits: %v", err)
	}
	wantCode(t, m.CheckJoints(degs(0, 90, 20, 0, 0)), CodeJointLimit, "elbow_pitch", "20.0°", "[-165°, 15°]")
	wantCode(t, m.CheckJoints([]float64{0, 1, 0, math.Inf(1), 0}), CodeOutOfRange, "wrist_pitch")
	if err := m.CheckJoints(degs(0, 90)); err == nil {
		t.Error("CheckJoints accepted 2 angles for 5 joints")
	}
}

func TestClampJoints(t *testing.T) {
	m := DefaultModel()
	in := degs(-100, 90, 20, -200, 0)
	out, clamped, err := m.ClampJoints(in)
	if err != nil {
		t.Fatal(err)
	}
	want := degs(-90, 90, 15, -135, 0)
	if !clamped {
		t.Error("clamped = false")
	}
	for i := range want {
		if math.Abs(out[i]-want[i]) > 1e-15 {
			t.Errorf("joint %d: %v°, want %v°", i, deg(out[i]), deg(want[i]))
		}
	}
	if in[0] != rad(-100) {
		t.Error("ClampJoints modified its input")
	}
	_, clamped, err = m.ClampJoints(m.HomePose())
	if err != nil || clamped {
		t.Errorf("home pose: clamped %v, err %v; want untouched", clamped, err)
	}
	_, _, err = m.ClampJoints([]float64{math.NaN(), 0, 0, 0, 0})
	wantCode(t, err, CodeOutOfRange, "base_yaw", "NaN")
	if _, _, err := m.ClampJoints(nil); err == nil {
		t.Error("ClampJoints(nil) succeeded")
	}
}

func TestExternalFrame(t *testing.T) {
	m := DefaultModel()
	ext, err := m.ToExternal(m.HomePose())
	if err != nil {
		t.Fatal(err)
	}
	// Shoulder zero_deg is 90: the upper arm straight up reads 0 outside.
	if math.Abs(ext[1]) > 1e-15 || math.Abs(ext[2]-rad(-90)) > 1e-15 {
		t.Errorf("ToExternal(home) = %v", ext)
	}
	back, err := m.FromExternal(ext)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range m.HomePose() {
		if math.Abs(back[i]-v) > 1e-15 {
			t.Errorf("round trip joint %d: %v, want %v", i, back[i], v)
		}
	}
	if _, err := m.ToExternal([]float64{1}); err == nil {
		t.Error("ToExternal accepted 1 angle for 5 joints")
	}
	if _, err := m.FromExternal(nil); err == nil {
		t.Error("FromExternal accepted no angles")
	}
}

func TestBox(t *testing.T) {
	b := Box{Min: Point{0, -10, 5}, Max: Point{10, 10, 20}}
	if !b.Contains(Point{0, 10, 5}) || b.Contains(Point{0, 10, 4.999}) || b.Contains(Point{math.NaN(), 0, 10}) {
		t.Error("Contains: bounds are inclusive, NaN is outside")
	}
	if got := b.Clamp(Point{-5, 3, 100}); got != (Point{0, 3, 20}) {
		t.Errorf("Clamp = %v", got)
	}
}
