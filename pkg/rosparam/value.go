package rosparam

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Type is a parameter type, numbered as rcl_interfaces/ParameterType.
type Type uint8

// Parameter types, with rcl_interfaces/ParameterType's numbers.
const (
	TypeNotSet       Type = 0
	TypeBool         Type = 1
	TypeInteger      Type = 2
	TypeDouble       Type = 3
	TypeString       Type = 4
	TypeByteArray    Type = 5
	TypeBoolArray    Type = 6
	TypeIntegerArray Type = 7
	TypeDoubleArray  Type = 8
	TypeStringArray  Type = 9
)

var typeNames = [...]string{"not set", "bool", "integer", "double", "string",
	"byte_array", "bool_array", "integer_array", "double_array", "string_array"}

// String returns the type's name as rclcpp prints it ("integer",
// "double_array", "not set").
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// withArticle returns the type's name after "a" or "an": "an integer".
func (t Type) withArticle() string {
	name := t.String()
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// IsArray reports whether t is one of the array types.
func (t Type) IsArray() bool { return t >= TypeByteArray && t <= TypeStringArray }

// Value is a parameter value, shaped like rcl_interfaces/ParameterValue: Type
// says which one field holds the value. The zero Value is "not set".
type Value struct {
	// Type says which of the fields below holds the value.
	Type Type
	// One field per type, named as in rcl_interfaces/ParameterValue.
	BoolValue         bool
	IntegerValue      int64
	DoubleValue       float64
	StringValue       string
	ByteArrayValue    []byte
	BoolArrayValue    []bool
	IntegerArrayValue []int64
	DoubleArrayValue  []float64
	StringArrayValue  []string
}

// NewBool returns a bool Value.
func NewBool(b bool) Value { return Value{Type: TypeBool, BoolValue: b} }

// NewInteger returns an integer Value.
func NewInteger(i int64) Value { return Value{Type: TypeInteger, IntegerValue: i} }

// NewDouble returns a double Value.
func NewDouble(f float64) Value { return Value{Type: TypeDouble, DoubleValue: f} }

// NewString returns a string Value.
func NewString(s string) Value { return Value{Type: TypeString, StringValue: s} }

// NewByteArray returns a byte array Value holding a copy of b.
func NewByteArray(b []byte) Value {
	return Value{Type: TypeByteArray, ByteArrayValue: cloneNonNil(b)}
}

// NewBoolArray returns a bool array Value holding a copy of b.
func NewBoolArray(b []bool) Value {
	return Value{Type: TypeBoolArray, BoolArrayValue: cloneNonNil(b)}
}

// NewIntegerArray returns an integer array Value holding a copy of a.
func NewIntegerArray(a []int64) Value {
	return Value{Type: TypeIntegerArray, IntegerArrayValue: cloneNonNil(a)}
}

// NewDoubleArray returns a double array Value holding a copy of a.
func NewDoubleArray(a []float64) Value {
	return Value{Type: TypeDoubleArray, DoubleArrayValue: cloneNonNil(a)}
}

// NewStringArray returns a string array Value holding a copy of a.
func NewStringArray(a []string) Value {
	return Value{Type: TypeStringArray, StringArrayValue: cloneNonNil(a)}
}

func cloneNonNil[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return slices.Clone(s)
}

// clone returns v holding only its own field, with slices copied, so the
// stored value shares nothing with the caller.
func (v Value) clone() Value {
	switch v.Type {
	case TypeBool:
		return NewBool(v.BoolValue)
	case TypeInteger:
		return NewInteger(v.IntegerValue)
	case TypeDouble:
		return NewDouble(v.DoubleValue)
	case TypeString:
		return NewString(v.StringValue)
	case TypeByteArray:
		return NewByteArray(v.ByteArrayValue)
	case TypeBoolArray:
		return NewBoolArray(v.BoolArrayValue)
	case TypeIntegerArray:
		return NewIntegerArray(v.IntegerArrayValue)
	case TypeDoubleArray:
		return NewDoubleArray(v.DoubleArrayValue)
	case TypeStringArray:
		return NewStringArray(v.StringArrayValue)
	}
	return Value{Type: v.Type}
}

// Equal reports whether v and o have the same type and value (NaN equals
// NaN, so a value read back compares equal to itself).
func (v Value) Equal(o Value) bool {
	if v.Type != o.Type {
		return false
	}
	feq := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	switch v.Type {
	case TypeBool:
		return v.BoolValue == o.BoolValue
	case TypeInteger:
		return v.IntegerValue == o.IntegerValue
	case TypeDouble:
		return feq(v.DoubleValue, o.DoubleValue)
	case TypeString:
		return v.StringValue == o.StringValue
	case TypeByteArray:
		return slices.Equal(v.ByteArrayValue, o.ByteArrayValue)
	case TypeBoolArray:
		return slices.Equal(v.BoolArrayValue, o.BoolArrayValue)
	case TypeIntegerArray:
		return slices.Equal(v.IntegerArrayValue, o.IntegerArrayValue)
	case TypeDoubleArray:
		return slices.EqualFunc(v.DoubleArrayValue, o.DoubleArrayValue, feq)
	case TypeStringArray:
		return slices.Equal(v.StringArrayValue, o.StringArrayValue)
	}
	return true
}

// String formats v as YAML that ParseValue reads back as the same type and
// value: true, 5, 1.0, "text", [1.5, 2.0].
func (v Value) String() string {
	switch v.Type {
	case TypeBool:
		return strconv.FormatBool(v.BoolValue)
	case TypeInteger:
		return strconv.FormatInt(v.IntegerValue, 10)
	case TypeDouble:
		return formatDouble(v.DoubleValue)
	case TypeString:
		return strconv.Quote(v.StringValue)
	case TypeByteArray:
		return joinFormatted(v.ByteArrayValue, func(b byte) string { return strconv.Itoa(int(b)) })
	case TypeBoolArray:
		return joinFormatted(v.BoolArrayValue, strconv.FormatBool)
	case TypeIntegerArray:
		return joinFormatted(v.IntegerArrayValue, func(i int64) string { return strconv.FormatInt(i, 10) })
	case TypeDoubleArray:
		return joinFormatted(v.DoubleArrayValue, formatDouble)
	case TypeStringArray:
		return joinFormatted(v.StringArrayValue, strconv.Quote)
	}
	return "(not set)"
}

func joinFormatted[E any](s []E, f func(E) string) string {
	parts := make([]string, len(s))
	for i, e := range s {
		parts[i] = f(e)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// formatDouble writes f so it reads back as a double, never an integer.
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}
