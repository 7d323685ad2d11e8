package bridge

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aether-lab/aether-bridge/pkg/rosparam"
)

// ParamServer answers the standard ROS 2 parameter services (list, get,
// describe, get types, set, set atomically) from a rosparam.Set, so
// `ros2 param` works on the bridge. A set is validated as a whole through
// SettingsFrom; if the result is invalid the old values are restored and
// the set fails with the reason. Accepted changes reach OnChange.
type ParamServer struct {
	mu       sync.Mutex
	set      *rosparam.Set
	base     Settings // resolved at start; live parameters are re-applied onto it
	onChange func(Settings)
}

// NewParamServer serves set, whose values resolved to base at start;
// onChange (may be nil) gets the new Settings after every accepted change.
func NewParamServer(set *rosparam.Set, base Settings, onChange func(Settings)) *ParamServer {
	return &ParamServer{set: set, base: base, onChange: onChange}
}

// NamedValue is a parameter name and value, as in rcl_interfaces/Parameter.
type NamedValue struct {
	Name  string
	Value rosparam.Value
}

// SetResult is the outcome of setting one parameter.
type SetResult struct {
	OK     bool
	Reason string
}

// List returns the names under prefixes (all when empty), at most depth
// levels below the prefix (0 = any depth), and the prefixes of those names,
// as rcl_interfaces/srv/ListParameters defines.
func (p *ParamServer) List(prefixes []string, depth uint64) (names, namePrefixes []string) {
	seen := map[string]bool{}
	for _, name := range p.set.Names() {
		if !matchPrefix(name, prefixes, depth) {
			continue
		}
		names = append(names, name)
		if i := strings.LastIndexByte(name, '.'); i > 0 && !seen[name[:i]] {
			seen[name[:i]] = true
			namePrefixes = append(namePrefixes, name[:i])
		}
	}
	sort.Strings(names)
	sort.Strings(namePrefixes)
	return names, namePrefixes
}

func matchPrefix(name string, prefixes []string, depth uint64) bool {
	within := func(rest string) bool { return depth == 0 || uint64(strings.Count(rest, ".")) < depth }
	if len(prefixes) == 0 {
		return within(name)
	}
	for _, pre := range prefixes {
		if name == pre || strings.HasPrefix(name, pre+".") && within(strings.TrimPrefix(name, pre+".")) {
			return true
		}
	}
	return false
}

// Get returns each parameter's value; an unknown name gets a NOT_SET value,
// as rclcpp does.
func (p *ParamServer) Get(names []string) []rosparam.Value {
	out := make([]rosparam.Value, len(names))
	for i, n := range names {
		if v, err := p.set.Get(n); err == nil {
			out[i] = v
		}
	}
	return out
}

// Describe returns each parameter's descriptor; unknown names get a
// descriptor with only the name (type NOT_SET).
func (p *ParamServer) Describe(names []string) []rosparam.Descriptor {
	out := make([]rosparam.Descriptor, len(names))
	for i, n := range names {
		d, err := p.set.Describe(n)
		if err != nil {
			d = rosparam.Descriptor{Name: n}
		}
		out[i] = d
	}
	return out
}

// Set applies each value on its own (SetParameters); atomic applies all or
// none (SetParametersAtomically: every result then carries the same outcome).
func (p *ParamServer) Set(values []NamedValue, atomic bool) []SetResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	if atomic {
		r := p.apply(values)
		out := make([]SetResult, len(values))
		for i := range out {
			out[i] = r
		}
		return out
	}
	out := make([]SetResult, len(values))
	for i, v := range values {
		out[i] = p.apply([]NamedValue{v})
	}
	return out
}

// apply sets values, validates the whole configuration and rolls back on failure.
func (p *ParamServer) apply(values []NamedValue) SetResult {
	var old []NamedValue
	rollback := func() {
		for i := len(old) - 1; i >= 0; i-- {
			_ = p.set.Set(old[i].Name, old[i].Value) // restoring a value that was valid
		}
	}
	for _, v := range values {
		prev, err := p.set.Get(v.Name)
		if err == nil {
			err = p.set.Set(v.Name, v.Value)
		}
		if err != nil {
			rollback()
			return SetResult{Reason: err.Error()}
		}
		old = append(old, NamedValue{v.Name, prev})
	}
	s, err := LiveSettingsFrom(p.set, p.base)
	if err != nil {
		rollback()
		return SetResult{Reason: fmt.Sprintf("rejected, nothing changed: %v", err)}
	}
	if p.onChange != nil {
		p.onChange(s)
	}
	return SetResult{OK: true}
}
