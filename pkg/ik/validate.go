package ik

import (
	"errors"
	"fmt"
	"math"
)

// Bounds that catch unit mistakes (metres or radians typed into a file
// that speaks millimetres and degrees).
const (
	maxLengthMM = 2000
	minLinkMM   = 1
	maxAbsDeg   = 360
)

// Validate checks every field and returns nil, or all problems joined
// (errors.Join), each a *FieldError naming the field by its YAML path,
// e.g. "joints[2].max_deg must be > min_deg (90)".
func (m Model) Validate() error {
	v := &validator{}
	if m.Name == "" {
		v.add("name", "must not be empty")
	}
	v.length("base_height", m.BaseHeight, 0)
	v.length("upper_arm", m.UpperArm, minLinkMM)
	v.length("forearm", m.Forearm, minLinkMM)
	v.length("tool", m.Tool, 0)
	jointsOK := v.joints(m.Joints)
	v.wrist(m.Wrist)
	v.box(m.Workspace)
	if jointsOK {
		v.pose("park_deg", m.ParkDeg, m.Joints)
		v.pose("home_deg", m.HomeDeg, m.Joints)
	}
	if len(v.errs) == 0 {
		v.homeReachable(m)
	}
	return errors.Join(v.errs...)
}

type validator struct{ errs []error }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (v *validator) length(field string, mm, lo float64) {
	if !finite(mm) || mm < lo || mm > maxLengthMM {
		v.add(field, "must be between %g and %d mm, got %v (lengths are millimetres)", lo, maxLengthMM, mm)
	}
}

// joints reports whether the joint list is sound enough to check poses
// against.
func (v *validator) joints(js []Joint) bool {
	if len(js) < 4 || len(js) > maxJoints {
		v.add("joints", "must list 4 joints (base yaw, shoulder, elbow, wrist pitch) or 5 (plus wrist roll), got %d", len(js))
		return false
	}
	ok := true
	seen := map[string]int{}
	for i, j := range js {
		f := fmt.Sprintf("joints[%d]", i)
		switch prev, dup := seen[j.Name]; {
		case j.Name == "":
			v.add(f+".name", "must not be empty")
		case dup:
			v.add(f+".name", "%q is already the name of joints[%d]; names must be unique", j.Name, prev)
		default:
			seen[j.Name] = i
		}
		good := true
		for _, a := range []struct {
			key string
			deg float64
		}{{"min_deg", j.MinDeg}, {"max_deg", j.MaxDeg}, {"zero_deg", j.ZeroDeg}} {
			if !finite(a.deg) || math.Abs(a.deg) > maxAbsDeg {
				v.add(f+"."+a.key, "must be between -%d and %d degrees, got %v", maxAbsDeg, maxAbsDeg, a.deg)
				good = false
			}
		}
		if !good {
			ok = false
			continue
		}
		switch {
		case j.MaxDeg <= j.MinDeg:
			v.add(f+".max_deg", "must be > min_deg (%g), got %g", j.MinDeg, j.MaxDeg)
			ok = false
		case j.MaxDeg-j.MinDeg > 360:
			v.add(f+".max_deg", "must be at most 360° above min_deg (%g), got %g", j.MinDeg, j.MaxDeg)
			ok = false
		case i == 4 && (j.MinDeg > 0 || j.MaxDeg < 0):
			v.add(f, "(wrist roll) range [%g, %g] must include 0: IK always returns roll 0", j.MinDeg, j.MaxDeg)
			ok = false
		}
	}
	return ok
}

func (v *validator) wrist(w WristPolicy) {
	if w.Mode != WristFixedPitch && w.Mode != WristAuto {
		v.add("wrist.mode", "must be %q or %q, got %q", WristFixedPitch, WristAuto, w.Mode)
	}
	if !finite(w.PitchDeg) || math.Abs(w.PitchDeg) > 180 {
		v.add("wrist.pitch_deg", "must be between -180 and 180 degrees, got %v", w.PitchDeg)
	}
}

func (v *validator) box(b Box) {
	for _, a := range []struct {
		axis   string
		lo, hi float64
	}{{"x", b.Min.X, b.Max.X}, {"y", b.Min.Y, b.Max.Y}, {"z", b.Min.Z, b.Max.Z}} {
		good := true
		for _, c := range []struct {
			corner string
			mm     float64
		}{{"min", a.lo}, {"max", a.hi}} {
			if !finite(c.mm) || math.Abs(c.mm) > maxLengthMM {
				v.add("workspace."+c.corner+"."+a.axis, "must be between -%d and %d mm, got %v", maxLengthMM, maxLengthMM, c.mm)
				good = false
			}
		}
		if good && a.hi <= a.lo {
			v.add("workspace.max."+a.axis, "must be > workspace.min.%s (%g), got %g", a.axis, a.lo, a.hi)
		}
	}
}

func (v *validator) pose(field string, ds []float64, js []Joint) {
	if len(ds) != len(js) {
		v.add(field, "must list %d angles (one per joint), got %d", len(js), len(ds))
		return
	}
	for i, d := range ds {
		j := js[i]
		if !finite(d) || d < j.MinDeg || d > j.MaxDeg {
			v.add(fmt.Sprintf("%s[%d]", field, i), "= %v is outside joints[%d] (%s) limits [%g, %g]", d, i, j.Name, j.MinDeg, j.MaxDeg)
		}
	}
}

// homeReachable checks that the home tool point can serve as the clamp
// anchor: inside the box and solvable by IK under the wrist policy.
func (v *validator) homeReachable(m Model) {
	p, err := m.FK(m.HomePose())
	if err != nil {
		v.add("home_deg", "cannot be evaluated: %v", err)
		return
	}
	if !m.Workspace.Contains(p) {
		v.add("home_deg", "puts the tool at %s, outside the workspace box; home must be inside it (it is where clamping pulls targets towards)", p)
		return
	}
	if _, err := m.IK(p, Options{}); err != nil {
		v.add("home_deg", "puts the tool at %s, which IK cannot reach with wrist.mode %q (%v); pick a home pose IK can reach, since clamping pulls targets towards it", p, m.Wrist.Mode, err)
	}
}
