package ik

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// wideModel is the default arm with a workspace box large enough that only
// reach and joint limits matter, and the given wrist policy.
func wideModel(mode string, pitchDeg float64) Model {
	m := DefaultModel()
	m.Wrist = WristPolicy{Mode: mode, PitchDeg: pitchDeg}
	m.Workspace = Box{Min: Point{-1000, -1000, -1000}, Max: Point{1000, 1000, 1000}}
	return m
}

// toolUp keeps the tool pointing up, with a home pose (arm straight up)
// that IK can reach that way.
func toolUp() Model {
	m := wideModel(WristFixedPitch, 90)
	m.HomeDeg = []float64{0, 90, 0, 0, 0}
	return m
}

func degs(ds ...float64) []float64 { return radians(ds) }

func dist(a, b Point) float64 {
	return math.Sqrt(sq(a.X-b.X) + sq(a.Y-b.Y) + sq(a.Z-b.Z))
}

func TestIKTable(t *testing.T) {
	c20, s20 := math.Cos(rad(20)), math.Sin(rad(20))
	tests := []struct {
		name  string
		model Model
		p     Point
		want  []float64 // radians
		tol   float64   // radians, per joint
	}{
		{
			// Upper arm up, forearm level, tool down: the home pose.
			name: "home point, auto prefers -90", model: DefaultModel(),
			p: Point{120, 0, 130}, want: degs(0, 90, -90, -90, 0), tol: 1e-9,
		},
		{
			// Wrist centre (120, 0) from the shoulder: equilateral
			// triangle, elbow -120, shoulder 60, wrist -90-60+120.
			name: "equilateral triangle, tool down", model: wideModel(WristFixedPitch, -90),
			p: Point{120, 0, 10}, want: degs(0, 60, -120, -30, 0), tol: 1e-9,
		},
		{
			// Wrist centre (120, 120) from the shoulder at 30° yaw: elbow
			// -90, shoulder 45+45.
			name: "right angle elbow, yawed 30°", model: wideModel(WristFixedPitch, 0),
			p: Point{180 * math.Cos(rad(30)), 180 * math.Sin(rad(30)), 190}, want: degs(30, 90, -90, 0, 0), tol: 1e-9,
		},
		{
			// Fully stretched forward: |wrist| = upper_arm + forearm.
			name: "full stretch", model: wideModel(WristFixedPitch, 0),
			p: Point{300, 0, 70}, want: degs(0, 0, 0, 0, 0), tol: 1e-6,
		},
		{
			// Straight behind the base: yaw 180 is past ±90, so the arm
			// keeps yaw 0 and reaches back over its top (shoulder 180).
			name: "behind, over the top", model: toolUp(),
			p: Point{-120, 0, 250}, want: degs(0, 180, -90, 0, 0), tol: 1e-9,
		},
		{
			name: "behind and right, yaw flipped to +20", model: toolUp(),
			p: Point{-120 * c20, -120 * s20, 250}, want: degs(20, 180, -90, 0, 0), tol: 1e-9,
		},
		{
			// The seed command. At -90 the wrist would need -137.4°, past
			// its -135° limit; auto tilts the tool up just enough
			// (pitch -88.3887°, found by an independent root solve).
			name: "seed command, auto tilts", model: DefaultModel(),
			p:    Point{120, 35.5, 210},
			want: []float64{0.2876297944089091, 1.2219250505361767, -0.4084049046641844, -2.356194490192345, 0},
			tol:  1e-6,
		},
		{
			name: "4-joint arm", model: func() Model {
				m := wideModel(WristFixedPitch, -90)
				m.Joints, m.ParkDeg, m.HomeDeg = m.Joints[:4], m.ParkDeg[:4], m.HomeDeg[:4]
				return m
			}(),
			p: Point{120, 0, 10}, want: degs(0, 60, -120, -30), tol: 1e-9,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.model.Validate(); err != nil {
				t.Fatalf("test model invalid: %v", err)
			}
			sol, err := tc.model.IK(tc.p, Options{})
			if err != nil {
				t.Fatalf("IK(%v): %v", tc.p, err)
			}
			if len(sol.Joints) != len(tc.want) {
				t.Fatalf("got %d joints, want %d", len(sol.Joints), len(tc.want))
			}
			for i := range tc.want {
				if d := math.Abs(sol.Joints[i] - tc.want[i]); d > tc.tol {
					t.Errorf("joint %d = %.9f° want %.9f° (off by %.3g rad, tol %g)",
						i, deg(sol.Joints[i]), deg(tc.want[i]), d, tc.tol)
				}
			}
			if sol.Clamped {
				t.Error("Clamped = true for a reachable target")
			}
			if sol.Reached != tc.p {
				t.Errorf("Reached = %v, want the target %v", sol.Reached, tc.p)
			}
			back, err := tc.model.FK(sol.Joints)
			if err != nil {
				t.Fatal(err)
			}
			if d := dist(back, tc.p); d > 1e-6 {
				t.Errorf("FK(IK(p)) = %v, %.3g mm from p", back, d)
			}
		})
	}
}

func TestFKTable(t *testing.T) {
	m := DefaultModel()
	tests := []struct {
		q    []float64
		want Point
		tol  float64 // mm
	}{
		{degs(0, 90, -90, -90, 0), Point{120, 0, 130}, 1e-9},
		{degs(0, 0, 0, 0, 0), Point{300, 0, 70}, 1e-9},
		{degs(90, 0, 0, 0, 0), Point{0, 300, 70}, 1e-9},
		{degs(-90, 90, 0, 0, 45), Point{0, 0, 370}, 1e-9},
		// Upper arm at 60°, elbow -120: forearm at -60°, tool down.
		{degs(0, 60, -120, -30, 0), Point{120, 0, 10}, 1e-9},
		// A folded pose: hand-computed from the link angles 100°, -50°, -80°.
		{degs(0, 100, -150, -30, 0), Point{
			120*math.Cos(rad(100)) + 120*math.Cos(rad(-50)) + 60*math.Cos(rad(-80)), 0,
			70 + 120*math.Sin(rad(100)) + 120*math.Sin(rad(-50)) + 60*math.Sin(rad(-80))}, 1e-9},
	}
	for _, tc := range tests {
		got, err := m.FK(tc.q)
		if err != nil {
			t.Fatalf("FK(%v): %v", tc.q, err)
		}
		if d := dist(got, tc.want); d > tc.tol {
			t.Errorf("FK(%v) = %v, want %v (off by %.3g mm)", tc.q, got, tc.want, d)
		}
	}
}

func wantCode(t *testing.T, err error, code Code, joint string, msgParts ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *Error with code %s", err, err, code)
	}
	if e.Code != code || e.Joint != joint {
		t.Fatalf("got code %q joint %q, want %q %q (%v)", e.Code, e.Joint, code, joint, err)
	}
	for _, part := range msgParts {
		if !strings.Contains(e.Message, part) {
			t.Errorf("message %q does not mention %q", e.Message, part)
		}
	}
}

func TestIKErrors(t *testing.T) {
	def := DefaultModel()
	fixed := wideModel(WristFixedPitch, -90)
	wide := wideModel(WristAuto, -90)
	tests := []struct {
		name  string
		model Model
		p     Point
		code  Code
		joint string
		msg   []string
	}{
		{"NaN", def, Point{math.NaN(), 0, 100}, CodeOutOfRange, "", []string{"NaN", "finite"}},
		{"+Inf", def, Point{100, math.Inf(1), 100}, CodeOutOfRange, "", []string{"+Inf"}},
		{"-Inf z", def, Point{100, 0, math.Inf(-1)}, CodeOutOfRange, "", []string{"-Inf"}},
		{"below box", def, Point{120, 0, 0}, CodeOutOfRange, "", []string{"z = 0.0 mm", "minimum 5"}},
		{"above box", def, Point{120, 0, 400}, CodeOutOfRange, "", []string{"z = 400.0", "maximum 320"}},
		{"behind box", def, Point{-10, 0, 100}, CodeOutOfRange, "", []string{"x = -10.0"}},
		{"too far, fixed", fixed, Point{400, 0, 70}, CodeUnreachable, "", []string{"240.0 mm", "wrist.mode"}},
		{"too far, auto", wide, Point{0, 400, 70}, CodeUnreachable, "", []string{"every tool pitch", "400.0 mm", "300.0"}},
		{"too far upwards, auto", wide, Point{0, 0, 500}, CodeUnreachable, "", []string{"430.0 mm"}},
		// Just below the shoulder, tool down: elbow needs to fold past -165.
		{"folded too far", fixed, Point{20, 0, 20}, CodeJointLimit, "elbow_pitch", []string{"elbow_pitch", "-165"}},
		// Straight up from the wrist: wrist would need more than +45.
		{"tool up, wrist limit", wideModel(WristFixedPitch, 90), Point{200, 0, 200}, CodeJointLimit, "wrist_pitch", []string{"45°"}},
		// Yaw needed is 135° or -45° flipped; with ±30° base limits neither.
		{"base limit", func() Model {
			m := wideModel(WristAuto, -90)
			m.Joints[0].MinDeg, m.Joints[0].MaxDeg = -30, 30
			return m
		}(), Point{100, 100, 100}, CodeJointLimit, "base_yaw", []string{"base_yaw", "[-30°, 30°]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sol, err := tc.model.IK(tc.p, Options{})
			if err == nil {
				t.Fatalf("IK(%v) = %v, want %s error", tc.p, sol.Joints, tc.code)
			}
			wantCode(t, err, tc.code, tc.joint, tc.msg...)
		})
	}
}

func TestIKNaNRejectedEvenWithClamp(t *testing.T) {
	_, err := DefaultModel().IK(Point{100, math.NaN(), 100}, Options{Clamp: true})
	wantCode(t, err, CodeOutOfRange, "")
}

func TestFKErrors(t *testing.T) {
	m := DefaultModel()
	if _, err := m.FK(degs(0, 90, -90)); err == nil || !strings.Contains(err.Error(), "got 3 joint angles") {
		t.Errorf("short q: err = %v, want a count error", err)
	}
	_, err := m.FK([]float64{0, 1, math.NaN(), 0, 0})
	wantCode(t, err, CodeOutOfRange, "elbow_pitch", "elbow_pitch")
	bad := m
	bad.UpperArm = 0
	if _, err := bad.FK(degs(0, 0, 0, 0, 0)); err == nil {
		t.Error("FK with upper_arm 0 succeeded; want an invalid-model error")
	}
	if _, err := bad.IK(Point{100, 0, 100}, Options{}); err == nil {
		t.Error("IK with upper_arm 0 succeeded; want an invalid-model error")
	}
}

func TestIKClampBox(t *testing.T) {
	m := DefaultModel()
	// (120, 0, 2) is below the box floor z=5 but reachable once lifted:
	// the nearest box point is straight above it.
	sol, err := m.IK(Point{120, 0, 2}, Options{Clamp: true})
	if err != nil {
		t.Fatal(err)
	}
	want := Point{120, 0, 5}
	if !sol.Clamped || dist(sol.Reached, want) > 1e-6 {
		t.Errorf("got Reached %v Clamped %v, want %v clamped", sol.Reached, sol.Clamped, want)
	}
	// Inside and reachable: untouched.
	sol, err = m.IK(Point{150, 20, 100}, Options{Clamp: true})
	if err != nil || sol.Clamped || dist(sol.Reached, Point{150, 20, 100}) > 1e-6 {
		t.Errorf("reachable target: %+v, %v; want it unclamped", sol, err)
	}
}

func TestIKClampReach(t *testing.T) {
	m := wideModel(WristFixedPitch, -90)
	home, err := m.FK(m.HomePose())
	if err != nil {
		t.Fatal(err)
	}
	target := Point{400, 0, 130} // straight out from home, past reach
	sol, err := m.IK(target, Options{Clamp: true})
	if err != nil {
		t.Fatal(err)
	}
	if !sol.Clamped {
		t.Error("Clamped = false")
	}
	// On the segment from target to home, z = 130, y = 0.
	if math.Abs(sol.Reached.Y) > 1e-6 || math.Abs(sol.Reached.Z-130) > 1e-6 || sol.Reached.X <= home.X {
		t.Errorf("Reached %v not on the segment from %v to home %v", sol.Reached, target, home)
	}
	// Tool down at z=130: the wrist centre is at height 190, i.e. 120 above
	// the shoulder, so the reach limit is x = sqrt(240² - 120²).
	wantX := math.Sqrt(240*240 - 120*120)
	if math.Abs(sol.Reached.X-wantX) > 2*clampTolMM {
		t.Errorf("Reached.X = %.4f, want the reach boundary %.4f", sol.Reached.X, wantX)
	}
	// And it really is the boundary: 0.01 mm further is unreachable.
	if _, err := m.IK(Point{sol.Reached.X + 0.01, 0, 130}, Options{}); err == nil {
		t.Error("a point 0.01 mm past the clamped one is reachable: clamp stopped short")
	}
	if err := m.CheckJoints(sol.Joints); err != nil {
		t.Errorf("clamped joints outside limits: %v", err)
	}
}

func TestIKClampBoxThenReach(t *testing.T) {
	m := DefaultModel()
	for _, p := range []Point{
		{1000, 1000, 1000}, {-500, 0, -500}, {0, -900, 50}, {279, 249, 319}, {270, 0, 300},
	} {
		sol, err := m.IK(p, Options{Clamp: true})
		if err != nil {
			t.Fatalf("IK(%v, clamp): %v", p, err)
		}
		if !m.Workspace.Contains(sol.Reached) {
			t.Errorf("IK(%v, clamp) reached %v, outside the box", p, sol.Reached)
		}
		if !sol.Clamped {
			t.Errorf("IK(%v, clamp): Clamped = false", p)
		}
		if _, err := m.IK(sol.Reached, Options{}); err != nil {
			t.Errorf("IK(%v, clamp) reached %v, which plain IK rejects: %v", p, sol.Reached, err)
		}
		if err := m.CheckJoints(sol.Joints); err != nil {
			t.Errorf("IK(%v, clamp): %v", p, err)
		}
	}
}

func TestIKClampWithoutHome(t *testing.T) {
	m := wideModel(WristFixedPitch, -90)
	m.HomeDeg = nil // no anchor: clamping cannot move the point
	_, err := m.IK(Point{400, 0, 130}, Options{Clamp: true})
	wantCode(t, err, CodeUnreachable, "")
}

func TestIKDoesNotShareSlices(t *testing.T) {
	m := DefaultModel()
	a, err := m.IK(Point{120, 0, 130}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.IK(Point{150, 30, 100}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Joints[1] != rad(90) {
		t.Errorf("first solution changed after a second IK: %v (b = %v)", a.Joints, b.Joints)
	}
}
