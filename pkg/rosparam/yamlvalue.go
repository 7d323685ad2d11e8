package rosparam

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseValue reads a parameter value written in YAML the way rcl reads the
// value of `-p name:=value`: unquoted true/yes/on (and false/no/off, y/n, in
// lower, Title or UPPER case) is a bool, a C integer literal (5, -3, 0x1F,
// 010 octal) an integer, a C float literal (1.5, 1e3, .inf, nan) a double,
// anything else or anything quoted a string. A flow list of one of those
// types ([1, 2]) is an array; an empty list is a Value of TypeNotSet (Set
// takes it as an empty array). Maps, nested lists, mixed lists and an empty
// value are errors.
func ParseValue(s string) (Value, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		return Value{}, fmt.Errorf("not valid YAML: %s", yamlMessage(err))
	}
	if len(doc.Content) == 0 {
		return Value{}, errors.New("no value; give one after :=, e.g. name:=1.5 (quote an empty string: name:=\"''\")")
	}
	return valueFromNode(doc.Content[0])
}

// valueFromNode converts a scalar or a sequence of scalars.
func valueFromNode(n *yaml.Node) (Value, error) {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.ScalarNode:
		return scalarValue(n)
	case yaml.SequenceNode:
		return arrayValue(n)
	case yaml.MappingNode:
		return Value{}, errors.New("is a map; a parameter value is a plain value or a list of them")
	}
	return Value{}, fmt.Errorf("unsupported YAML node (kind %d)", n.Kind)
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func scalarValue(n *yaml.Node) (Value, error) {
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 ||
		n.Style&yaml.TaggedStyle != 0 && n.ShortTag() == "!!str"
	if quoted {
		return NewString(n.Value), nil
	}
	if n.Value == "" {
		return Value{}, errors.New("no value; give one (quote an empty string: '')")
	}
	return plainScalar(n.Value), nil
}

// plainScalar types an unquoted scalar as rcl_yaml_param_parser does.
func plainScalar(s string) Value {
	switch s {
	case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y":
		return NewBool(true)
	case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N":
		return NewBool(false)
	}
	if i, ok := cInteger(s); ok {
		return NewInteger(i)
	}
	if f, ok := cDouble(s); ok {
		return NewDouble(f)
	}
	return NewString(s)
}

// cInteger parses s like C strtol(s, &end, 0) that must consume all of s
// without overflow: decimal, 0x hex, leading-0 octal, optional sign.
func cInteger(s string) (int64, bool) {
	body, _ := cutSign(s)
	if body == "" || strings.ContainsRune(body, '_') || body[0] == '+' || body[0] == '-' {
		return 0, false
	}
	if l := strings.ToLower(body); strings.HasPrefix(l, "0b") || strings.HasPrefix(l, "0o") {
		return 0, false // Go syntax, not C
	}
	i, err := strconv.ParseInt(s, 0, 64)
	return i, err == nil
}

// cDouble parses s like C strtod that must consume all of s without
// overflow or underflow, plus YAML's .inf/.nan spellings as rcl accepts them.
func cDouble(s string) (float64, bool) {
	switch s {
	case ".nan", ".NaN", ".NAN":
		return math.NaN(), true
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return math.Inf(1), true
	case "-.inf", "-.Inf", "-.INF":
		return math.Inf(-1), true
	}
	body, neg := cutSign(s)
	if body == "" || strings.ContainsRune(body, '_') || body[0] == '+' || body[0] == '-' {
		return 0, false
	}
	sign := 1.0
	if neg {
		sign = -1
	}
	l := strings.ToLower(body)
	switch {
	case l == "inf" || l == "infinity":
		return sign * math.Inf(1), true
	case l == "nan" || strings.HasPrefix(l, "nan(") && strings.HasSuffix(l, ")") && isNChars(l[4:len(l)-1]):
		return math.NaN(), true
	case strings.HasPrefix(l, "inf") || strings.HasPrefix(l, "nan"):
		return 0, false
	}
	hex := strings.HasPrefix(l, "0x")
	if hex && !strings.Contains(l, "p") {
		l += "p0" // C allows a hex float without exponent, Go does not
	}
	f, err := strconv.ParseFloat(l, 64)
	if err != nil {
		return 0, false
	}
	if math.Abs(f) < 0x1p-1022 && nonzeroMantissa(l, hex) {
		return 0, false // strtod reports ERANGE for underflow and subnormals
	}
	return sign * f, true
}

func cutSign(s string) (body string, neg bool) {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return s[1:], s[0] == '-'
	}
	return s, false
}

func isNChars(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

// nonzeroMantissa reports whether a float literal (lower case, no sign) has a
// nonzero digit before its exponent.
func nonzeroMantissa(l string, hex bool) bool {
	exp := "e"
	if hex {
		l, exp = l[2:], "p"
	}
	if i := strings.Index(l, exp); i >= 0 {
		l = l[:i]
	}
	return strings.ContainsFunc(l, func(r rune) bool { return r != '0' && r != '.' })
}

// arrayValue converts a sequence of scalars of one type, as rcl does.
func arrayValue(n *yaml.Node) (Value, error) {
	if len(n.Content) == 0 {
		return Value{}, nil
	}
	elems := make([]Value, len(n.Content))
	for i, c := range n.Content {
		c = resolveAlias(c)
		if c.Kind != yaml.ScalarNode {
			return Value{}, fmt.Errorf("element %d (line %d) is a list or map; an array holds plain values", i, c.Line)
		}
		v, err := scalarValue(c)
		if err != nil {
			return Value{}, fmt.Errorf("element %d (line %d): %w", i, c.Line, err)
		}
		if v.Type != elems[0].Type && i > 0 {
			hint := ""
			if v.Type == TypeInteger && elems[0].Type == TypeDouble || v.Type == TypeDouble && elems[0].Type == TypeInteger {
				hint = "; write every number with a decimal point (2.0) for a double array"
			}
			return Value{}, fmt.Errorf("element %d (line %d) %s is %s but element 0 is %s: an array holds one type%s", i, c.Line, v, v.Type.withArticle(), elems[0].Type.withArticle(), hint)
		}
		elems[i] = v
	}
	switch elems[0].Type {
	case TypeBool:
		return NewBoolArray(collect(elems, func(v Value) bool { return v.BoolValue })), nil
	case TypeInteger:
		return NewIntegerArray(collect(elems, func(v Value) int64 { return v.IntegerValue })), nil
	case TypeDouble:
		return NewDoubleArray(collect(elems, func(v Value) float64 { return v.DoubleValue })), nil
	default:
		return NewStringArray(collect(elems, func(v Value) string { return v.StringValue })), nil
	}
}

func collect[E any](vs []Value, f func(Value) E) []E {
	out := make([]E, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return out
}

// yamlMessage drops yaml.v3's "yaml: " prefix.
func yamlMessage(err error) string { return strings.TrimPrefix(err.Error(), "yaml: ") }
