package ik

import (
	"fmt"
	"strings"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Code classifies an IK/FK failure. It is the wire's error code type: the
// codes below are protocol's own, so there is one list of codes (in
// pkg/protocol) and a controller copies them into a reply as they are.
type Code = protocol.Code

// Codes returned in Error.Code.
const (
	// CodeUnreachable: the point is farther from (or closer to) the
	// shoulder than the links can span.
	CodeUnreachable = protocol.CodeUnreachable
	// CodeJointLimit: the links can span the point, but only with some
	// joint outside its [min_deg, max_deg] range.
	CodeJointLimit = protocol.CodeJointLimit
	// CodeOutOfRange: the point is outside the workspace box, or a
	// coordinate or angle is NaN or ±Inf.
	CodeOutOfRange = protocol.CodeOutOfRange
)

// Error is the error type of FK, IK, CheckJoints and ClampJoints for bad
// targets. Use errors.As to get at the Code.
type Error struct {
	// Code is the wire error code.
	Code Code
	// Joint names the joint at fault (joint_limit, or a NaN angle);
	// empty when no single joint is to blame.
	Joint string
	// Message says what is wrong and what to change, in degrees and mm.
	Message string
}

// Error implements error.
func (e *Error) Error() string { return "ik: " + e.Message }

// FieldError reports a bad value in an arm model, naming the field by its
// YAML path, e.g. "joints[2].max_deg".
type FieldError struct {
	// Field is the YAML path of the offending field; "" for the whole
	// document.
	Field string
	// Line is the 1-based line in the YAML source, or 0 when unknown
	// (e.g. a Model built in Go).
	Line int
	// Problem says what is wrong and what is expected, phrased to follow
	// the field name ("must be > min_deg (-90)").
	Problem string
}

// Error implements error.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Field == "" {
		b.WriteString("(document)")
	} else {
		b.WriteString(e.Field)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	b.WriteString(" ")
	b.WriteString(e.Problem)
	return b.String()
}
