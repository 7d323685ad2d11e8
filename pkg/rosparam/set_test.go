package rosparam

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// bridgeSet declares parameters like the node's.
func bridgeSet(t *testing.T) *Set {
	t.Helper()
	s := NewSet()
	for _, d := range []Descriptor{
		{Name: "link.host", Type: TypeString, Default: NewString("127.0.0.1"), Description: "controller address"},
		{Name: "link.port", Type: TypeInteger, Default: NewInteger(5555), Range: &Range{Min: 1, Max: 65535}},
		{Name: "link.ack_timeout_ms", Type: TypeInteger, Default: NewInteger(200), Range: &Range{Min: 10, Max: 1000, Step: 10}},
		{Name: "hand.scale", Type: TypeDoubleArray, Default: NewIntegerArray([]int64{1, 1, 1})},
		{Name: "hand.min_confidence", Type: TypeDouble, Default: NewDouble(0.5), Range: &Range{Min: 0, Max: 1}},
		{Name: "hand.filter.beta", Type: TypeDouble, Range: &Range{Min: 0, Max: 1, Step: 0.1}},
		{Name: "hand.axis_map", Type: TypeStringArray, Default: NewStringArray([]string{"x", "y", "z"})},
		{Name: "dry_run", Type: TypeBool},
		{Name: "arm.model_file", Type: TypeString, ReadOnly: true, Default: NewString("arm.yaml")},
	} {
		if err := s.Declare(d); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestSetDeclareDefaultsAndGetters(t *testing.T) {
	s := bridgeSet(t)
	want := []string{"arm.model_file", "dry_run", "hand.axis_map", "hand.filter.beta", "hand.min_confidence",
		"hand.scale", "link.ack_timeout_ms", "link.host", "link.port"}
	if got := s.Names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Names %v", got)
	}
	if v, err := s.Int("link.port"); err != nil || v != 5555 {
		t.Errorf("link.port %v %v", v, err)
	}
	if v, err := s.DoubleArray("hand.scale"); err != nil || !reflect.DeepEqual(v, []float64{1, 1, 1}) {
		t.Errorf("hand.scale %v %v (integer default converts to double)", v, err)
	}
	if v, err := s.Bool("dry_run"); err != nil || v {
		t.Errorf("dry_run %v %v (zero Default means false)", v, err)
	}
	if v, err := s.Double("hand.filter.beta"); err != nil || v != 0 {
		t.Errorf("hand.filter.beta %v %v", v, err)
	}
	if v, err := s.StringArray("hand.axis_map"); err != nil || !reflect.DeepEqual(v, []string{"x", "y", "z"}) {
		t.Errorf("hand.axis_map %v %v", v, err)
	}
	if v, err := s.String("link.host"); err != nil || v != "127.0.0.1" {
		t.Errorf("link.host %v %v", v, err)
	}
	d, err := s.Describe("link.port")
	if err != nil || d.Type != TypeInteger || d.Range == nil || d.Range.Max != 65535 || !d.Default.Equal(NewInteger(5555)) {
		t.Errorf("Describe link.port: %+v %v", d, err)
	}
	if _, err := s.Double("link.port"); err == nil || !strings.Contains(err.Error(), `parameter "link.port" is an integer, not a double`) {
		t.Errorf("typed getter on the wrong type: %v", err)
	}
	// Returned slices are copies.
	arr, _ := s.StringArray("hand.axis_map")
	arr[0] = "q"
	if v, _ := s.Get("hand.axis_map"); v.StringArrayValue[0] != "x" {
		t.Error("a getter's slice aliases the stored value")
	}
}

func TestSetDeclareErrors(t *testing.T) {
	cases := []struct {
		d    Descriptor
		want string
	}{
		{Descriptor{Name: "", Type: TypeBool}, "empty parameter name"},
		{Descriptor{Name: "a b", Type: TypeBool}, `parameter name "a b"`},
		{Descriptor{Name: "x", Type: TypeNotSet}, "not a parameter type"},
		{Descriptor{Name: "x", Type: Type(12)}, "not a parameter type"},
		{Descriptor{Name: "x", Type: TypeInteger, Default: NewString("5")}, `default: parameter "x" is an integer; got string "5"`},
		{Descriptor{Name: "x", Type: TypeInteger, Default: NewInteger(0), Range: &Range{Min: 1, Max: 9}}, "0 is outside the range 1..9"},
		{Descriptor{Name: "x", Type: TypeString, Range: &Range{Max: 1}}, "cannot have a range"},
		{Descriptor{Name: "x", Type: TypeDouble, Range: &Range{Min: 2, Max: 1}}, "Min 2 is above Max 1"},
		{Descriptor{Name: "x", Type: TypeDouble, Range: &Range{Max: math.Inf(1)}}, "must be finite"},
		{Descriptor{Name: "x", Type: TypeDouble, Range: &Range{Max: 1, Step: -1}}, "Step -1 is negative"},
		{Descriptor{Name: "x", Type: TypeInteger, Range: &Range{Max: 1.5}}, "1.5 is not a whole number"},
		{Descriptor{Name: "x", Type: TypeDouble, Default: NewDouble(math.NaN())}, "is NaN"},
		{Descriptor{Name: "link.port", Type: TypeInteger}, `"link.port": already declared`},
	}
	for _, c := range cases {
		err := bridgeSet(t).Declare(c.d)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Declare(%+v): %v, want %q", c.d, err, c.want)
		}
	}
}

func TestSetEnforcesTypeRangeReadOnly(t *testing.T) {
	cases := []struct {
		name string
		v    Value
		want string // "" = accepted
	}{
		{"link.port", NewInteger(8080), ""},
		{"link.port", NewInteger(0), `parameter "link.port": 0 is outside the range 1..65535`},
		{"link.port", NewDouble(80), `parameter "link.port" is an integer; got double 80.0: give a whole number`},
		{"link.port", NewString("80"), `got string "80"`},
		{"link.port", Value{}, "got no value"},
		{"link.ack_timeout_ms", NewInteger(250), ""},
		{"link.ack_timeout_ms", NewInteger(1000), ""},
		{"link.ack_timeout_ms", NewInteger(255), "not on a step: allowed are 10 + k·10 up to 1000 (nearest 260)"},
		{"hand.min_confidence", NewInteger(1), ""}, // integer literal for a double
		{"hand.min_confidence", NewDouble(1.5), "1.5 is outside the range 0..1"},
		{"hand.min_confidence", NewDouble(math.NaN()), `parameter "hand.min_confidence" is NaN`},
		{"hand.filter.beta", NewDouble(0.3), ""}, // 0.1·3 is not exactly 0.3: tolerance
		{"hand.filter.beta", NewDouble(0.35), "not on a step"},
		{"hand.scale", NewIntegerArray([]int64{1, 2, 3}), ""},
		{"hand.scale", NewDoubleArray([]float64{1, math.NaN()}), "element 1 is NaN"},
		{"hand.scale", Value{}, ""}, // [] parses as not set: an empty array
		{"hand.scale", NewStringArray([]string{"1"}), "give a list of numbers"},
		{"hand.axis_map", NewIntegerArray([]int64{1}), "give a list of quoted text"},
		{"dry_run", NewString("yes"), `parameter "dry_run" is a bool; got string "yes": give true or false`},
		{"dry_run", NewBool(true), ""},
		{"link.host", NewInteger(5), "quote it"},
		{"arm.model_file", NewString("b.yaml"), `parameter "arm.model_file" is read-only (it is "arm.yaml" until a restart); to use "b.yaml", restart the node with -p arm.model_file:="b.yaml"`},
		{"link.prot", NewInteger(1), `unknown parameter "link.prot" (did you mean "link.port"?)`},
	}
	for _, c := range cases {
		s := bridgeSet(t)
		before, _ := s.Get(c.name)
		err := s.Set(c.name, c.v)
		if c.want == "" {
			if err != nil {
				t.Errorf("Set(%s, %s): %v", c.name, c.v, err)
				continue
			}
			got, _ := s.Get(c.name)
			if got.Type != before.Type {
				t.Errorf("Set(%s, %s) changed the type to %s", c.name, c.v, got.Type)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Set(%s, %s): %v, want %q", c.name, c.v, err, c.want)
		}
		if after, _ := s.Get(c.name); !after.Equal(before) {
			t.Errorf("rejected Set(%s, %s) changed the value to %s", c.name, c.v, after)
		}
	}
}

func TestSetIntegerForDoubleConverts(t *testing.T) {
	s := bridgeSet(t)
	if err := s.Set("hand.min_confidence", NewInteger(0)); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Get("hand.min_confidence")
	if !v.Equal(NewDouble(0)) {
		t.Fatalf("stored %s %s, want double 0.0", v.Type, v)
	}
}

func TestUnknownParameterSuggestions(t *testing.T) {
	s := bridgeSet(t)
	cases := []struct{ name, want string }{
		{"foo", `unknown parameter "foo" (none of the 9 declared names is close`},
		{"link.prot", `(did you mean "link.port"?)`},
		{"LINK.PORT", `(did you mean "link.port"?)`},
		{"ack_timeout_ms", `(did you mean "link.ack_timeout_ms"?)`},
		{"hand.min_confidance", `(did you mean "hand.min_confidence"?)`},
		{"hand.beta", `(did you mean "hand.filter.beta"?)`},
	}
	for _, c := range cases {
		_, err := s.Get(c.name)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Get(%q): %v, want %q", c.name, err, c.want)
		}
	}
	small := NewSet()
	if err := small.Declare(Descriptor{Name: "bar", Type: TypeBool}); err != nil {
		t.Fatal(err)
	}
	if err := small.Set("baz", NewBool(true)); err == nil || err.Error() != `unknown parameter "baz" (did you mean "bar"?)` {
		t.Errorf("small set: %v", err)
	}
	if _, err := small.Get("foo"); err == nil || err.Error() != `unknown parameter "foo" (declared: bar)` {
		t.Errorf("small set, nothing close: %v", err)
	}
	if _, err := NewSet().Get("x"); err == nil || !strings.Contains(err.Error(), "no parameters are declared") {
		t.Errorf("empty set: %v", err)
	}
}

func TestApplyIsAllOrNothingAndNamesSources(t *testing.T) {
	s := bridgeSet(t)
	ignored, err := s.Apply([]Override{
		{Name: "link.port", Value: NewInteger(6000), Source: "-p link.port:=6000"},
		{Name: "link.prot", Value: NewInteger(1), Source: `params file "b.yaml", node "/**", line 3`, Shared: true},
		{Name: "dry_run", Value: NewInteger(1), Source: "-p dry_run:=1"},
	})
	if err == nil {
		t.Fatal("no error")
	}
	if w := `-p dry_run:=1: parameter "dry_run" is a bool; got integer 1`; !strings.Contains(err.Error(), w) {
		t.Errorf("error %q lacks %q", err, w)
	}
	// An undeclared name is skipped, not an error, with the did-you-mean and its source.
	if len(ignored) != 1 || !ignored[0].Shared || ignored[0].Reason !=
		`params file "b.yaml", node "/**", line 3: unknown parameter "link.prot" (did you mean "link.port"?)` {
		t.Errorf("ignored = %+v", ignored)
	}
	if strings.Contains(err.Error(), "link.prot") {
		t.Errorf("an undeclared name made an error: %v", err)
	}
	if v, _ := s.Int("link.port"); v != 5555 {
		t.Fatalf("a failed Apply changed link.port to %d", v)
	}

	_, err = s.Apply([]Override{
		{Name: "link.port", Value: NewInteger(6000)},
		{Name: "link.port", Value: NewInteger(7000)},
		{Name: "arm.model_file", Value: NewString("big.yaml")}, // read-only takes start-up overrides
		{Name: "hand.scale", Value: NewIntegerArray([]int64{2, 2, 2})},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Int("link.port"); v != 7000 {
		t.Errorf("link.port %d, want the later override 7000", v)
	}
	if v, _ := s.String("arm.model_file"); v != "big.yaml" {
		t.Errorf("arm.model_file %q", v)
	}
	if v, _ := s.DoubleArray("hand.scale"); !reflect.DeepEqual(v, []float64{2, 2, 2}) {
		t.Errorf("hand.scale %v", v)
	}
}

// End to end: command line and params file into a Set.
func TestArgsIntoSet(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "bridge.yaml", `
/**:
  ros__parameters:
    link: {port: 6000, ack_timeout_ms: 100}
    hand:
      scale: [2, 2, 2]
      axis_map: ["-z", x, "-y"]
/lab/aether_bridge:
  ros__parameters:
    link.ack_timeout_ms: 300
    dry_run: yes
`)
	args, err := ParseArgs([]string{"--ros-args", "--params-file", file, "-r", "__ns:=/lab", "-p", "hand.min_confidence:=1", "--", "rest"})
	if err != nil {
		t.Fatal(err)
	}
	ovs, err := args.Overrides(args.FQN("aether_bridge", ""))
	if err != nil {
		t.Fatal(err)
	}
	s := bridgeSet(t)
	if _, err := s.Apply(ovs); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, n := range s.Names() {
		v, _ := s.Get(n)
		got[n] = fmt.Sprint(v)
	}
	want := map[string]string{
		"arm.model_file": `"arm.yaml"`, "dry_run": "true", "hand.axis_map": `["-z", "x", "-y"]`,
		"hand.filter.beta": "0.0", "hand.min_confidence": "1.0", "hand.scale": "[2.0, 2.0, 2.0]",
		"link.ack_timeout_ms": "300", "link.host": `"127.0.0.1"`, "link.port": "6000",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	if !reflect.DeepEqual(args.Remainder, []string{"rest"}) {
		t.Fatalf("remainder %v", args.Remainder)
	}
}

func TestSetConcurrentUse(t *testing.T) {
	s := bridgeSet(t)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= 200; i++ {
				if err := s.Set("link.port", NewInteger(int64(i))); err != nil {
					t.Error(err)
					return
				}
				if v, err := s.Int("link.port"); err != nil || v < 1 || v > 200 {
					t.Errorf("link.port %d %v", v, err)
					return
				}
				_ = s.Names()
			}
		}()
	}
	wg.Wait()
}
