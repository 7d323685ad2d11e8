package bridge

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite config/bridge.yaml from Params")

// TestBridgeYAMLDocumentsEveryParam keeps config/bridge.yaml and Params in step.
func TestBridgeYAMLDocumentsEveryParam(t *testing.T) {
	const path = "../../config/bridge.yaml"
	want := ParamsYAML()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is out of date with pkg/bridge Params: run go test ./pkg/bridge -run TestBridgeYAML -update", path)
	}
	for _, p := range Params {
		leaf := p.Name[strings.LastIndex(p.Name, ".")+1:]
		if !strings.Contains(want, leaf+":") || !strings.Contains(want, p.Description) {
			t.Errorf("parameter %s is not documented", p.Name)
		}
	}
}

func TestParamsAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Params {
		if seen[p.Name] {
			t.Errorf("parameter %s declared twice", p.Name)
		}
		seen[p.Name] = true
		if p.Description == "" || p.apply == nil {
			t.Errorf("parameter %s lacks a description or apply", p.Name)
		}
		var ok bool
		switch p.Type {
		case Bool:
			_, ok = p.Default.(bool)
		case Int:
			_, ok = p.Default.(int64)
		case Double:
			_, ok = p.Default.(float64)
		case String:
			_, ok = p.Default.(string)
		case DoubleArray:
			_, ok = p.Default.([]float64)
		case StringArray:
			_, ok = p.Default.([]string)
		}
		if !ok {
			t.Errorf("parameter %s: default %#v does not match its type", p.Name, p.Default)
		}
	}
}

// TestReadmeParameterTable keeps the README's parameter table in step.
func TestReadmeParameterTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- params:begin -->\n", "<!-- params:end -->"
	s := string(readme)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q … %q markers", begin, end)
	}
	if *update {
		s = s[:i+len(begin)] + ParamsMarkdown() + s[j:]
		if err := os.WriteFile("../../README.md", []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, row := range strings.Split(ParamsMarkdown(), "\n") {
		if k := strings.Index(row, "("); k >= 0 {
			if l := strings.Index(row[k:], ")"); l > 0 && strings.Count(row, row[k:k+l+1]) > 1 {
				t.Errorf("README row says %s twice: %s", row[k:k+l+1], row)
			}
		}
	}
	if got := s[i+len(begin) : j]; got != ParamsMarkdown() {
		t.Fatal("README.md parameter table is out of date: run go test ./pkg/bridge -run TestReadme -update")
	}
}
