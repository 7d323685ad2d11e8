package rosparam

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Range limits a numeric parameter (integer, double and their arrays, each
// element). It becomes rcl_interfaces' IntegerRange or FloatingPointRange.
type Range struct {
	// Min is the smallest allowed value; whole for integer parameters.
	Min float64
	// Max is the largest allowed value, at least Min; whole for integer
	// parameters.
	Max float64
	// Step, if not zero, allows only Min + k·Step (k whole) and Max. Zero
	// means any value from Min to Max. Whole for integer parameters.
	Step float64
}

// Descriptor declares a parameter, like rcl_interfaces/ParameterDescriptor.
type Descriptor struct {
	// Name is the parameter name: name tokens joined by dots,
	// "link.ack_timeout_ms".
	Name string
	// Type is the parameter's type; TypeNotSet is not allowed.
	Type Type
	// Description says what the parameter does, with its unit.
	Description string
	// ReadOnly parameters take start-up overrides (Apply) but refuse Set.
	ReadOnly bool
	// Default is the value until overridden. The zero Value means the zero
	// of Type (false, 0, "", empty array); an integer is taken for a double.
	Default Value
	// Range, if not nil, limits a numeric parameter. Nil means no limit.
	Range *Range
}

// Set holds declared parameters and their values. It is safe for concurrent
// use, so the node can serve the parameter services from any goroutine.
type Set struct {
	mu     sync.RWMutex
	params map[string]*param
}

type param struct {
	desc  Descriptor
	value Value
}

// NewSet returns an empty Set.
func NewSet() *Set { return &Set{params: map[string]*param{}} }

// Declare adds a parameter with its default value. It rejects a bad name,
// type, range or default, and a name declared before.
func (s *Set) Declare(d Descriptor) error {
	if err := checkParamName(d.Name); err != nil {
		return fmt.Errorf("declare: %w", err)
	}
	if d.Type == TypeNotSet || d.Type > TypeStringArray {
		return fmt.Errorf("declare %q: type %v is not a parameter type; use one of bool, integer, double, string or an array type", d.Name, d.Type)
	}
	if d.Range != nil {
		r := *d.Range
		d.Range = &r
		if err := checkRange(d.Type, r); err != nil {
			return fmt.Errorf("declare %q: %w", d.Name, err)
		}
	}
	def := d.Default
	if def.Type == TypeNotSet {
		def = zeroValue(d.Type)
	}
	v, err := convert(d, def)
	if err != nil {
		return fmt.Errorf("declare %q: default: %w", d.Name, err)
	}
	d.Default = v.clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.params[d.Name]; dup {
		return fmt.Errorf("declare %q: already declared", d.Name)
	}
	s.params[d.Name] = &param{desc: d, value: v}
	return nil
}

// Names returns the declared parameter names, sorted.
func (s *Set) Names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.params))
	for n := range s.params {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Describe returns the descriptor of a declared parameter, its Default
// converted to the parameter's type.
func (s *Set) Describe(name string) (Descriptor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.params[name]
	if !ok {
		return Descriptor{}, s.unknown(name)
	}
	d := p.desc
	d.Default = d.Default.clone()
	if d.Range != nil {
		r := *d.Range
		d.Range = &r
	}
	return d, nil
}

// Get returns the current value of a declared parameter.
func (s *Set) Get(name string) (Value, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.params[name]
	if !ok {
		return Value{}, s.unknown(name)
	}
	return p.value.clone(), nil
}

// Set changes a declared parameter, as the set_parameters service does: the
// value must have the parameter's type (an integer is taken for a double, an
// empty list for any array) and lie in its Range, and the parameter must not
// be ReadOnly. The error names the parameter and what to give instead.
func (s *Set) Set(name string, v Value) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.params[name]
	if !ok {
		return s.unknown(name)
	}
	if p.desc.ReadOnly {
		return fmt.Errorf("parameter %q is read-only (it is %s until a restart); to use %s, restart the node with -p %s:=%s or put it in a params file", name, p.value, v, name, v)
	}
	nv, err := convert(p.desc, v)
	if err != nil {
		return err
	}
	p.value = nv
	return nil
}

// Ignored is a start-up override that Apply skipped because it names no
// declared parameter, as ROS nodes skip undeclared overrides.
type Ignored struct {
	Override
	// Reason names the parameter and where it came from, with the
	// declared name most likely meant ("did you mean").
	Reason string
}

// Apply sets start-up overrides in order, later ones winning; ReadOnly
// parameters take them too, as ROS applies overrides at declaration. An
// override of an undeclared name is skipped and returned in ignored (a
// shared "/**" file holds other nodes' parameters; a typo in the node's
// own section deserves a warning, not a refusal to start). Bad values are
// all or nothing: if any override has one, none is applied and the error
// lists every problem with where the override came from.
func (s *Set) Apply(overrides []Override) (ignored []Ignored, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := map[string]Value{}
	var errs []error
	for _, o := range overrides {
		p, ok := s.params[o.Name]
		var err error
		if !ok {
			reason := s.unknown(o.Name).Error()
			if o.Source != "" {
				reason = o.Source + ": " + reason
			}
			ignored = append(ignored, Ignored{Override: o, Reason: reason})
			continue
		} else if v, cerr := convert(p.desc, o.Value); cerr != nil {
			err = cerr
		} else {
			next[o.Name] = v
		}
		if err != nil {
			if o.Source != "" {
				err = fmt.Errorf("%s: %w", o.Source, err)
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return ignored, errors.Join(errs...)
	}
	for name, v := range next {
		s.params[name].value = v
	}
	return ignored, nil
}

// typed returns the value of name, which must be declared with type t.
func (s *Set) typed(name string, t Type) (Value, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.params[name]
	if !ok {
		return Value{}, s.unknown(name)
	}
	if p.desc.Type != t {
		return Value{}, fmt.Errorf("parameter %q is %s, not %s", name, p.desc.Type.withArticle(), t.withArticle())
	}
	return p.value, nil
}

// Bool returns the value of a bool parameter.
func (s *Set) Bool(name string) (bool, error) {
	v, err := s.typed(name, TypeBool)
	return v.BoolValue, err
}

// Int returns the value of an integer parameter.
func (s *Set) Int(name string) (int64, error) {
	v, err := s.typed(name, TypeInteger)
	return v.IntegerValue, err
}

// Double returns the value of a double parameter.
func (s *Set) Double(name string) (float64, error) {
	v, err := s.typed(name, TypeDouble)
	return v.DoubleValue, err
}

// String returns the value of a string parameter.
func (s *Set) String(name string) (string, error) {
	v, err := s.typed(name, TypeString)
	return v.StringValue, err
}

// DoubleArray returns a copy of the value of a double array parameter.
func (s *Set) DoubleArray(name string) ([]float64, error) {
	v, err := s.typed(name, TypeDoubleArray)
	return slices.Clone(v.DoubleArrayValue), err
}

// StringArray returns a copy of the value of a string array parameter.
func (s *Set) StringArray(name string) ([]string, error) {
	v, err := s.typed(name, TypeStringArray)
	return slices.Clone(v.StringArrayValue), err
}

func zeroValue(t Type) Value {
	v := Value{Type: t}
	return convertEmpty(v, t)
}

// convertEmpty gives an array type its empty slice.
func convertEmpty(v Value, t Type) Value {
	switch t {
	case TypeByteArray:
		return NewByteArray(nil)
	case TypeBoolArray:
		return NewBoolArray(nil)
	case TypeIntegerArray:
		return NewIntegerArray(nil)
	case TypeDoubleArray:
		return NewDoubleArray(nil)
	case TypeStringArray:
		return NewStringArray(nil)
	}
	return v
}

// convert returns v as a value of parameter d, or an error naming d and
// saying what to give.
func convert(d Descriptor, v Value) (Value, error) {
	switch {
	case v.Type == d.Type:
		v = v.clone()
	case d.Type == TypeDouble && v.Type == TypeInteger:
		v = NewDouble(float64(v.IntegerValue))
	case d.Type == TypeDoubleArray && v.Type == TypeIntegerArray:
		v = NewDoubleArray(collectInts(v.IntegerArrayValue))
	case d.Type.IsArray() && v.Type == TypeNotSet:
		v = convertEmpty(v, d.Type) // [] parses as "not set"
	default:
		return Value{}, typeError(d, v)
	}
	if err := checkValue(d, v); err != nil {
		return Value{}, err
	}
	return v, nil
}

func collectInts(a []int64) []float64 {
	out := make([]float64, len(a))
	for i, x := range a {
		out[i] = float64(x)
	}
	return out
}

func typeError(d Descriptor, v Value) error {
	got := "no value"
	if v.Type != TypeNotSet {
		got = fmt.Sprintf("%s %s", v.Type, v)
	}
	var hint string
	switch d.Type {
	case TypeBool:
		hint = "give true or false"
	case TypeInteger:
		hint = "give a whole number, e.g. 5"
	case TypeDouble:
		hint = "give a number, e.g. 1.5"
	case TypeString:
		hint = "give text; quote it if it looks like a number or bool, e.g. '5'"
	case TypeDoubleArray:
		hint = "give a list of numbers, e.g. [0.5, 1.0]"
	case TypeStringArray:
		hint = "give a list of quoted text, e.g. ['a', 'b']"
	default:
		hint = "give a " + d.Type.String()
	}
	return fmt.Errorf("parameter %q is %s; got %s: %s", d.Name, d.Type.withArticle(), got, hint)
}

// checkValue enforces NaN-freedom and Range on a value of d's type.
func checkValue(d Descriptor, v Value) error {
	var nums []float64
	switch v.Type {
	case TypeInteger:
		nums = []float64{float64(v.IntegerValue)}
	case TypeIntegerArray:
		nums = collectInts(v.IntegerArrayValue)
	case TypeDouble:
		nums = []float64{v.DoubleValue}
	case TypeDoubleArray:
		nums = v.DoubleArrayValue
	default:
		return nil
	}
	for i, x := range nums {
		where := ""
		if v.Type.IsArray() {
			where = fmt.Sprintf(" element %d", i)
		}
		if math.IsNaN(x) {
			return fmt.Errorf("parameter %q%s is NaN; give a number", d.Name, where)
		}
		if d.Range != nil {
			if err := d.Range.check(x); err != nil {
				return fmt.Errorf("parameter %q%s: %s %w", d.Name, where, formatNumber(v.Type, x), err)
			}
		}
	}
	return nil
}

func formatNumber(t Type, x float64) string {
	if t == TypeInteger || t == TypeIntegerArray {
		return fmt.Sprintf("%.0f", x)
	}
	return formatDouble(x)
}

func (r Range) check(x float64) error {
	tol := 1e-9 * math.Max(1, math.Max(math.Abs(r.Min), math.Abs(r.Max)))
	if x < r.Min-tol || x > r.Max+tol {
		return fmt.Errorf("is outside the range %v..%v", r.Min, r.Max)
	}
	if r.Step == 0 || math.Abs(x-r.Max) <= tol {
		return nil
	}
	k := math.Round((x - r.Min) / r.Step)
	if math.Abs(r.Min+k*r.Step-x) > tol {
		return fmt.Errorf("is not on a step: allowed are %v + k·%v up to %v (nearest %v)", r.Min, r.Step, r.Max, r.Min+k*r.Step)
	}
	return nil
}

func checkRange(t Type, r Range) error {
	switch t {
	case TypeInteger, TypeIntegerArray, TypeDouble, TypeDoubleArray:
	default:
		return fmt.Errorf("Range: a %s parameter cannot have a range; only integer and double ones", t)
	}
	if !finiteAll(r.Min, r.Max, r.Step) {
		return fmt.Errorf("Range: Min %v, Max %v and Step %v must be finite numbers", r.Min, r.Max, r.Step)
	}
	if r.Min > r.Max {
		return fmt.Errorf("Range: Min %v is above Max %v", r.Min, r.Max)
	}
	if r.Step < 0 {
		return fmt.Errorf("Range: Step %v is negative (0 means any value)", r.Step)
	}
	if t == TypeInteger || t == TypeIntegerArray {
		for _, x := range []float64{r.Min, r.Max, r.Step} {
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return fmt.Errorf("Range: %v is not a whole number; an integer parameter needs whole Min, Max and Step", x)
			}
		}
	}
	return nil
}

func finiteAll(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
