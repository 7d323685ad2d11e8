package bridge

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aether-lab/aether-bridge/pkg/fielderr"
	"github.com/aether-lab/aether-bridge/pkg/rosparam"
)

// UseSimTime is the standard ROS 2 parameter: true stamps every message with
// the time of /clock (Gazebo's), as rclcpp nodes do.
const UseSimTime = "use_sim_time"

// LoadSettings declares every parameter in Params, applies the parameter
// files and -p overrides of args for the node nodeName in namespace ns (after
// __node/__ns remapping), validates them, and returns the parameter set (for
// the parameter services) and the resolved Settings. Errors name the
// parameter, the source (file and line, or -p) and what to fix. Overrides
// of names the bridge does not declare are skipped and returned in ignored,
// for the node to log: at debug level when they come from a shared ("/**")
// section (other nodes' parameters), as a warning otherwise (a typo).
func LoadSettings(nodeName, ns string, args *rosparam.Args) (*rosparam.Set, Settings, []rosparam.Ignored, error) {
	set, err := DeclareParams()
	if err != nil {
		return nil, Settings{}, nil, err
	}
	// FQN applies the remaps itself, to the coded name as rcl does.
	overrides, err := args.Overrides(args.FQN(nodeName, ns))
	if err != nil {
		return nil, Settings{}, nil, err
	}
	ignored, err := set.Apply(overrides)
	if err != nil {
		return nil, Settings{}, ignored, err
	}
	s, err := SettingsFrom(set)
	if err == nil {
		v, _ := set.Get(UseSimTime) // declared above
		s.UseSimTime = v.BoolValue
	}
	return set, s, ignored, err
}

// DeclareParams returns a Set with every parameter of Params at its default.
func DeclareParams() (*rosparam.Set, error) {
	set := rosparam.NewSet()
	decls := append([]rosparam.Descriptor{{Name: UseSimTime, Type: rosparam.TypeBool, ReadOnly: true,
		Description: "stamp messages with /clock time (simulation) instead of wall time",
		Default:     rosparam.NewBool(false)}}, descriptors()...)
	for _, d := range decls {
		if err := set.Declare(d); err != nil {
			return nil, fmt.Errorf("declaring parameter %s: %w", d.Name, err)
		}
	}
	return set, nil
}

func descriptors() []rosparam.Descriptor {
	out := make([]rosparam.Descriptor, 0, len(Params))
	for _, p := range Params {
		d := rosparam.Descriptor{Name: p.Name, Description: p.doc(), ReadOnly: p.ReadOnly, Default: toValue(p.Default)}
		d.Type = d.Default.Type
		if p.Min != nil || p.Max != nil {
			r := rosparam.Range{Min: -1e308, Max: 1e308}
			if p.Min != nil {
				r.Min = *p.Min
			}
			if p.Max != nil {
				r.Max = *p.Max
			}
			d.Range = &r
		}
		out = append(out, d)
	}
	return out
}

func toValue(v any) rosparam.Value {
	switch v := v.(type) {
	case bool:
		return rosparam.NewBool(v)
	case int64:
		return rosparam.NewInteger(v)
	case float64:
		return rosparam.NewDouble(v)
	case string:
		return rosparam.NewString(v)
	case []float64:
		return rosparam.NewDoubleArray(v)
	case []string:
		return rosparam.NewStringArray(v)
	}
	panic(fmt.Sprintf("bridge: parameter default of unsupported type %T", v)) // a programming error in Params
}

func fromValue(v rosparam.Value) any {
	switch v.Type {
	case rosparam.TypeBool:
		return v.BoolValue
	case rosparam.TypeInteger:
		return v.IntegerValue
	case rosparam.TypeDouble:
		return v.DoubleValue
	case rosparam.TypeString:
		return v.StringValue
	case rosparam.TypeDoubleArray:
		return v.DoubleArrayValue
	case rosparam.TypeStringArray:
		return v.StringArrayValue
	}
	return nil
}

// SettingsFrom resolves Settings from the current values of set, checking
// what the parameter types alone cannot (choices, files, cross-field rules).
// Every problem is reported, each naming its parameter.
func SettingsFrom(set *rosparam.Set) (Settings, error) {
	return resolve(set, Settings{}, func(Param) bool { return true })
}

// LiveSettingsFrom is SettingsFrom for a running node: it starts from base
// (the Settings resolved at start) and re-applies only the parameters that
// can change live. Read-only ones cannot change, so their files (arm,
// token) are not read again, and a token file removed since start does not
// block `ros2 param set clamp_to_workspace true`.
func LiveSettingsFrom(set *rosparam.Set, base Settings) (Settings, error) {
	return resolve(set, base, func(p Param) bool { return !p.ReadOnly })
}

// resolve applies the parameters that pass only onto base and validates the result.
func resolve(set *rosparam.Set, base Settings, only func(Param) bool) (Settings, error) {
	s := base
	var errs []error
	for _, p := range Params {
		if !only(p) {
			continue
		}
		v, err := set.Get(p.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		val := fromValue(v)
		if len(p.Choices) > 0 && !slices.Contains(p.Choices, val.(string)) {
			errs = append(errs, fmt.Errorf("parameter %s: %q is not one of %s", p.Name, val, strings.Join(p.Choices, ", ")))
			continue
		}
		if err := p.apply(&s, val); err != nil {
			errs = append(errs, fmt.Errorf("parameter %s: %w", p.Name, err))
		}
	}
	if len(errs) > 0 {
		return Settings{}, errors.Join(errs...)
	}
	if err := s.Hand.Validate(); err != nil {
		return Settings{}, fielderr.Rename(err, paramOfHandField)
	}
	if err := s.LinkConfig().Validate(); err != nil {
		return Settings{}, fielderr.Rename(err, paramOfLinkField)
	}
	if err := s.Core().Validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}
