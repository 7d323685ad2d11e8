package rosparam

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want Args
	}{
		{
			name: "no ROS arguments",
			args: []string{"-p", "x:=1", "--", "file"},
			want: Args{Remainder: []string{"-p", "x:=1", "--", "file"}},
		},
		{
			name: "params, file, remaps and the remainder around them",
			args: []string{"--verbose", "--ros-args", "-p", "link.port:=5555", "--param", "arm.name:='left'",
				"--params-file", "cfg.yaml", "-r", "__ns:=/lab", "--remap", "aether_bridge:cmd:=arm/cmd", "--", "extra"},
			want: Args{
				Params: []ParamArg{
					{Name: "link.port", Value: NewInteger(5555), Arg: "link.port:=5555"},
					{Name: "arm.name", Value: NewString("left"), Arg: "arm.name:='left'"},
				},
				ParamsFiles: []string{"cfg.yaml"},
				Remaps:      []Remap{{From: "__ns", To: "/lab"}, {Node: "aether_bridge", From: "cmd", To: "arm/cmd"}},
				ROSArgs: []string{"--ros-args", "-p", "link.port:=5555", "--param", "arm.name:='left'",
					"--params-file", "cfg.yaml", "-r", "__ns:=/lab", "--remap", "aether_bridge:cmd:=arm/cmd"},
				Remainder: []string{"--verbose", "extra"},
			},
		},
		{
			name: "several sections, a node-scoped param, flags rcl keeps",
			args: []string{"a", "--ros-args", "-p", "bridge:gain:=[0.5, 1.0]", "--log-level", "debug", "--", "b",
				"--ros-args", "--enable-stdout-logs", "-e", "/enc", "-r", "rostopic://in:=out", "--ros-args", "-p", "v:=yes"},
			want: Args{
				Params: []ParamArg{
					{Node: "bridge", Name: "gain", Value: NewDoubleArray([]float64{0.5, 1}), Arg: "bridge:gain:=[0.5, 1.0]"},
					{Name: "v", Value: NewBool(true), Arg: "v:=yes"},
				},
				Remaps: []Remap{{From: "rostopic://in", To: "out"}},
				ROSArgs: []string{"--ros-args", "-p", "bridge:gain:=[0.5, 1.0]", "--log-level", "debug",
					"--enable-stdout-logs", "-e", "/enc", "-r", "rostopic://in:=out", "-p", "v:=yes"},
				Remainder: []string{"a", "b"},
			},
		},
		{
			name: "deprecated bare remap rules outside --ros-args",
			args: []string{"__node:=m", "__ns:=/x", "chatter:=talk", "a b:=c", "--level=3", "x:=", "x:=1.5", "n:~/p:=/q/{node}", "plain"},
			want: Args{
				Remaps: []Remap{{From: "__node", To: "m"}, {From: "__ns", To: "/x"}, {From: "chatter", To: "talk"},
					{Node: "n", From: "~/p", To: "/q/{node}"}},
				ROSArgs:   []string{"--ros-args", "-r", "__node:=m", "-r", "__ns:=/x", "-r", "chatter:=talk", "-r", "n:~/p:=/q/{node}"},
				Remainder: []string{"a b:=c", "--level=3", "x:=", "x:=1.5", "plain"},
				Warnings: []string{
					`remap rule "__node:=m" outside --ros-args is deprecated; use --ros-args -r __node:=m`,
					`remap rule "__ns:=/x" outside --ros-args is deprecated; use --ros-args -r __ns:=/x`,
					`remap rule "chatter:=talk" outside --ros-args is deprecated; use --ros-args -r chatter:=talk`,
					`remap rule "n:~/p:=/q/{node}" outside --ros-args is deprecated; use --ros-args -r n:~/p:=/q/{node}`,
				},
			},
		},
		{
			name: "value containing := and a trailing empty section",
			args: []string{"--ros-args", "-p", "expr:=a:=b", "--ros-args"},
			want: Args{
				Params:  []ParamArg{{Name: "expr", Value: NewString("a:=b"), Arg: "expr:=a:=b"}},
				ROSArgs: []string{"--ros-args", "-p", "expr:=a:=b"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseArgs(c.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, c.want) {
				t.Fatalf("got  %+v\nwant %+v", *got, c.want)
			}
		})
	}
}

func TestParseArgsErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", []string{"--ros-args", "--bogus"}, []string{`unknown ROS argument "--bogus"`, "end ROS arguments with --"}},
		{"program flag inside ROS section", []string{"--ros-args", "-p", "a:=1", "--verbose"}, []string{`"--verbose"`}},
		{"trailing -p", []string{"--ros-args", "-p"}, []string{"-p needs a value", "-p link.port:=5555"}},
		{"-p followed by --", []string{"--ros-args", "-p", "--", "x"}, []string{"-p needs a value"}},
		{"--params-file without file", []string{"--ros-args", "--params-file"}, []string{"--params-file needs a value"}},
		{"-r without rule", []string{"--ros-args", "-r", "--ros-args"}, []string{"-r needs a value"}},
		{"param without :=", []string{"--ros-args", "-p", "port=5"}, []string{"-p port=5", "want name:=value"}},
		{"empty value", []string{"--ros-args", "-p", "port:="}, []string{"-p port:=", "no value"}},
		{"map value", []string{"--ros-args", "-p", "port:={a: 1}"}, []string{"is a map"}},
		{"mixed array", []string{"--ros-args", "--param", "g:=[1, 2.5]"}, []string{"--param g:=[1, 2.5]", "an array holds one type"}},
		{"empty name", []string{"--ros-args", "-p", ":=1"}, []string{"empty parameter name"}},
		{"namespace as param node", []string{"--ros-args", "-p", "/ns/n:x:=1"}, []string{"plain node name"}},
		{"bad name", []string{"--ros-args", "-p", "a..b:=1"}, []string{`parameter name "a..b"`}},
		{"relative namespace", []string{"--ros-args", "-r", "__ns:=lab"}, []string{`namespace "lab" must be absolute, e.g. /lab`}},
		{"bad namespace token", []string{"--ros-args", "-r", "__ns:=/lab/1x"}, []string{`"1x" is not a name token`}},
		{"bad node name", []string{"--ros-args", "-r", "__node:=my-node"}, []string{`node name "my-node"`}},
		{"remap without :=", []string{"--ros-args", "-r", "a"}, []string{"want from:=to"}},
		{"remap empty side", []string{"--ros-args", "-r", "a:="}, []string{"both names non-empty"}},
		{"every error reported", []string{"--ros-args", "--bogus", "-p", "x", "-r", "__ns:=q"}, []string{"--bogus", "-p x", "__ns:=q"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := ParseArgs(c.args)
			if err == nil {
				t.Fatalf("no error; parsed %+v", a)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// The node name and namespace follow rcl: the first matching __node/__name
// or __ns rule wins, rules may be limited to a node by its original name.
func TestArgsNodeNameAndNamespace(t *testing.T) {
	cases := []struct {
		args     []string
		fqn      string
		nodeName string
	}{
		{nil, "/bridge", "bridge"},
		{[]string{"--ros-args", "-r", "__ns:=/lab"}, "/lab/bridge", "bridge"},
		{[]string{"--ros-args", "-r", "bridge:__node:=m", "-r", "__node:=k"}, "/m", "m"},
		{[]string{"--ros-args", "-r", "__node:=k", "-r", "bridge:__node:=m"}, "/k", "k"},
		{[]string{"--ros-args", "-r", "other:__node:=m", "-r", "__ns:=/a", "-r", "__ns:=/b"}, "/a/bridge", "bridge"},
		{[]string{"--ros-args", "-r", "__name:=z", "-r", "__ns:=/"}, "/z", "z"},
		{[]string{"__node:=m", "__ns:=/x"}, "/x/m", "m"}, // deprecated form, as rcl still takes it
	}
	for _, c := range cases {
		a, err := ParseArgs(c.args)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.FQN("bridge", ""); got != c.fqn {
			t.Errorf("%v: FQN %q, want %q", c.args, got, c.fqn)
		}
		if got := a.NodeName("bridge"); got != c.nodeName {
			t.Errorf("%v: NodeName %q, want %q", c.args, got, c.nodeName)
		}
	}
	a, _ := ParseArgs(nil)
	if got := a.FQN("n", "/x/y"); got != "/x/y/n" {
		t.Errorf("coded namespace: FQN %q", got)
	}
}
