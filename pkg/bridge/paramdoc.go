package bridge

import (
	"fmt"
	"strconv"
	"strings"
)

// ParamsYAML renders Params as a documented ROS 2 parameter file (the
// content of config/bridge.yaml): every parameter at its default, under
// "/**" so it applies whatever the node is named, each with its meaning,
// unit, range and whether it can change at run time.
func ParamsYAML() string {
	var b strings.Builder
	b.WriteString(`# aether_bridge parameters: every one, at its default, with its unit.
# Generated from pkg/bridge/settings.go (go test ./pkg/bridge -run TestBridgeYAML -update).
#
#   aether_bridge --ros-args --params-file config/bridge.yaml -p controller_host:=192.168.1.20
#
# Later sources win: this file < a node-name section in another file < -p overrides.
# "read-only" parameters are fixed at start; the others can be set live with ros2 param set.
/**:
  ros__parameters:
`)
	var open []string // nested map path currently open
	for _, p := range Params {
		parts := strings.Split(p.Name, ".")
		parents, leaf := parts[:len(parts)-1], parts[len(parts)-1]
		common := 0
		for common < len(open) && common < len(parents) && open[common] == parents[common] {
			common++
		}
		open = open[:common]
		for _, name := range parents[common:] {
			fmt.Fprintf(&b, "%s%s:\n", indent(len(open)), name)
			open = append(open, name)
		}
		ind := indent(len(open))
		fmt.Fprintf(&b, "%s# %s\n", ind, p.doc())
		fmt.Fprintf(&b, "%s%s: %s\n", ind, leaf, yamlValue(p.Default))
	}
	return b.String()
}

func indent(depth int) string { return strings.Repeat("  ", depth+2) }

// doc is the one-line comment for p.
func (p Param) doc() string {
	var extra []string
	if p.Min != nil || p.Max != nil {
		extra = append(extra, "range "+rangeText(p.Min, p.Max))
	}
	if len(p.Choices) > 0 {
		extra = append(extra, "one of "+strings.Join(p.Choices, " | "))
	}
	if p.ReadOnly {
		extra = append(extra, "read-only")
	}
	if len(extra) == 0 {
		return p.Description
	}
	return p.Description + " [" + strings.Join(extra, "; ") + "]"
}

func rangeText(lo, hi *float64) string {
	num := func(v *float64) string {
		if v == nil {
			return "…"
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	return num(lo) + ".." + num(hi)
}

func yamlValue(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return `""`
		}
		return strconv.Quote(v)
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0" // keep it a double for ROS
		}
		return s
	case []float64:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = yamlValue(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.Quote(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// ParamsMarkdown renders Params as the README's parameter table.
func ParamsMarkdown() string {
	var b strings.Builder
	b.WriteString("| parameter | type | default | live | meaning |\n|---|---|---|---|---|\n")
	for _, p := range Params {
		live := "yes"
		if p.ReadOnly {
			live = "no"
		}
		desc := p.Description
		if p.Min != nil || p.Max != nil {
			desc += " (" + rangeText(p.Min, p.Max) + ")"
		}
		if len(p.Choices) > 0 {
			desc += " (" + strings.Join(p.Choices, " \\| ") + ")"
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s |\n", p.Name, typeNames[p.Type], yamlValue(p.Default), live,
			strings.ReplaceAll(desc, "|", "\\|"))
	}
	return b.String()
}

var typeNames = map[ParamType]string{Bool: "bool", Int: "int", Double: "double", String: "string",
	DoubleArray: "double[]", StringArray: "string[]"}
