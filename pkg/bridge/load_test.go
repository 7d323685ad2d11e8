package bridge

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/rosparam"
)

func load(t *testing.T, argv ...string) (Settings, error) {
	t.Helper()
	args, err := rosparam.ParseArgs(argv)
	if err != nil {
		return Settings{}, err
	}
	_, s, _, err := LoadSettings("aether_bridge", "", args)
	return s, err
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "params.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsMatchTheTable(t *testing.T) {
	s, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode != ModeHardware || s.ControllerAddr() != "127.0.0.1:5000" || s.BaseFrame != "base_link" ||
		s.Link.AckTimeout != 500*time.Millisecond || s.DiagnosticsPeriod != time.Second || s.Arm.Name == "" {
		t.Fatalf("defaults = %+v", s)
	}
}

func TestShippedBridgeYAMLLoadsToTheDefaults(t *testing.T) {
	def, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	s, err := load(t, "--ros-args", "--params-file", "../../config/bridge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.ControllerAddr() != def.ControllerAddr() || s.Hand != def.Hand || s.Link.AckTimeout != def.Link.AckTimeout || s.Link.QueueSize != def.Link.QueueSize || s.Mode != def.Mode {
		t.Fatalf("config/bridge.yaml differs from the defaults:\n%+v\n%+v", s, def)
	}
}

func TestParamsFileAndOverridesPrecedence(t *testing.T) {
	file := writeFile(t, `
/**:
  ros__parameters:
    controller_port: 6000
    controller_host: "10.0.0.1"
    link:
      ack_timeout_ms: 250
aether_bridge:
  ros__parameters:
    controller_host: "127.0.0.2"
`)
	s, err := load(t, "--ros-args", "--params-file", file, "-p", "controller_port:=7000")
	if err != nil {
		t.Fatal(err)
	}
	if s.ControllerHost != "127.0.0.2" { // exact node section beats the wildcard
		t.Errorf("host = %s", s.ControllerHost)
	}
	if s.ControllerPort != 7000 { // -p beats the file
		t.Errorf("port = %d", s.ControllerPort)
	}
	if s.Link.AckTimeout != 250*time.Millisecond {
		t.Errorf("ack timeout = %v", s.Link.AckTimeout)
	}
	// A file section for a renamed node applies once the node is renamed.
	s, err = load(t, "--ros-args", "-r", "__node:=left_arm", "--params-file", writeFile(t, "left_arm:\n  ros__parameters:\n    controller_port: 5001\n"))
	if err != nil || s.ControllerPort != 5001 {
		t.Fatalf("renamed node: port %d, err %v", s.ControllerPort, err)
	}
}

func TestBadParametersNameTheParameter(t *testing.T) {
	cases := []struct {
		name string
		argv []string
		want string
	}{
		{"wrong type", []string{"-p", "controller_port:=abc"}, "controller_port"},
		{"out of range", []string{"-p", "controller_port:=70000"}, "controller_port"},
		{"bad mode", []string{"-p", "mode:=real"}, `mode: "real" is not one of hardware, sim, gazebo`},
		{"bad axis map", []string{"-p", "hand.axis_map:=[x, x, z]"}, "hand"},
		{"axis map length", []string{"-p", "hand.axis_map:=[x, z]"}, "hand.axis_map needs 3"},
		{"unquoted y is a YAML bool, as in rcl", []string{"-p", "hand.axis_map:=[x, y, z]"}, "bool"},
		{"missing arm file", []string{"-p", "arm:=/nonexistent/arm.yaml"}, "parameter arm"},
		{"missing token file", []string{"-p", "token_file:=/nonexistent/token"}, "token_file"},
		{"pinch order", []string{"-p", "hand.pinch.open_below:=0.9"}, "hand.pinch.open_below: 0.9 must be below the close threshold 0.8"},
		{"backoff order", []string{"-p", "link.backoff_initial_ms:=5000"}, "link.backoff_max_ms: 2s is below the first reconnect wait (5s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, append([]string{"--ros-args"}, tc.argv...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if m := goField.FindString(err.Error()); m != "" {
				t.Fatalf("err = %v names the Go field %s, not the parameter", err, m)
			}
		})
	}
}

// goField matches a Go field name (two capitalised words) or a Config. prefix.
var goField = regexp.MustCompile(`\b[A-Z][a-z]+[A-Z][A-Za-z]*\b|Config\.`)

// Every field re-worded as a parameter is one of Params.
func TestFieldNamesAreParams(t *testing.T) {
	for _, m := range []map[string]string{paramOfLinkField, paramOfHandField} {
		for field, names := range m {
			for _, name := range strings.Split(names, "/") {
				if !slices.ContainsFunc(Params, func(p Param) bool { return p.Name == name }) {
					t.Errorf("field %s: %q is not a parameter", field, name)
				}
			}
		}
	}
}

func TestSharedUseSimTimeIsAccepted(t *testing.T) {
	if _, err := load(t, "--ros-args", "--params-file", writeFile(t, "/**:\n  ros__parameters:\n    use_sim_time: false\n")); err != nil {
		t.Fatal(err)
	}
}

func TestTokenFileIsRead(t *testing.T) {
	s, err := load(t, "--ros-args", "-p", "token_file:="+writeFile(t, "\n  s3cret \r\n\n"))
	if err != nil || s.Token != "s3cret" || s.LinkConfig().Token != "s3cret" {
		t.Fatalf("token %q err %v", s.Token, err)
	}
	empty := writeFile(t, "\n")
	_, err = load(t, "--ros-args", "-p", "token_file:="+empty)
	for _, want := range []string{"parameter token_file: token file " + empty + " is empty", "--token-file"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("empty token file: err %v, want it to mention %q", err, want)
		}
	}
}

// A token file with two non-empty lines is refused, as the controller's
// --token-file refuses it, instead of the bridge taking the first line and
// the controller the whole file.
func TestTwoLineTokenFileIsRefused(t *testing.T) {
	two := writeFile(t, "s3cret\nother\n")
	_, err := load(t, "--ros-args", "-p", "token_file:="+two)
	for _, want := range []string{"parameter token_file: token file " + two, "2 non-empty lines (lines 1 and 2)", "on one line"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err %v, want it to mention %q", err, want)
		}
	}
}

// Remap rules limited to a node name apply to the node's coded name, as in
// rcl: renaming the node must not lose its namespace rule.
func TestParamsFileKeyUsesBothNodeLimitedRemaps(t *testing.T) {
	file := writeFile(t, `
/lab/arm1:
  ros__parameters:
    controller_port: 6000
`)
	s, err := load(t, "--ros-args", "-r", "aether_bridge:__node:=arm1", "-r", "aether_bridge:__ns:=/lab", "--params-file", file)
	if err != nil {
		t.Fatal(err)
	}
	if s.ControllerPort != 6000 {
		t.Fatalf("controller_port = %d: the /lab/arm1 section was not applied", s.ControllerPort)
	}
}

func TestUndeclaredParametersAreIgnoredAndReported(t *testing.T) {
	shared := writeFile(t, "/**:\n  ros__parameters:\n    robot_description: \"<robot/>\"\n    controller_port: 5001\n")
	args, err := rosparam.ParseArgs([]string{"--ros-args", "--params-file", shared,
		"--params-file", writeFile(t, "aether_bridge:\n  ros__parameters:\n    controler_host: x\n"),
		"-p", "clamp_to_workspce:=true"})
	if err != nil {
		t.Fatal(err)
	}
	_, s, ignored, err := LoadSettings("aether_bridge", "", args)
	if err != nil {
		t.Fatalf("undeclared names stopped the start: %v", err)
	}
	if s.ControllerPort != 5001 {
		t.Errorf("the shared file's declared parameter was not applied: port %d", s.ControllerPort)
	}
	if len(ignored) != 3 {
		t.Fatalf("ignored %+v, want 3", ignored)
	}
	if !ignored[0].Shared || !strings.Contains(ignored[0].Reason, `"robot_description"`) {
		t.Errorf("shared-file key: %+v", ignored[0])
	}
	if ignored[1].Shared || !strings.Contains(ignored[1].Reason, `did you mean "controller_host"?`) {
		t.Errorf("own-section typo: %+v", ignored[1])
	}
	if ignored[2].Shared || !strings.Contains(ignored[2].Reason, `-p clamp_to_workspce:=true: unknown parameter "clamp_to_workspce" (did you mean "clamp_to_workspace"?)`) {
		t.Errorf("-p typo: %+v", ignored[2])
	}
}
