package rosparam

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Flags as rcl spells them (rcl/arguments.h).
const (
	rosArgsFlag = "--ros-args"
	rosArgsEnd  = "--"
)

// rosFlags are the ROS flags rcl knows; the value says whether one argument
// follows. Those we do not use are kept in Args.ROSArgs for rcl.
var rosFlags = map[string]bool{
	"-p":                          true,
	"--param":                     true,
	"-r":                          true,
	"--remap":                     true,
	"--params-file":               true,
	"-e":                          true,
	"--enclave":                   true,
	"--log-level":                 true,
	"--log-file-name":             true,
	"--log-config-file":           true,
	"--enable-stdout-logs":        false,
	"--disable-stdout-logs":       false,
	"--enable-rosout-logs":        false,
	"--disable-rosout-logs":       false,
	"--enable-external-lib-logs":  false,
	"--disable-external-lib-logs": false,
}

// ParamArg is one `-p [node:]name:=value` override.
type ParamArg struct {
	// Node is the node name the override is limited to; empty means every
	// node. Like rcl, "node" stands for the node key "/node".
	Node string
	// Name is the parameter name.
	Name string
	// Value is the parsed value.
	Value Value
	// Arg is the rule as given, for messages.
	Arg string
}

// Remap is one `-r [node:]from:=to` rule. Rules for __node (or __name) and
// __ns rename the node; the others rename topics and services and are for
// rcl.
type Remap struct {
	// Node limits the rule to the node of that (original) name; empty means
	// every node.
	Node string
	// From is the name being remapped, e.g. "__ns", "cmd" or "rostopic://cmd".
	From string
	// To is its replacement.
	To string
}

// Args is a command line split the way rcl splits it.
type Args struct {
	// Params are the -p/--param overrides, in command-line order.
	Params []ParamArg
	// ParamsFiles are the --params-file paths, in command-line order.
	ParamsFiles []string
	// Remaps are the -r/--remap rules, in command-line order.
	Remaps []Remap
	// ROSArgs holds every ROS argument verbatim after one leading
	// "--ros-args", ready to hand to rcl (rclgo) so it sees the remaps, log
	// settings and enclave; nil when there were none.
	ROSArgs []string
	// Remainder is every argument outside the --ros-args sections, in
	// order: the program's own arguments.
	Remainder []string
	// Warnings notes deprecated syntax that was still accepted, for the
	// node to log.
	Warnings []string
}

// ParseArgs splits args (os.Args[1:]) like rcl: ROS arguments go from each
// "--ros-args" to the next "--" or the end; everything else is Remainder.
// An unknown ROS flag, a flag without its value, or a malformed rule is an
// error naming the argument; every such problem is reported, not just the
// first.
func ParseArgs(args []string) (*Args, error) {
	a := &Args{}
	var errs []error
	inROS := false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !inROS {
			switch r, ok := legacyRemap(arg); {
			case arg == rosArgsFlag:
				inROS = true
			case ok:
				// rcl still takes a bare remap rule outside --ros-args.
				a.Remaps = append(a.Remaps, r)
				a.ROSArgs = append(a.ROSArgs, "-r", arg)
				a.Warnings = append(a.Warnings, fmt.Sprintf("remap rule %q outside --ros-args is deprecated; use --ros-args -r %s", arg, arg))
			default:
				a.Remainder = append(a.Remainder, arg)
			}
			continue
		}
		switch arg {
		case rosArgsEnd:
			inROS = false
			continue
		case rosArgsFlag:
			continue
		}
		takesValue, known := rosFlags[arg]
		if !known {
			errs = append(errs, fmt.Errorf("unknown ROS argument %q after --ros-args; known flags are -p/--param, --params-file, -r/--remap, -e/--enclave, --log-level and the log switches; end ROS arguments with -- before program arguments", arg))
			continue
		}
		if !takesValue {
			a.ROSArgs = append(a.ROSArgs, arg)
			continue
		}
		if i+1 >= len(args) || args[i+1] == rosArgsEnd || args[i+1] == rosArgsFlag {
			errs = append(errs, fmt.Errorf("%s needs a value after it%s", arg, flagUsage(arg)))
			continue
		}
		i++
		val := args[i]
		a.ROSArgs = append(a.ROSArgs, arg, val)
		var err error
		switch arg {
		case "-p", "--param":
			var p ParamArg
			if p, err = parseParamArg(val); err == nil {
				a.Params = append(a.Params, p)
			}
		case "-r", "--remap":
			var r Remap
			if r, err = parseRemap(val); err == nil {
				a.Remaps = append(a.Remaps, r)
			}
		case "--params-file":
			a.ParamsFiles = append(a.ParamsFiles, val)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", arg, val, err))
		}
	}
	if len(a.ROSArgs) > 0 {
		a.ROSArgs = append([]string{rosArgsFlag}, a.ROSArgs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return a, nil
}

func flagUsage(flag string) string {
	switch flag {
	case "-p", "--param":
		return ", e.g. -p link.port:=5555"
	case "-r", "--remap":
		return ", e.g. -r __ns:=/lab or -r cmd:=arm/cmd"
	case "--params-file":
		return ", e.g. --params-file config/bridge.yaml"
	}
	return ""
}

// parseParamArg parses `[node:]name:=value`.
func parseParamArg(rule string) (ParamArg, error) {
	lhs, val, ok := strings.Cut(rule, ":=")
	if !ok {
		return ParamArg{}, errors.New("want name:=value")
	}
	p := ParamArg{Name: lhs, Arg: rule}
	if node, name, ok := strings.Cut(lhs, ":"); ok {
		if !isNameToken(node) {
			return ParamArg{}, fmt.Errorf("node %q before the parameter name must be a plain node name (letters, digits, _), not a namespace or wildcard", node)
		}
		p.Node, p.Name = node, name
	}
	if err := checkOverrideName(p.Name); err != nil {
		return ParamArg{}, err
	}
	v, err := ParseValue(val)
	if err != nil {
		return ParamArg{}, fmt.Errorf("value %q: %w", val, err)
	}
	p.Value = v
	return p, nil
}

// parseRemap parses `[node:]from:=to`.
func parseRemap(rule string) (Remap, error) {
	lhs, to, ok := strings.Cut(rule, ":=")
	if !ok {
		return Remap{}, errors.New("want from:=to")
	}
	r := Remap{From: lhs, To: to}
	// "node:from", but not the "://" of rostopic://name.
	if i := strings.IndexByte(lhs, ':'); i >= 0 && !strings.HasPrefix(lhs[i:], "://") {
		r.Node, r.From = lhs[:i], lhs[i+1:]
		if !isNameToken(r.Node) {
			return Remap{}, fmt.Errorf("node %q before the rule must be a plain node name (letters, digits, _)", r.Node)
		}
	}
	if r.From == "" || r.To == "" {
		return Remap{}, errors.New("want from:=to with both names non-empty")
	}
	switch r.From {
	case "__node", "__name":
		if !isNameToken(r.To) {
			return Remap{}, fmt.Errorf("node name %q must be letters, digits and _, not starting with a digit", r.To)
		}
	case "__ns":
		if err := checkNamespace(r.To); err != nil {
			return Remap{}, err
		}
	}
	return r, nil
}

// legacyRemap reports whether arg, outside --ros-args, is a bare remap rule
// such as __node:=name or chatter:=/talk, which rcl still accepts.
func legacyRemap(arg string) (Remap, bool) {
	if !strings.Contains(arg, ":=") {
		return Remap{}, false
	}
	r, err := parseRemap(arg)
	if err != nil {
		return Remap{}, false
	}
	from := strings.TrimPrefix(strings.TrimPrefix(r.From, "rostopic://"), "rosservice://")
	if !isRemapName(from) || !isRemapName(r.To) {
		return Remap{}, false
	}
	return r, true
}

// isRemapName reports whether s is a ROS name as the rcl lexer reads one:
// optionally "/" or "~/" first, then name tokens or {substitutions} joined
// by "/". "1" or "1.5" is not, so x:=1 stays a program argument.
func isRemapName(s string) bool {
	switch {
	case s == "~" || s == "/":
		return true
	case strings.HasPrefix(s, "~/"):
		s = s[2:]
	case strings.HasPrefix(s, "/"):
		s = s[1:]
	}
	for _, tok := range strings.Split(s, "/") {
		if strings.HasPrefix(tok, "{") && strings.HasSuffix(tok, "}") {
			tok = tok[1 : len(tok)-1]
		}
		if !isNameToken(tok) {
			return false
		}
	}
	return true
}

// NodeName returns the node's name after the __node (or __name) remap rules
// that apply to a node coded as name; the first matching rule wins, as in
// rcl.
func (a *Args) NodeName(name string) string {
	if to, ok := a.nodeRemap(name, "__node", "__name"); ok {
		return to
	}
	return name
}

// Namespace returns the node's namespace after the __ns remap rules for a
// node coded as name in namespace ns ("" means "/").
func (a *Args) Namespace(name, ns string) string {
	if to, ok := a.nodeRemap(name, "__ns"); ok {
		return to
	}
	if ns == "" {
		return "/"
	}
	return ns
}

// FQN returns the node's fully qualified name after remapping, e.g.
// "/lab/aether_bridge", for matching parameter file keys.
func (a *Args) FQN(name, ns string) string {
	return JoinFQN(a.Namespace(name, ns), a.NodeName(name))
}

// JoinFQN joins a namespace and a node name: ("/", "n") → "/n",
// ("/a", "n") → "/a/n".
func JoinFQN(ns, name string) string {
	return strings.TrimSuffix(ns, "/") + "/" + name
}

func (a *Args) nodeRemap(name string, from ...string) (string, bool) {
	for _, r := range a.Remaps {
		if (r.Node == "" || r.Node == name) && slices.Contains(from, r.From) {
			return r.To, true
		}
	}
	return "", false
}

// isNameToken reports whether s is a ROS name token: [A-Za-z_][A-Za-z0-9_]*.
func isNameToken(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func checkNamespace(ns string) error {
	if !strings.HasPrefix(ns, "/") {
		return fmt.Errorf("namespace %q must be absolute, e.g. /%s", ns, ns)
	}
	if ns == "/" {
		return nil
	}
	for _, tok := range strings.Split(ns[1:], "/") {
		if !isNameToken(tok) {
			return fmt.Errorf("namespace %q: %q is not a name token (letters, digits, _, not starting with a digit)", ns, tok)
		}
	}
	return nil
}

// checkParamName accepts dotted parameter names: "port", "link.ack_timeout_ms".
func checkParamName(name string) error {
	if name == "" {
		return errors.New("empty parameter name")
	}
	for _, tok := range strings.Split(name, ".") {
		if !isNameToken(tok) {
			return fmt.Errorf("parameter name %q: %q is not a name token (letters, digits, _, not starting with a digit; nest with dots)", name, tok)
		}
	}
	return nil
}

// checkOverrideName is the looser check for names in overrides, which may be
// meant for parameters rcl itself declares (qos_overrides./topic.depth):
// non-empty dotted parts without spaces. Set rejects names it does not know.
func checkOverrideName(name string) error {
	if name == "" {
		return errors.New("empty parameter name")
	}
	for _, tok := range strings.Split(name, ".") {
		if tok == "" || strings.ContainsAny(tok, " \t\n:") {
			return fmt.Errorf("parameter name %q: want dot-separated parts without spaces or colons, e.g. link.port", name)
		}
	}
	return nil
}
