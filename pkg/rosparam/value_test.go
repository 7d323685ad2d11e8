package rosparam

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestParseValueLikeRcl: every expected value here is what rcl (ROS 2 Jazzy,
// through rclpy) made of the same text given as `-p name:=<text>`.
func TestParseValueLikeRcl(t *testing.T) {
	cases := []struct {
		in   string
		want Value
	}{
		{`true`, NewBool(true)},
		{`True`, NewBool(true)},
		{`TRUE`, NewBool(true)},
		{`tRue`, NewString("tRue")},
		{`yes`, NewBool(true)},
		{`Yes`, NewBool(true)},
		{`YES`, NewBool(true)},
		{`y`, NewBool(true)},
		{`Y`, NewBool(true)},
		{`on`, NewBool(true)},
		{`On`, NewBool(true)},
		{`ON`, NewBool(true)},
		{`no`, NewBool(false)},
		{`n`, NewBool(false)},
		{`N`, NewBool(false)},
		{`off`, NewBool(false)},
		{`Off`, NewBool(false)},
		{`OFF`, NewBool(false)},
		{`false`, NewBool(false)},
		{`1`, NewInteger(1)},
		{`-1`, NewInteger(-1)},
		{`+5`, NewInteger(5)},
		{`0`, NewInteger(0)},
		{`-0`, NewInteger(0)},
		{`010`, NewInteger(8)},
		{`08`, NewDouble(8.0)},
		{`0x1F`, NewInteger(31)},
		{`0X1f`, NewInteger(31)},
		{`-0x1f`, NewInteger(-31)},
		{`+0x10`, NewInteger(16)},
		{`0x`, NewString("0x")},
		{`0b11`, NewString("0b11")},
		{`0o7`, NewString("0o7")},
		{`1_000`, NewString("1_000")},
		{`9223372036854775807`, NewInteger(9223372036854775807)},
		{`9223372036854775808`, NewDouble(9.223372036854776e+18)},
		{`-9223372036854775808`, NewInteger(-9223372036854775808)},
		{`-9223372036854775809`, NewDouble(-9.223372036854776e+18)},
		{`1.5`, NewDouble(1.5)},
		{`1.`, NewDouble(1.0)},
		{`.5`, NewDouble(0.5)},
		{`-.5`, NewDouble(-0.5)},
		{`+.5`, NewDouble(0.5)},
		{`1e3`, NewDouble(1000.0)},
		{`1E3`, NewDouble(1000.0)},
		{`1e`, NewString("1e")},
		{`1e400`, NewString("1e400")},
		{`1e-400`, NewString("1e-400")},
		{`4e-320`, NewString("4e-320")},
		{`2.2250738585072014e-308`, NewDouble(2.2250738585072014e-308)},
		{`0x1p3`, NewDouble(8.0)},
		{`0x1.8`, NewDouble(1.5)},
		{`0x.8`, NewDouble(0.5)},
		{`inf`, NewDouble(math.Inf(1))},
		{`-inf`, NewDouble(math.Inf(-1))},
		{`Infinity`, NewDouble(math.Inf(1))},
		{`-INFINITY`, NewDouble(math.Inf(-1))},
		{`nan`, NewDouble(math.NaN())},
		{`NaN`, NewDouble(math.NaN())},
		{`-nan`, NewDouble(math.NaN())},
		{`nan(12)`, NewDouble(math.NaN())},
		{`.nan`, NewDouble(math.NaN())},
		{`.NaN`, NewDouble(math.NaN())},
		{`.NAN`, NewDouble(math.NaN())},
		{`-.nan`, NewString("-.nan")},
		{`+.nan`, NewString("+.nan")},
		{`.inf`, NewDouble(math.Inf(1))},
		{`.Inf`, NewDouble(math.Inf(1))},
		{`.INF`, NewDouble(math.Inf(1))},
		{`-.inf`, NewDouble(math.Inf(-1))},
		{`+.inf`, NewDouble(math.Inf(1))},
		{`.iNf`, NewString(".iNf")},
		{`abc`, NewString("abc")},
		{`x y`, NewString("x y")},
		{`1,2`, NewString("1,2")},
		{`~`, NewString("~")},
		{`null`, NewString("null")},
		{`"5"`, NewString("5")},
		{`'yes'`, NewString("yes")},
		{`!!str 7`, NewString("7")},
		{`!!str true`, NewString("true")},
		{`[1, 2]`, NewIntegerArray([]int64{1, 2})},
		{`[1.5, 2.5]`, NewDoubleArray([]float64{1.5, 2.5})},
		{`[a, b]`, NewStringArray([]string{"a", "b"})},
		{`[true, false]`, NewBoolArray([]bool{true, false})},
		{`["1", "2"]`, NewStringArray([]string{"1", "2"})},
		{`[]`, Value{}},
		{`[ ]`, Value{}},
		{`[0x10, 010]`, NewIntegerArray([]int64{16, 8})},
		{`[.inf, 1.0]`, NewDoubleArray([]float64{math.Inf(1), 1.0})},
		// Not checked against rcl: YAML forms a params file uses more.
		{"  5  ", NewInteger(5)},
		{"- 1\n- 2\n", NewIntegerArray([]int64{1, 2})},
		{"|\n  5\n", NewString("5\n")},
		{`''`, NewString("")},
	}
	for _, c := range cases {
		got, err := ParseValue(c.in)
		if err != nil {
			t.Errorf("ParseValue(%q): %v", c.in, err)
			continue
		}
		if !got.Equal(c.want) {
			t.Errorf("ParseValue(%q) = %s %s, want %s %s", c.in, got.Type, got, c.want.Type, c.want)
		}
	}
}

func TestParseValueErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "no value"},
		{"# only a comment", "no value"},
		{"{a: 1}", "is a map"},
		{"a: b", "is a map"},
		{"[[1]]", "element 0 (line 1) is a list or map"},
		{"[1, {a: 1}]", "element 1 (line 1) is a list or map"},
		{"[1, 2.5]", "element 1 (line 1) 2.5 is a double but element 0 is an integer: an array holds one type; write every number with a decimal point"},
		{`[yes, "no"]`, "element 1 (line 1) \"no\" is a string but element 0 is a bool"},
		{"[1, 2", "not valid YAML"},
		{"'unterminated", "not valid YAML"},
	}
	for _, c := range cases {
		_, err := ParseValue(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseValue(%q) error %v, want %q", c.in, err, c.want)
		}
	}
}

// Property: String writes YAML that ParseValue reads back as the same value.
func TestValueStringRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	words := []string{"", "yes", "5", "1.5", "a b", `q"uote`, "ünï", "~", "[x]", "#c", "a: b", "-", "0x1F"}
	num := func() float64 {
		switch rng.IntN(8) {
		case 0:
			return math.Inf(1 - 2*rng.IntN(2))
		case 1:
			return math.NaN()
		case 2:
			return float64(rng.IntN(100))
		}
		return (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(40)-20))
	}
	for i := 0; i < 2000; i++ {
		var v Value
		switch rng.IntN(8) {
		case 0:
			v = NewBool(rng.IntN(2) == 0)
		case 1:
			v = NewInteger(int64(rng.Uint64()))
		case 2:
			v = NewDouble(num())
		case 3:
			v = NewString(words[rng.IntN(len(words))])
		case 4:
			v = NewDoubleArray([]float64{num(), num()})
		case 5:
			v = NewIntegerArray([]int64{rng.Int64(), -rng.Int64()})
		case 6:
			v = NewStringArray([]string{words[rng.IntN(len(words))], words[rng.IntN(len(words))]})
		case 7:
			v = NewBoolArray([]bool{true, rng.IntN(2) == 0})
		}
		got, err := ParseValue(v.String())
		if err != nil {
			t.Fatalf("%s %s: %v", v.Type, v, err)
		}
		if !got.Equal(v) {
			t.Fatalf("%s %s read back as %s %s", v.Type, v, got.Type, got)
		}
	}
}

func TestTypeNumbersMatchRclInterfaces(t *testing.T) {
	// rcl_interfaces/msg/ParameterType
	want := map[Type]uint8{TypeNotSet: 0, TypeBool: 1, TypeInteger: 2, TypeDouble: 3, TypeString: 4,
		TypeByteArray: 5, TypeBoolArray: 6, TypeIntegerArray: 7, TypeDoubleArray: 8, TypeStringArray: 9}
	for typ, n := range want {
		if uint8(typ) != n {
			t.Errorf("%s = %d, want %d", typ, uint8(typ), n)
		}
	}
	if TypeDoubleArray.String() != "double_array" || TypeNotSet.String() != "not set" || Type(42).String() != "Type(42)" {
		t.Error("type names differ from rclcpp's")
	}
}

func TestValuesDoNotShareSlices(t *testing.T) {
	a := []float64{1, 2}
	v := NewDoubleArray(a)
	a[0] = 9
	if v.DoubleArrayValue[0] != 1 {
		t.Fatal("NewDoubleArray kept the caller's slice")
	}
	if NewStringArray(nil).StringArrayValue == nil {
		t.Fatal("an empty array value should be empty, not nil")
	}
}
