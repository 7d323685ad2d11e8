package ik

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseModel parses an arm model: one YAML document holding the mapping
// that sits under `kinematics:` in an arm file (see DefaultModel for
// every field). Nothing is defaulted: a field left out reads as zero,
// which Validate rejects where zero is not meaningful. Unknown fields are
// rejected, to catch typos. The model is validated; errors are
// *FieldError values (joined) naming each field by YAML path and line.
func ParseModel(data []byte) (Model, error) {
	var m Model
	root, err := decodeStrict(data, &m)
	if err != nil {
		return Model{}, err
	}
	if err := m.Validate(); err != nil {
		return Model{}, locate(err, root, "")
	}
	return m, nil
}

// ParseArmKinematics parses a whole arm file, a mapping of the shape
// {name, kinematics: <Model>, servos: [...]}, and returns its validated
// kinematics. Top-level keys other than `kinematics` belong to other
// packages and are ignored here; inside `kinematics` the rules of
// ParseModel apply, and field paths start with "kinematics.".
func ParseArmKinematics(data []byte) (Model, error) {
	var f struct {
		Kinematics *Model               `yaml:"kinematics"`
		Rest       map[string]yaml.Node `yaml:",inline"`
	}
	root, err := decodeStrict(data, &f)
	if err != nil {
		return Model{}, err
	}
	if f.Kinematics == nil {
		return Model{}, &FieldError{Field: "kinematics",
			Problem: "is missing or empty; the arm file needs a kinematics: mapping (see config/arm.yaml)"}
	}
	if err := f.Kinematics.Validate(); err != nil {
		return Model{}, locate(err, root, "kinematics.")
	}
	return *f.Kinematics, nil
}

// decodeStrict decodes the single YAML document in data into out with
// unknown fields rejected, and returns the document's node tree for
// locating later errors.
func decodeStrict(data []byte, out any) (*yamlIndex, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return nil, errors.New("ik: arm model YAML is empty")
	case err != nil:
		return nil, fmt.Errorf("ik: arm model is not valid YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("ik: arm model YAML holds more than one document (---); put one model per file")
	}
	idx := newYAMLIndex(&doc)

	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	err := strict.Decode(out)
	var te *yaml.TypeError
	switch {
	case err == nil:
		return idx, nil
	case errors.As(err, &te):
		errs := make([]error, 0, len(te.Errors))
		for _, msg := range te.Errors {
			errs = append(errs, idx.describe(msg))
		}
		return nil, errors.Join(errs...)
	default:
		return nil, fmt.Errorf("ik: arm model YAML: %w", err)
	}
}

// yamlIndex maps YAML lines to field paths so that yaml.v3's
// "line N: ..." messages and Validate's field names can be tied together.
type yamlIndex struct {
	keys  map[int][]nodeAt // line -> mapping keys starting on it
	nodes map[int][]nodeAt // line -> value nodes starting on it
	lines map[string]int   // rendered path -> line
}

type nodeAt struct {
	path []string
	n    *yaml.Node
}

func newYAMLIndex(doc *yaml.Node) *yamlIndex {
	x := &yamlIndex{keys: map[int][]nodeAt{}, nodes: map[int][]nodeAt{}, lines: map[string]int{}}
	x.walk(doc, nil)
	return x
}

func (x *yamlIndex) walk(n *yaml.Node, path []string) {
	if _, ok := x.lines[render(path)]; !ok {
		x.lines[render(path)] = n.Line
	}
	if n.Kind != yaml.DocumentNode {
		x.nodes[n.Line] = append(x.nodes[n.Line], nodeAt{path: path, n: n})
	}
	switch {
	case n.Kind == yaml.DocumentNode && len(n.Content) > 0:
		x.walk(n.Content[0], path)
	case n.Kind == yaml.MappingNode && len(n.Content) > 0:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := append(path[:len(path):len(path)], k.Value)
			x.keys[k.Line] = append(x.keys[k.Line], nodeAt{path: p, n: k})
			x.lines[render(p)] = k.Line
			x.walk(n.Content[i+1], p)
		}
	case n.Kind == yaml.SequenceNode && len(n.Content) > 0:
		for i, c := range n.Content {
			x.walk(c, append(path[:len(path):len(path)], "["+strconv.Itoa(i)+"]"))
		}
	}
}

// render joins path segments: ["joints", "[2]", "max_deg"] ->
// "joints[2].max_deg".
func render(path []string) string {
	var b strings.Builder
	for i, s := range path {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

var (
	lineRE     = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRE  = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	setTwiceRE = regexp.MustCompile(`^field (\S+) already set in type \S+$`)
	dupKeyRE   = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	typeRE     = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (\\S+)$")
)

// describe turns one yaml.v3 type-error line into a *FieldError.
func (x *yamlIndex) describe(msg string) *FieldError {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return &FieldError{Problem: msg}
	}
	line, _ := strconv.Atoi(m[1])
	rest := m[2]
	if u := unknownRE.FindStringSubmatch(rest); u != nil {
		return &FieldError{Field: x.keyPath(line, u[1]), Line: line,
			Problem: fmt.Sprintf("is not a known field (check the spelling); known fields here: %s", knownFields(u[2]))}
	}
	if u := setTwiceRE.FindStringSubmatch(rest); u != nil {
		return &FieldError{Field: x.keyPath(line, u[1]), Line: line, Problem: "is set twice; keep one"}
	}
	if u := dupKeyRE.FindStringSubmatch(rest); u != nil {
		return &FieldError{Field: x.keyPath(line, u[1]), Line: line,
			Problem: fmt.Sprintf("is set twice (first at line %s); keep one", u[2])}
	}
	if u := typeRE.FindStringSubmatch(rest); u != nil {
		got := tagNames[u[1]]
		if got == "" {
			got = u[1]
		}
		if u[2] != "" {
			got += " `" + u[2] + "`"
		}
		return &FieldError{Field: x.valuePath(line, u[1], u[2]), Line: line,
			Problem: fmt.Sprintf("must be %s, got %s", goTypeName(u[3]), got)}
	}
	return &FieldError{Line: line, Problem: rest}
}

// keyPath is the path of the key called name on line, or just name.
func (x *yamlIndex) keyPath(line int, name string) string {
	for _, k := range x.keys[line] {
		if k.n.Value == name {
			return render(k.path)
		}
	}
	return name
}

// valuePath finds the node on line that yaml.v3 complained about, by its
// tag and (possibly truncated) text; if that is ambiguous, the common
// prefix of the candidates' paths.
func (x *yamlIndex) valuePath(line int, tag, text string) string {
	var match, all [][]string
	for _, c := range x.nodes[line] {
		all = append(all, c.path)
		if c.n.ShortTag() != tag {
			continue
		}
		if short, ok := strings.CutSuffix(text, "..."); c.n.Kind != yaml.ScalarNode ||
			c.n.Value == text || (ok && strings.HasPrefix(c.n.Value, short)) {
			match = append(match, c.path)
		}
	}
	if len(match) > 0 {
		return render(commonPrefix(deepest(match)))
	}
	return render(commonPrefix(all))
}

// deepest drops paths that are ancestors of others in paths: in
// `name: {a: 1}` the complaint is about name's mapping, not the document's.
func deepest(paths [][]string) [][]string {
	var out [][]string
	for i, p := range paths {
		ancestor := false
		for j, q := range paths {
			if i != j && len(q) > len(p) && slices.Equal(q[:len(p)], p) {
				ancestor = true
				break
			}
		}
		if !ancestor {
			out = append(out, p)
		}
	}
	return out
}

// commonPrefix of paths: for two values on one line, their parent.
func commonPrefix(paths [][]string) []string {
	if len(paths) == 0 {
		return nil
	}
	p := paths[0]
	for _, q := range paths[1:] {
		n := 0
		for n < len(p) && n < len(q) && p[n] == q[n] {
			n++
		}
		p = p[:n]
	}
	return p
}

var tagNames = map[string]string{
	"!!str": "text", "!!int": "a number", "!!float": "a number", "!!bool": "true/false",
	"!!seq": "a list", "!!map": "a mapping", "!!null": "null", "!!binary": "binary data",
	"!!timestamp": "a timestamp",
}

// yamlTypes are the types whose fields ParseModel can complain about.
var yamlTypes = map[string]reflect.Type{
	"ik.Model":       reflect.TypeFor[Model](),
	"ik.Joint":       reflect.TypeFor[Joint](),
	"ik.WristPolicy": reflect.TypeFor[WristPolicy](),
	"ik.Box":         reflect.TypeFor[Box](),
	"ik.Point":       reflect.TypeFor[Point](),
}

func goTypeName(t string) string {
	switch {
	case t == "float64":
		return "a number"
	case t == "string":
		return "text"
	case t == "[]float64":
		return "a list of numbers"
	case t == "[]ik.Joint":
		return "a list of joints"
	case t == "*ik.Model" || yamlTypes[t] != nil || strings.HasPrefix(t, "struct") || strings.HasPrefix(t, "map"):
		return "a mapping"
	}
	return "a " + t
}

func knownFields(typeName string) string {
	t := yamlTypes[typeName]
	if t == nil {
		return "(see DefaultModel)"
	}
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		names = append(names, tag)
	}
	return strings.Join(names, ", ")
}

// locate prefixes the FieldErrors in err (as joined by Validate) with
// prefix and fills in their source lines.
func locate(err error, idx *yamlIndex, prefix string) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		var fe *FieldError
		if !errors.As(e, &fe) {
			out[i] = e
			continue
		}
		c := *fe
		c.Field = prefix + c.Field
		// "joints[4] ..." style problems carry no subfield; fall back to
		// the nearest ancestor that has a line.
		for p := c.Field; c.Line == 0 && p != ""; p = parent(p) {
			c.Line = idx.lines[p]
		}
		out[i] = &c
	}
	return errors.Join(out...)
}

// parent strips the last segment: "joints[2].max_deg" -> "joints[2]" ->
// "joints" -> "".
func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}
