package ik

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// goodYAML is DefaultModel written out; tests break one line of it.
const goodYAML = `name: aether-desktop-5dof
base_height: 70
upper_arm: 120
forearm: 120
tool: 60
joints:
  - name: base_yaw
    min_deg: -90
    max_deg: 90
  - name: shoulder_pitch
    min_deg: 0
    max_deg: 180
    zero_deg: 90
  - name: elbow_pitch
    min_deg: -165
    max_deg: 15
  - name: wrist_pitch
    min_deg: -135
    max_deg: 45
  - name: wrist_roll
    min_deg: -90
    max_deg: 90
wrist:
  mode: auto
  pitch_deg: -90
workspace:
  min: {x: 0, y: -250, z: 5}
  max: {x: 280, y: 250, z: 320}
park_deg: [0, 100, -90, -30, 0]
home_deg: [0, 90, -90, -90, 0]
`

func TestParseModelGood(t *testing.T) {
	m, err := ParseModel([]byte(goodYAML))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, DefaultModel()) {
		t.Errorf("parsed %+v\nwant %+v", m, DefaultModel())
	}
}

// fieldErrors unpacks the joined *FieldErrors of a parse failure.
func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	if err == nil {
		t.Fatal("parse succeeded, want an error")
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []*FieldError
	for _, e := range errs {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %q is %T, want *FieldError", e, e)
		}
		out = append(out, fe)
	}
	return out
}

func TestParseModelFieldErrors(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // replace old by new in goodYAML
		field    string
		line     int
		problem  string // substring of Problem
	}{
		{"typo in a key", "upper_arm: 120", "uper_arm: 120", "uper_arm", 3, "known fields here: name, base_height, upper_arm"},
		{"typo in a joint key", "    max_deg: 15\n", "    max: 15\n", "joints[2].max", 16, "min_deg, max_deg, zero_deg"},
		{"typo in a box corner", "min: {x: 0, y: -250, z: 5}", "min: {x: 0, yy: -250, z: 5}", "workspace.min.yy", 27, "x, y, z"},
		{"text for a number", "    max_deg: 15\n", "    max_deg: fifteen\n", "joints[2].max_deg", 16, "must be a number, got text `fifteen`"},
		{"list for a number", "tool: 60", "tool: [60]", "tool", 5, "must be a number, got a list"},
		{"number for a list", "park_deg: [0, 100, -90, -30, 0]", "park_deg: 0", "park_deg", 29, "must be a list of numbers"},
		{"text in a flow list", "home_deg: [0, 90, -90, -90, 0]", "home_deg: [0, 90, down, -90, 0]", "home_deg[2]", 30, "got text `down`"},
		{"mapping for text", "name: aether-desktop-5dof", "name: {a: 1}", "name", 1, "must be text, got a mapping"},
		{"mapping for the joint list", "joints:\n", "joints: {}\nold_joints:\n", "joints", 6, "must be a list of joints, got a mapping"},
		{"duplicate key", "tool: 60", "tool: 60\ntool: 50", "tool", 6, "set twice (first at line 5)"},
		{"max not above min", "    max_deg: 15\n", "    max_deg: -170\n", "joints[2].max_deg", 16, "must be > min_deg (-165)"},
		{"metres not mm", "upper_arm: 120", "upper_arm: 0.12", "upper_arm", 3, "millimetres"},
		{"missing link", "forearm: 120\n", "", "forearm", 0, "between 1 and 2000 mm, got 0"},
		{"wrist mode typo", "mode: auto", "mode: automatic", "wrist.mode", 24, `must be "fixed_pitch" or "auto", got "automatic"`},
		{"pitch in radians?", "pitch_deg: -90", "pitch_deg: -270", "wrist.pitch_deg", 25, "between -180 and 180"},
		{"inverted box", "max: {x: 280, y: 250, z: 320}", "max: {x: 280, y: 250, z: 0}", "workspace.max.z", 28, "must be > workspace.min.z (5)"},
		{"park too short", "park_deg: [0, 100, -90, -30, 0]", "park_deg: [0, 100, -150, -30]", "park_deg", 29, "5 angles (one per joint), got 4"},
		{"home past a limit", "home_deg: [0, 90, -90, -90, 0]", "home_deg: [0, 90, -170, -90, 0]", "home_deg[2]", 30, "outside joints[2] (elbow_pitch) limits [-165, 15]"},
		{"duplicate joint name", "  - name: wrist_roll", "  - name: base_yaw", "joints[4].name", 20, "already the name of joints[0]"},
		{"empty joint name", "  - name: wrist_roll", "  - name: \"\"", "joints[4].name", 20, "must not be empty"},
		{"roll range excludes 0", "    min_deg: -90\n    max_deg: 90\nwrist", "    min_deg: 10\n    max_deg: 90\nwrist", "joints[4]", 20, "must include 0"},
		{"home outside box", "z: 5}", "z: 150}", "home_deg", 30, "outside the workspace box"},
		{"three joints", "  - name: wrist_pitch\n    min_deg: -135\n    max_deg: 45\n  - name: wrist_roll\n    min_deg: -90\n    max_deg: 90\n", "", "joints", 6, "4 joints"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(goodYAML, tc.old) {
				t.Fatalf("test bug: %q not in goodYAML", tc.old)
			}
			src := strings.Replace(goodYAML, tc.old, tc.new, 1)
			_, err := ParseModel([]byte(src))
			fes := fieldErrors(t, err)
			for _, fe := range fes {
				if fe.Field == tc.field {
					if fe.Line != tc.line {
						t.Errorf("%s: line %d, want %d", fe.Field, fe.Line, tc.line)
					}
					if !strings.Contains(fe.Problem, tc.problem) {
						t.Errorf("problem %q does not contain %q", fe.Problem, tc.problem)
					}
					if !strings.HasPrefix(fe.Error(), tc.field) {
						t.Errorf("Error() = %q does not start with the field name", fe.Error())
					}
					return
				}
			}
			t.Errorf("no error names %q; got %v", tc.field, err)
		})
	}
}

func TestParseModelDocumentErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"empty", "", "empty"},
		{"only a comment", "# nothing\n", "empty"},
		{"syntax", "name: [unclosed\n", "not valid YAML"},
		{"two documents", goodYAML + "---\n" + goodYAML, "more than one document"},
		{"a list, not a mapping", "- 1\n- 2\n", "must be a mapping, got a list"},
		{"null document", "~\n", "name must not be empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseModel([]byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestParseModelReportsAllProblems(t *testing.T) {
	src := strings.Replace(goodYAML, "upper_arm: 120", "upper_arm: 0", 1)
	src = strings.Replace(src, "mode: auto", "mode: up", 1)
	fes := fieldErrors(t, func() error { _, err := ParseModel([]byte(src)); return err }())
	got := map[string]bool{}
	for _, fe := range fes {
		got[fe.Field] = true
	}
	if !got["upper_arm"] || !got["wrist.mode"] {
		t.Errorf("want errors for upper_arm and wrist.mode, got %v", fes)
	}
}

func TestParseArmKinematics(t *testing.T) {
	indent := func(s string) string {
		return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
	}
	file := "name: lab-arm\nkinematics:\n" + indent(goodYAML) + "servos:\n  - {channel: 0}\n"
	m, err := ParseArmKinematics([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, DefaultModel()) {
		t.Errorf("parsed %+v", m)
	}

	// Paths are prefixed and lines are those of the whole file.
	bad := strings.Replace(file, "    max_deg: 15\n", "    max_deg: -170\n", 1)
	fes := fieldErrors(t, func() error { _, err := ParseArmKinematics([]byte(bad)); return err }())
	if fes[0].Field != "kinematics.joints[2].max_deg" || fes[0].Line != 18 {
		t.Errorf("got %q line %d, want kinematics.joints[2].max_deg line 18", fes[0].Field, fes[0].Line)
	}
	typo := strings.Replace(file, "  forearm: 120", "  fore_arm: 120", 1)
	fes = fieldErrors(t, func() error { _, err := ParseArmKinematics([]byte(typo)); return err }())
	if fes[0].Field != "kinematics.fore_arm" {
		t.Errorf("got %v, want kinematics.fore_arm named", fes)
	}

	for _, src := range []string{"name: x\nservos: []\n", "kinematics:\n"} {
		_, err := ParseArmKinematics([]byte(src))
		fes := fieldErrors(t, err)
		if fes[0].Field != "kinematics" || !strings.Contains(fes[0].Problem, "missing") {
			t.Errorf("%q: got %v, want kinematics missing", src, err)
		}
	}
}
