//go:build cgo

package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil || o.in != "/bench/in" || o.out != "/bench/out" {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-in", "bench/in"}, `-in "bench/in" is not an absolute ROS topic name`},
		{[]string{"-out", "/a b"}, `-out "/a b" is not an absolute ROS topic name`},
		{[]string{"-in", "/x", "-out", "/x"}, "the relay would feed itself"},
		{[]string{"/x"}, `unexpected argument "/x"`},
		{[]string{"-topic", "/x"}, "flag provided but not defined"},
	} {
		if _, err := parseFlags(c.args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseFlags(%q) = %v, want %q", c.args, err, c.want)
		}
	}
}
