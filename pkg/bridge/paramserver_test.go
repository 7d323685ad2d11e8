package bridge

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aether-lab/aether-bridge/pkg/rosparam"
)

func newParamServer(t *testing.T) (*ParamServer, *[]Settings) {
	t.Helper()
	set, err := DeclareParams()
	if err != nil {
		t.Fatal(err)
	}
	base, err := SettingsFrom(set)
	if err != nil {
		t.Fatal(err)
	}
	var changes []Settings
	return NewParamServer(set, base, func(s Settings) { changes = append(changes, s) }), &changes
}

func TestListFollowsPrefixesAndDepth(t *testing.T) {
	p, _ := newParamServer(t)
	all, prefixes := p.List(nil, 0)
	if len(all) != len(Params)+1 || !slices.Contains(prefixes, "hand.filter") || !slices.Contains(prefixes, "link") {
		t.Fatalf("list all: %d names, prefixes %v", len(all), prefixes)
	}
	top, _ := p.List(nil, 1)
	if slices.Contains(top, "link.ack_timeout_ms") || !slices.Contains(top, "mode") {
		t.Fatalf("depth 1: %v", top)
	}
	hand1, _ := p.List([]string{"hand"}, 1)
	if !slices.Contains(hand1, "hand.scale") || slices.Contains(hand1, "hand.filter.beta") || slices.Contains(hand1, "mode") {
		t.Fatalf("hand depth 1: %v", hand1)
	}
	hand, _ := p.List([]string{"hand"}, 0)
	if !slices.Contains(hand, "hand.filter.beta") {
		t.Fatalf("hand any depth: %v", hand)
	}
}

func TestGetAndDescribeUnknownAreNotSet(t *testing.T) {
	p, _ := newParamServer(t)
	v := p.Get([]string{"controller_port", "nope"})
	if v[0].Type != rosparam.TypeInteger || v[0].IntegerValue != 5000 || v[1].Type != rosparam.TypeNotSet {
		t.Fatalf("get = %+v", v)
	}
	d := p.Describe([]string{"controller_port", "nope"})
	if !d[0].ReadOnly || d[0].Range == nil || d[0].Range.Max != 65535 || d[1].Type != rosparam.TypeNotSet {
		t.Fatalf("describe = %+v", d)
	}
}

func TestSetLiveParameter(t *testing.T) {
	p, changes := newParamServer(t)
	r := p.Set([]NamedValue{{"clamp_to_workspace", rosparam.NewBool(true)}}, false)
	if !r[0].OK || len(*changes) != 1 || !(*changes)[0].Clamp {
		t.Fatalf("result %+v changes %+v", r, *changes)
	}
}

func TestSetRejectsReadOnlyWrongTypeAndInvalidCombination(t *testing.T) {
	p, changes := newParamServer(t)
	r := p.Set([]NamedValue{
		{"controller_port", rosparam.NewInteger(6000)},
		{"hand.filter.beta", rosparam.NewString("fast")},
		{"hand.pinch.open_below", rosparam.NewDouble(0.95)}, // above close_above
	}, false)
	for i, want := range []string{"controller_port", "hand.filter.beta", "open"} {
		if r[i].OK || !strings.Contains(strings.ToLower(r[i].Reason), strings.ToLower(want)) {
			t.Errorf("result %d = %+v, want a failure naming %q", i, r[i], want)
		}
	}
	if len(*changes) != 0 {
		t.Fatalf("rejected sets reached OnChange: %+v", *changes)
	}
	if v := p.Get([]string{"hand.pinch.open_below"})[0]; v.DoubleValue != 0.5 {
		t.Fatalf("rollback failed: open_below = %v", v.DoubleValue)
	}
}

func TestSetAtomicallyIsAllOrNothing(t *testing.T) {
	p, _ := newParamServer(t)
	r := p.Set([]NamedValue{
		{"clamp_to_workspace", rosparam.NewBool(true)},
		{"hand.min_confidence", rosparam.NewDouble(2)}, // out of range
	}, true)
	if r[0].OK || r[1].OK {
		t.Fatalf("atomic set partly succeeded: %+v", r)
	}
	if v := p.Get([]string{"clamp_to_workspace"})[0]; v.BoolValue {
		t.Fatal("atomic failure left clamp_to_workspace changed")
	}
	// Both valid: the pinch thresholds can swap places only together.
	r = p.Set([]NamedValue{
		{"hand.pinch.close_above", rosparam.NewDouble(0.4)},
		{"hand.pinch.open_below", rosparam.NewDouble(0.3)},
	}, true)
	if !r[0].OK {
		t.Fatalf("atomic set failed: %+v", r)
	}
}

func TestLiveSetDoesNotRereadFiles(t *testing.T) {
	tok := writeFile(t, "s3cret\n")
	args, err := rosparam.ParseArgs([]string{"--ros-args", "-p", "token_file:=" + tok})
	if err != nil {
		t.Fatal(err)
	}
	set, base, _, err := LoadSettings("aether_bridge", "", args)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(tok); err != nil {
		t.Fatal(err)
	}
	var got Settings
	p := NewParamServer(set, base, func(s Settings) { got = s })
	if r := p.Set([]NamedValue{{"clamp_to_workspace", rosparam.NewBool(true)}}, false); !r[0].OK {
		t.Fatalf("live set failed after the token file went away: %s", r[0].Reason)
	}
	if !got.Clamp || got.Token != "s3cret" {
		t.Fatalf("settings after the live set: clamp %v token %q", got.Clamp, got.Token)
	}
}
