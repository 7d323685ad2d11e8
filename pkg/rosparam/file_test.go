package rosparam

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const sampleFile = `
# exact section first: it still beats the wildcard below
/lab/bridge:
  ros__parameters:
    port: 6000
    link:
      ack_timeout_ms: 50
      hosts: [a, b]
/**:
  ros__parameters:
    port: 5555
    use_sim_time: false
    gain: &g 1.5
/**/bridge:
  ros__parameters:
    gain: 2.0
/lab:
  bridge:
    ros__parameters:
      link.retries: 3
  other:
    ros__parameters:
      port: 1
bridge:
  ros__parameters:
    root_only: true
/lab/*:
  ros__parameters:
    alias: *g
`

func TestParseParamsFile(t *testing.T) {
	f, err := ParseParamsFile("bridge.yaml", []byte(sampleFile))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, n := range f.Nodes {
		keys = append(keys, n.Key)
	}
	wantKeys := []string{"/lab/bridge", "/**", "/**/bridge", "/lab/bridge", "/lab/other", "bridge", "/lab/*"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Fatalf("node keys %q, want %q", keys, wantKeys)
	}
	want := []FileParam{
		{Name: "port", Value: NewInteger(6000), Line: 5},
		{Name: "link.ack_timeout_ms", Value: NewInteger(50), Line: 7},
		{Name: "link.hosts", Value: NewStringArray([]string{"a", "b"}), Line: 8},
	}
	if !reflect.DeepEqual(f.Nodes[0].Params, want) {
		t.Fatalf("first section %+v, want %+v", f.Nodes[0].Params, want)
	}
}

func overrideMap(os []Override) map[string]string {
	m := map[string]string{}
	for _, o := range os {
		m[o.Name] = o.Value.String() // later wins, as in Apply
	}
	return m
}

func TestParamsFileOverridesPrecedence(t *testing.T) {
	f, err := ParseParamsFile("bridge.yaml", []byte(sampleFile))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		fqn  string
		want map[string]string
	}{
		{"/lab/bridge", map[string]string{
			"port": "6000", "link.ack_timeout_ms": "50", "link.hosts": `["a", "b"]`, "use_sim_time": "false",
			"gain": "2.0", "link.retries": "3", "alias": "1.5",
		}},
		{"/lab/other", map[string]string{"port": "1", "use_sim_time": "false", "gain": "1.5", "alias": "1.5"}},
		{"/bridge", map[string]string{"port": "5555", "use_sim_time": "false", "gain": "2.0", "root_only": "true"}},
		{"/x/y/bridge", map[string]string{"port": "5555", "use_sim_time": "false", "gain": "2.0"}},
	}
	for _, c := range cases {
		if got := overrideMap(f.Overrides(c.fqn)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.fqn, got, c.want)
		}
	}
	src := f.Overrides("/lab/bridge")[0].Source
	if src != `params file "bridge.yaml", node "/**", line 11` {
		t.Errorf("first override's source %q: wildcard sections come first and sources name file, node and line", src)
	}
}

func TestMatchNodeKey(t *testing.T) {
	cases := []struct {
		key, fqn string
		want     bool
	}{
		{"/**", "/n", true},
		{"/**", "/a/b/n", true},
		{"/**/n", "/n", true},
		{"/**/n", "/a/b/n", true},
		{"/**/n", "/a/m", false},
		{"n", "/n", true},
		{"n", "/a/n", false},
		{"/a/n", "/a/n", true},
		{"/a/n", "/a/b/n", false},
		{"/a/*", "/a/n", true},
		{"/a/*", "/a/b/n", false},
		{"/*/n", "/a/n", true},
		{"/*/n", "/n", false},
		{"/a/**", "/a/b/n", true},
		{"/a/**", "/b/n", false},
		{"/**/b/**", "/a/b/c/n", true},
	}
	for _, c := range cases {
		if got := matchNodeKey(c.key, c.fqn); got != c.want {
			t.Errorf("matchNodeKey(%q, %q) = %v, want %v", c.key, c.fqn, got, c.want)
		}
	}
}

func TestParseParamsFileErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"invalid yaml", "/**:\n  ros__parameters:\n    a: [1, 2\n", []string{`params file "p.yaml"`, "not valid YAML", "line"}},
		{"empty", "", []string{"is empty"}},
		{"only comments", "# nothing\n", []string{"is empty"}},
		{"top-level list", "- a\n- b\n", []string{"line 1", "top level must be a map of node names"}},
		{"ros__parameters at top", "ros__parameters:\n  a: 1\n", []string{"must be under a node name"}},
		{"missing node level", "link:\n  port: 1\n", []string{`node "link/port"`, "got a value"}},
		{"no ros__parameters", "/**:\n  other: {}\n", []string{`node "/**/other"`, "no ros__parameters"}},
		{"ros__parameters not a map", "/**:\n  ros__parameters: 5\n", []string{`node "/**"`, "line 2", "must be a map"}},
		{"mixed array", "/**:\n  ros__parameters:\n    link:\n      gains: [1, 2.5]\n", []string{`params file "p.yaml"`, `node "/**"`, `parameter "link.gains"`, "line 4", "one type"}},
		{"null value", "/**:\n  ros__parameters:\n    port:\n", []string{`parameter "port"`, "line 3", "no value"}},
		{"empty map", "/**:\n  ros__parameters:\n    link: {}\n", []string{`parameter "link"`, "empty map"}},
		{"list of maps", "/**:\n  ros__parameters:\n    l: [{a: 1}]\n", []string{`parameter "l"`, "list or map"}},
		{"duplicate after flattening", "/**:\n  ros__parameters:\n    link.port: 1\n    link:\n      port: 2\n", []string{`parameter "link.port"`, "line 5", "already set at line 3"}},
		{"bad wildcard", "/my_*:\n  ros__parameters:\n    a: 1\n", []string{`node key "/my_*"`, "whole token"}},
		{"empty key token", "/a//b:\n  ros__parameters:\n    a: 1\n", []string{"empty name between slashes"}},
		{"two documents", "/**:\n  ros__parameters:\n    a: 1\n---\n/**:\n  ros__parameters:\n    b: 1\n", []string{"more than one YAML document"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := ParseParamsFile("p.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatalf("no error; parsed %+v", f)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Precedence across files and -p: every file's wildcard sections, then every
// file's exact sections, then -p in order.
func TestArgsOverridesPrecedence(t *testing.T) {
	dir := t.TempDir()
	first := writeFile(t, dir, "first.yaml", `
/lab/bridge: {ros__parameters: {a: exact1, b: exact1}}
/**: {ros__parameters: {a: wild1, b: wild1, c: wild1, d: wild1}}
`)
	second := writeFile(t, dir, "second.yaml", `
/**: {ros__parameters: {a: wild2, c: wild2, e: wild2}}
/**/bridge: {ros__parameters: {e: wild2b}}
/lab/bridge: {ros__parameters: {b: exact2}}
`)
	args, err := ParseArgs([]string{"--ros-args", "--params-file", first, "--params-file", second,
		"-p", "d:=p1", "-p", "bridge:d:=p2", "-p", "other:d:=p3", "-r", "__ns:=/lab"})
	if err != nil {
		t.Fatal(err)
	}
	fqn := args.FQN("bridge", "/")
	ovs, err := args.Overrides(fqn)
	if err != nil {
		t.Fatal(err)
	}
	// bridge:d is the node key "/bridge", which /lab/bridge is not (as in rcl).
	want := map[string]string{"a": `"exact1"`, "b": `"exact2"`, "c": `"wild2"`, "d": `"p1"`, "e": `"wild2b"`}
	if got := overrideMap(ovs); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	root, _ := ParseArgs([]string{"--ros-args", "-p", "d:=p1", "-p", "bridge:d:=p2", "-p", "other:d:=p3"})
	ovs, _ = root.Overrides(root.FQN("bridge", "/"))
	if got := overrideMap(ovs)["d"]; got != `"p2"` {
		t.Fatalf("node-scoped -p for /bridge: d = %s, want \"p2\"", got)
	}
}

func TestArgsOverridesFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "/**:\n  ros__parameters:\n    x: [1, a]\n")
	missing := filepath.Join(dir, "missing.yaml")
	args, err := ParseArgs([]string{"--ros-args", "--params-file", missing, "--params-file", bad})
	if err != nil {
		t.Fatal(err)
	}
	_, err = args.Overrides("/n")
	if err == nil {
		t.Fatal("no error for a missing and a bad file")
	}
	for _, w := range []string{`params file "` + missing + `": cannot read it: no such file`, `params file "` + bad + `": node "/**": parameter "x", line 3`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}
