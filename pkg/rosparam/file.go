package rosparam

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

const paramsKey = "ros__parameters"

// ParamsFile is a ROS 2 parameter file:
//
//	/**:                      # every node
//	  ros__parameters:
//	    link:
//	      ack_timeout_ms: 50  # the parameter link.ack_timeout_ms
//	/lab/aether_bridge:       # one node; also "aether_bridge" (= /aether_bridge),
//	  ros__parameters:        # "/**/aether_bridge", "/lab/*", or nested: "/lab:" then
//	    port: 5555            # "aether_bridge:" then "ros__parameters:"
type ParamsFile struct {
	// Path is the file's name, for messages.
	Path string
	// Nodes are the file's node sections in file order.
	Nodes []NodeParams
}

// NodeParams is one node section of a parameter file.
type NodeParams struct {
	// Key is the node key, nested keys joined with "/": "/**", "/lab/bridge".
	Key string
	// Params are the section's parameters, nested maps flattened with dots,
	// in file order.
	Params []FileParam
}

// FileParam is one parameter of a parameter file.
type FileParam struct {
	// Name is the flattened parameter name, "link.port".
	Name string
	// Value is the parsed value.
	Value Value
	// Line is the line of the parameter's key in the file.
	Line int
}

// Override is a parameter value from the command line or a parameter file,
// to be applied with Set.Apply.
type Override struct {
	// Name is the parameter name.
	Name string
	// Value is the value to set.
	Value Value
	// Source says where the value came from, for messages: `-p port:=1` or
	// `params file "bridge.yaml", node "/**", line 4`.
	Source string
	// Shared: the value comes from a wildcard section ("/**", "/**/name"),
	// a file shared by many nodes, so a name this node does not declare is
	// meant for another node.
	Shared bool
}

// ReadParamsFile reads and parses the parameter file at path.
func ReadParamsFile(path string) (*ParamsFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("params file %q: cannot read it: %w", path, err)
	}
	return ParseParamsFile(path, data)
}

// ParseParamsFile parses a parameter file's contents; path names it in
// errors. Errors name the file, the node key, the parameter and the line.
func ParseParamsFile(path string, data []byte) (*ParamsFile, error) {
	f := &ParamsFile{Path: path}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("params file %q: "+format, append([]any{path}, args...)...)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fail("is empty; a parameter file maps node names to ros__parameters, e.g. \"/**: {ros__parameters: {port: 5555}}\"")
		}
		return nil, fail("not valid YAML: %s", yamlMessage(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fail("holds more than one YAML document (a second --- at line %d); put every node in one document", extra.Line)
	}
	if len(doc.Content) == 0 {
		return nil, fail("is empty; a parameter file maps node names to ros__parameters")
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, fail("line %d: the top level must be a map of node names, e.g. \"/**:\" then \"ros__parameters:\"", root.Line)
	}
	if err := f.walkNodes(root, ""); err != nil {
		return nil, fail("%w", err)
	}
	return f, nil
}

// walkNodes reads a map of node keys (possibly nested namespaces) under the
// node key prefix.
func (f *ParamsFile) walkNodes(m *yaml.Node, prefix string) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolveAlias(m.Content[i+1])
		if k.Value == paramsKey {
			if prefix == "" {
				return fmt.Errorf("line %d: ros__parameters must be under a node name, e.g. \"/**:\" (every node) or \"aether_bridge:\"", k.Line)
			}
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("node %q, line %d: ros__parameters must be a map of parameter names to values", prefix, k.Line)
			}
			np := NodeParams{Key: prefix}
			if err := np.flatten(v, "", map[string]int{}); err != nil {
				return fmt.Errorf("node %q: %w", prefix, err)
			}
			f.Nodes = append(f.Nodes, np)
			continue
		}
		key := joinKey(prefix, k.Value)
		if err := checkNodeKey(key); err != nil {
			return fmt.Errorf("line %d: %w", k.Line, err)
		}
		if v.Kind != yaml.MappingNode {
			return fmt.Errorf("node %q, line %d: expected ros__parameters or nested node names under it, got a value; parameters go under \"<node>: ros__parameters:\"", key, k.Line)
		}
		before := len(f.Nodes)
		if err := f.walkNodes(v, key); err != nil {
			return err
		}
		if len(f.Nodes) == before {
			return fmt.Errorf("node %q, line %d: no ros__parameters under it", key, k.Line)
		}
	}
	return nil
}

// flatten adds the parameters of map m, their names prefixed with prefix.
// seen maps names to the line that defined them.
func (np *NodeParams) flatten(m *yaml.Node, prefix string, seen map[string]int) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolveAlias(m.Content[i+1])
		name := k.Value
		if prefix != "" {
			name = prefix + "." + name
		}
		if err := checkOverrideName(name); err != nil {
			return fmt.Errorf("line %d: %w", k.Line, err)
		}
		if v.Kind == yaml.MappingNode {
			if len(v.Content) == 0 {
				return fmt.Errorf("parameter %q, line %d: empty map; give a value or remove it", name, k.Line)
			}
			if err := np.flatten(v, name, seen); err != nil {
				return err
			}
			continue
		}
		val, err := valueFromNode(v)
		if err != nil {
			return fmt.Errorf("parameter %q, line %d: %w", name, k.Line, err)
		}
		if line, dup := seen[name]; dup {
			return fmt.Errorf("parameter %q, line %d: already set at line %d; keep one", name, k.Line, line)
		}
		seen[name] = k.Line
		np.Params = append(np.Params, FileParam{Name: name, Value: val, Line: k.Line})
	}
	return nil
}

// Overrides returns the file's parameters for the node with fully qualified
// name fqn: those of matching wildcard sections first, then those of
// sections naming the node exactly, each group in file order, so that
// applying them in order gives exact sections precedence.
func (f *ParamsFile) Overrides(fqn string) []Override {
	wild, exact := f.split(fqn)
	return append(wild, exact...)
}

// split returns the overrides of f for fqn from wildcard and exact sections.
func (f *ParamsFile) split(fqn string) (wild, exact []Override) {
	for _, np := range f.Nodes {
		if !matchNodeKey(np.Key, fqn) {
			continue
		}
		for _, p := range np.Params {
			o := Override{Name: p.Name, Value: p.Value, Shared: isWildcardKey(np.Key),
				Source: fmt.Sprintf("params file %q, node %q, line %d", f.Path, np.Key, p.Line)}
			if isWildcardKey(np.Key) {
				wild = append(wild, o)
			} else {
				exact = append(exact, o)
			}
		}
	}
	return wild, exact
}

// Overrides gathers the overrides for the node with fully qualified name fqn
// in the order to apply them (later wins): wildcard sections of every
// --params-file, then exact sections of every file, then the -p arguments
// for every node or for this one. It reads every file and reports every
// file's error.
func (a *Args) Overrides(fqn string) ([]Override, error) {
	var wild, exact []Override
	var errs []error
	for _, path := range a.ParamsFiles {
		f, err := ReadParamsFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		w, e := f.split(fqn)
		wild, exact = append(wild, w...), append(exact, e...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := append(wild, exact...)
	for _, p := range a.Params {
		if p.Node == "" || matchNodeKey(p.Node, fqn) {
			out = append(out, Override{Name: p.Name, Value: p.Value, Source: "-p " + p.Arg})
		}
	}
	return out, nil
}

// joinKey appends a nested node key to prefix.
func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return strings.TrimSuffix(prefix, "/") + "/" + strings.TrimPrefix(key, "/")
}

// keyTokens splits a node key into name tokens; a key without a leading
// slash is relative to the root namespace, as in rcl.
func keyTokens(key string) []string {
	key = strings.TrimPrefix(key, "/")
	if key == "" {
		return nil
	}
	return strings.Split(key, "/")
}

func checkNodeKey(key string) error {
	for _, tok := range keyTokens(key) {
		if tok == "" {
			return fmt.Errorf("node key %q has an empty name between slashes", key)
		}
		if strings.Contains(tok, "*") && tok != "*" && tok != "**" {
			return fmt.Errorf("node key %q: %q mixes * with a name; a wildcard is a whole token: /* (one name) or /** (any names)", key, tok)
		}
	}
	return nil
}

func isWildcardKey(key string) bool { return strings.Contains(key, "*") }

// matchNodeKey reports whether key (possibly with * and ** tokens) names the
// node fqn.
func matchNodeKey(key, fqn string) bool {
	return matchTokens(keyTokens(key), keyTokens(fqn))
}

func matchTokens(key, name []string) bool {
	for len(key) > 0 {
		switch key[0] {
		case "**":
			for skip := 0; skip <= len(name); skip++ {
				if matchTokens(key[1:], name[skip:]) {
					return true
				}
			}
			return false
		case "*":
			if len(name) == 0 {
				return false
			}
		default:
			if len(name) == 0 || name[0] != key[0] {
				return false
			}
		}
		key, name = key[1:], name[1:]
	}
	return len(name) == 0
}
