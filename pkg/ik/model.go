package ik

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Wrist policy modes (WristPolicy.Mode).
const (
	// WristFixedPitch keeps the tool at exactly WristPolicy.PitchDeg.
	WristFixedPitch = "fixed_pitch"
	// WristAuto prefers WristPolicy.PitchDeg but tilts the tool as little
	// as needed when that pitch cannot reach the target.
	WristAuto = "auto"
)

// Point is a position in the arm's base frame, in millimetres: x forward,
// y left, z up (REP 103); the origin is on the base plate under the base
// yaw axis.
type Point struct {
	// X is forward, mm; 0 = on the base yaw axis' plane.
	X float64 `yaml:"x"`
	// Y is left, mm; 0 = straight ahead.
	Y float64 `yaml:"y"`
	// Z is up, mm; 0 = the base plate (table) level.
	Z float64 `yaml:"z"`
}

// String formats p as "(x, y, z) mm" with 0.1 mm resolution.
func (p Point) String() string {
	return fmt.Sprintf("(%.1f, %.1f, %.1f) mm", p.X, p.Y, p.Z)
}

// Box is an axis-aligned box in the base frame, in millimetres, bounds
// included.
type Box struct {
	// Min is the lowest corner, mm.
	Min Point `yaml:"min"`
	// Max is the highest corner, mm; every coordinate must be > Min's.
	Max Point `yaml:"max"`
}

// Contains reports whether p is inside b, bounds included. NaN is never
// inside.
func (b Box) Contains(p Point) bool {
	return p.X >= b.Min.X && p.X <= b.Max.X &&
		p.Y >= b.Min.Y && p.Y <= b.Max.Y &&
		p.Z >= b.Min.Z && p.Z <= b.Max.Z
}

// BoxViolation is the first coordinate of a point outside a Box.
type BoxViolation struct {
	Axis  string  // "x", "y" or "z"
	Value float64 // the point's coordinate
	Limit float64 // the bound it is past
	Above bool    // past the maximum; false: below the minimum
}

// Side says which bound Value is past, for messages.
func (v BoxViolation) Side() string {
	if v.Above {
		return "above the workspace maximum"
	}
	return "below the workspace minimum"
}

// Violation returns the first coordinate (x, y, z order) of p outside b,
// and false when every coordinate is inside or NaN.
func (b Box) Violation(p Point) (BoxViolation, bool) {
	for _, a := range [3]struct {
		name      string
		v, lo, hi float64
	}{{"x", p.X, b.Min.X, b.Max.X}, {"y", p.Y, b.Min.Y, b.Max.Y}, {"z", p.Z, b.Min.Z, b.Max.Z}} {
		if a.v < a.lo {
			return BoxViolation{Axis: a.name, Value: a.v, Limit: a.lo}, true
		}
		if a.v > a.hi {
			return BoxViolation{Axis: a.name, Value: a.v, Limit: a.hi, Above: true}, true
		}
	}
	return BoxViolation{}, false
}

// Clamp returns the point of b nearest to p (each coordinate clamped into
// its range, which is the Euclidean nearest point of a box).
func (b Box) Clamp(p Point) Point {
	return Point{
		X: min(max(p.X, b.Min.X), b.Max.X),
		Y: min(max(p.Y, b.Min.Y), b.Max.Y),
		Z: min(max(p.Z, b.Min.Z), b.Max.Z),
	}
}

// Joint is one IK joint's range and calibration, in degrees in the model
// frame (see the package doc for each joint's zero and sign).
type Joint struct {
	// Name identifies the joint in errors and on the wire; must be
	// non-empty and unique.
	Name string `yaml:"name"`
	// MinDeg is the lowest allowed angle, degrees, in [-360, 360].
	// 0 means the model zero (e.g. upper arm horizontal) is the limit.
	MinDeg float64 `yaml:"min_deg"`
	// MaxDeg is the highest allowed angle, degrees; must be > MinDeg and
	// at most 360° above it.
	MaxDeg float64 `yaml:"max_deg"`
	// ZeroDeg is the model-frame angle at which the servo's/URDF's angle
	// for this joint reads zero: external = model - ZeroDeg. 0 means both
	// frames share their zero.
	ZeroDeg float64 `yaml:"zero_deg"`
}

// WristPolicy says how IK chooses the tool pitch, which a 3-link planar
// arm leaves free.
type WristPolicy struct {
	// Mode is WristFixedPitch ("fixed_pitch") or WristAuto ("auto");
	// empty is invalid.
	Mode string `yaml:"mode"`
	// PitchDeg is the tool pitch above horizontal, degrees, in
	// [-180, 180]: 0 = tool horizontal pointing away from the base,
	// -90 = pointing straight down, +90 = straight up. With "auto" it is
	// the preferred pitch.
	PitchDeg float64 `yaml:"pitch_deg"`
}

// Model is the arm's kinematic model, as written under `kinematics:` in the
// arm file. Lengths are mm, angles degrees. Start from DefaultModel or
// ParseModel, and call Validate after changing a field: FK and IK assume a
// valid model.
type Model struct {
	// Name identifies the arm model (e.g. in logs); must be non-empty.
	Name string `yaml:"name"`
	// BaseHeight is the height of the shoulder axis above the base plate,
	// mm; 0 = the shoulder axis lies on the plate.
	BaseHeight float64 `yaml:"base_height"`
	// UpperArm is the shoulder-axis to elbow-axis distance, mm; must be
	// ≥ 1 (0 is invalid).
	UpperArm float64 `yaml:"upper_arm"`
	// Forearm is the elbow-axis to wrist-axis distance, mm; must be ≥ 1.
	Forearm float64 `yaml:"forearm"`
	// Tool is the wrist-pitch axis to tool point distance, mm, along the
	// tool axis; 0 = the tool point is on the wrist axis.
	Tool float64 `yaml:"tool"`
	// Joints lists base yaw, shoulder, elbow, wrist pitch and optionally
	// wrist roll, in that order (4 or 5 entries). A wrist roll's range
	// must include 0.
	Joints []Joint `yaml:"joints"`
	// Wrist is the tool-pitch policy of IK.
	Wrist WristPolicy `yaml:"wrist"`
	// Workspace is the safety box the tool point must stay in, mm. IK
	// rejects (or, with Options.Clamp, clamps) targets outside it.
	Workspace Box `yaml:"workspace"`
	// ParkDeg is the rest pose for power-off, degrees per joint (same
	// length as Joints, each within its limits). Its tool point may lie
	// outside Workspace.
	ParkDeg []float64 `yaml:"park_deg"`
	// HomeDeg is the neutral pose, degrees per joint. Its tool point must
	// be inside Workspace and reachable by IK: clamping moves targets
	// towards it.
	HomeDeg []float64 `yaml:"home_deg"`
}

// DefaultModel returns the built-in arm: a MeArm-class 5-DOF desktop arm
// with 180° hobby servos. This is the only place defaults live.
func DefaultModel() Model {
	return Model{
		Name:       "aether-desktop-5dof",
		BaseHeight: 70,
		UpperArm:   120,
		Forearm:    120,
		Tool:       60,
		Joints: []Joint{
			{Name: "base_yaw", MinDeg: -90, MaxDeg: 90},
			// URDF zero has the upper arm straight up.
			{Name: "shoulder_pitch", MinDeg: 0, MaxDeg: 180, ZeroDeg: 90},
			{Name: "elbow_pitch", MinDeg: -165, MaxDeg: 15},
			{Name: "wrist_pitch", MinDeg: -135, MaxDeg: 45},
			{Name: "wrist_roll", MinDeg: -90, MaxDeg: 90},
		},
		Wrist: WristPolicy{Mode: WristAuto, PitchDeg: -90},
		Workspace: Box{
			Min: Point{X: 0, Y: -250, Z: 5},
			Max: Point{X: 280, Y: 250, Z: 320},
		},
		// Folded over the base, tool near the plate.
		ParkDeg: []float64{0, 100, -90, -30, 0},
		// Upper arm up, forearm level, tool pointing down at (120, 0, 130).
		HomeDeg: []float64{0, 90, -90, -90, 0},
	}
}

// NumJoints is the number of IK joints (4, or 5 with wrist roll).
func (m Model) NumJoints() int { return len(m.Joints) }

// JointLimits returns each joint's [min, max] in radians.
func (m Model) JointLimits() (lo, hi []float64) {
	lo = make([]float64, len(m.Joints))
	hi = make([]float64, len(m.Joints))
	for i, j := range m.Joints {
		lo[i], hi[i] = rad(j.MinDeg), rad(j.MaxDeg)
	}
	return lo, hi
}

// HomePose returns HomeDeg in radians (a fresh slice).
func (m Model) HomePose() []float64 { return radians(m.HomeDeg) }

// ParkPose returns ParkDeg in radians (a fresh slice).
func (m Model) ParkPose() []float64 { return radians(m.ParkDeg) }

// CheckJoints returns a joint_limit *Error naming the first joint of q
// (radians) outside its limits, an out_of_range *Error for NaN/Inf, or
// nil. Angles within 1e-9 rad of a limit pass.
func (m Model) CheckJoints(q []float64) error {
	if err := m.checkLen(q); err != nil {
		return err
	}
	for i, j := range m.Joints {
		if err := checkFinite(j.Name, q[i]); err != nil {
			return err
		}
		lo, hi := rad(j.MinDeg), rad(j.MaxDeg)
		if q[i] < lo-angleEps || q[i] > hi+angleEps {
			return &Error{Code: CodeJointLimit, Joint: j.Name,
				Message: fmt.Sprintf("joint %q angle %.1f° is outside its limits [%g°, %g°]",
					j.Name, deg(q[i]), j.MinDeg, j.MaxDeg)}
		}
	}
	return nil
}

// ClampJoints returns a copy of q (radians) with each angle clamped into
// its joint's limits, and whether any angle changed. NaN/Inf angles are
// an out_of_range *Error, not clamped: there is no nearest angle to NaN.
func (m Model) ClampJoints(q []float64) (out []float64, clamped bool, err error) {
	if err := m.checkLen(q); err != nil {
		return nil, false, err
	}
	out = make([]float64, len(q))
	for i, j := range m.Joints {
		if err := checkFinite(j.Name, q[i]); err != nil {
			return nil, false, err
		}
		c := min(max(q[i], rad(j.MinDeg)), rad(j.MaxDeg))
		clamped = clamped || c != q[i]
		out[i] = c
	}
	return out, clamped, nil
}

// ToExternal converts model-frame angles (radians) to the servo's/URDF's
// frame: external[i] = q[i] - ZeroDeg[i].
func (m Model) ToExternal(q []float64) ([]float64, error) {
	return m.shift(q, -1)
}

// FromExternal converts servo/URDF angles (radians) to the model frame:
// q[i] = external[i] + ZeroDeg[i].
func (m Model) FromExternal(ext []float64) ([]float64, error) {
	return m.shift(ext, +1)
}

func (m Model) shift(q []float64, sign float64) ([]float64, error) {
	if err := m.checkLen(q); err != nil {
		return nil, err
	}
	out := make([]float64, len(q))
	for i, j := range m.Joints {
		out[i] = q[i] + sign*rad(j.ZeroDeg)
	}
	return out, nil
}

func (m Model) checkLen(q []float64) error {
	if len(q) != len(m.Joints) {
		return fmt.Errorf("ik: got %d joint angles, model %q has %d joints", len(q), m.Name, len(m.Joints))
	}
	return nil
}

// Hash returns the lowercase hex SHA-256 of m's canonical text form: every
// field in a fixed order, numbers in shortest round-trip form. It ignores
// YAML formatting, comments and key order, so two files that describe the
// same arm hash the same; it changes when any value does.
func (m Model) Hash() string {
	var b strings.Builder
	num := func(v float64) {
		if v == 0 {
			v = 0 // fold -0 into 0
		}
		b.WriteByte(' ')
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	}
	list := func(key string, vs []float64) {
		b.WriteString(key)
		b.WriteString(" " + strconv.Itoa(len(vs)))
		for _, v := range vs {
			num(v)
		}
		b.WriteByte('\n')
	}
	b.WriteString("aether-ik-model/v1\n")
	b.WriteString("name " + strconv.Quote(m.Name) + "\n")
	b.WriteString("links")
	for _, v := range []float64{m.BaseHeight, m.UpperArm, m.Forearm, m.Tool} {
		num(v)
	}
	b.WriteString("\njoints " + strconv.Itoa(len(m.Joints)) + "\n")
	for _, j := range m.Joints {
		b.WriteString("joint " + strconv.Quote(j.Name))
		num(j.MinDeg)
		num(j.MaxDeg)
		num(j.ZeroDeg)
		b.WriteByte('\n')
	}
	b.WriteString("wrist " + strconv.Quote(m.Wrist.Mode))
	num(m.Wrist.PitchDeg)
	b.WriteString("\nworkspace")
	w := m.Workspace
	for _, v := range []float64{w.Min.X, w.Min.Y, w.Min.Z, w.Max.X, w.Max.Y, w.Max.Z} {
		num(v)
	}
	b.WriteByte('\n')
	list("park_deg", m.ParkDeg)
	list("home_deg", m.HomeDeg)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// angleEps is the slack, in radians, allowed past a joint limit so that
// round-off at a limit does not fail.
const angleEps = 1e-9

func rad(deg float64) float64 { return deg * (math.Pi / 180) }
func deg(rad float64) float64 { return rad * (180 / math.Pi) }

func radians(ds []float64) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = rad(d)
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func checkFinite(joint string, v float64) error {
	if finite(v) {
		return nil
	}
	return &Error{Code: CodeOutOfRange, Joint: joint,
		Message: fmt.Sprintf("joint %q angle is %v; angles must be finite numbers", joint, v)}
}

func limitError(j Joint, need float64, context string) *Error {
	return &Error{Code: CodeJointLimit, Joint: j.Name,
		Message: fmt.Sprintf("%sjoint %q would need %.1f°, outside its limits [%g°, %g°]",
			context, j.Name, deg(need), j.MinDeg, j.MaxDeg)}
}
