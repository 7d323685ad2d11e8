package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFlagsRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string // part of the error
	}{
		{"no mode", nil, "no mode given"},
		{"unknown mode", []string{"flood", "-addr", "127.0.0.1:1"}, `unknown mode "flood"`},
		{"missing addr", []string{"ndjson"}, "-addr is required"},
		{"not host:port", []string{"ndjson", "-addr", "127.0.0.1"}, "is not host:port"},
		{"not loopback", []string{"ndjson", "-addr", "192.168.1.20:5000"}, "loopback"},
		{"host name", []string{"ndjson", "-addr", "example.com:5000"}, "loopback"},
		{"port zero", []string{"ndjson", "-addr", "127.0.0.1:0"}, `port "0"`},
		{"port text", []string{"ndjson", "-addr", "127.0.0.1:http"}, `port "http"`},
		{"zero rate", []string{"fifo", "-addr", "127.0.0.1:5000", "-rate", "0"}, "-rate 0"},
		{"huge rate", []string{"fifo", "-addr", "127.0.0.1:5000", "-rate", "1e9"}, "-rate 1e+09"},
		{"NaN rate", []string{"fifo", "-addr", "127.0.0.1:5000", "-rate", "NaN"}, "-rate NaN"},
		{"negative duration", []string{"monitor", "-addr", "127.0.0.1:5000", "-duration", "-1s"}, "-duration -1s"},
		{"zero timeout", []string{"link", "-addr", "127.0.0.1:5000", "-timeout", "0s"}, "-timeout 0s"},
		{"negative drain", []string{"fifo", "-addr", "127.0.0.1:5000", "-drain", "-5s"}, "-drain -5s"},
		{"empty out", []string{"link", "-addr", "127.0.0.1:5000", "-out", ""}, "-out is empty"},
		{"stray argument", []string{"link", "-addr", "127.0.0.1:5000", "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"link", "-adr", "127.0.0.1:5000"}, "flag provided but not defined: -adr"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseFlags(c.args, &stderr)
			if err == nil {
				t.Fatalf("parseFlags(%q) accepted it", c.args)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("parseFlags(%q) = %v, want it to mention %q", c.args, err, c.want)
			}
		})
	}
}

func TestParseFlagsReportsEveryBadFlag(t *testing.T) {
	_, err := parseFlags([]string{"fifo", "-addr", "10.0.0.1:5000", "-rate", "-3", "-duration", "2h"}, &bytes.Buffer{})
	for _, want := range []string{"-addr", "-rate", "-duration"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

func TestParseFlagsAcceptsDefaults(t *testing.T) {
	o, err := parseFlags([]string{"ndjson", "-addr", "localhost:5000"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.mode != "ndjson" || o.rate != 1000 || o.out != "-" || o.timeout <= 0 {
		t.Fatalf("defaults not filled in: %+v", o)
	}
}

func TestHelpIsNotAnError(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if !strings.Contains(stderr.String(), "MODE is ndjson, monitor, fifo or link") {
		t.Fatalf("usage does not list the modes: %q", stderr.String())
	}
}

func TestRunWritesResultFile(t *testing.T) {
	addr := startController(t)
	out := filepath.Join(t.TempDir(), "r.json")
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"ndjson", "-addr", addr, "-rate", "200", "-duration", "100ms", "-out", out}, &stdout, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "ready\n" {
		t.Errorf("stdout %q, want ready", stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res NDJSONResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("result is not JSON: %v: %s", err, b)
	}
	if res.Mode != "ndjson" || len(res.RTTns) == 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestRunReportsUnreachableController(t *testing.T) {
	err := run(context.Background(), []string{"ndjson", "-addr", closedAddr(t), "-duration", "50ms", "-out", filepath.Join(t.TempDir(), "r.json")}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "connect to the controller") {
		t.Fatalf("err = %v, want a connect error", err)
	}
}
