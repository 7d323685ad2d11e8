package armfile

import (
	"fmt"
	"slices"
)

// Trajectory defaults, filled in by Arm.WithDefaults.
const (
	// DefaultMaxToolSpeedMMS is the default motion.max_tool_speed_mm_s.
	DefaultMaxToolSpeedMMS = 200.0
	// DefaultMaxToolAccelMMS2 is the default motion.max_tool_accel_mm_s2:
	// under three times what a hand moving a tracked palm at up to
	// 127 mm/s needs (p95 ≈ 250 mm/s²), so the arm keeps up without
	// passing on the tracker's noise.
	DefaultMaxToolAccelMMS2 = 700.0
	// DefaultMaxJointAccelDegS2 is the default motion.max_joint_accel_deg_s2:
	// a joint reaches the default 90 °/s in a quarter second.
	DefaultMaxJointAccelDegS2 = 360.0
	// DefaultDeadbandMM is the default motion.deadband_mm: larger than the
	// jitter of a hand tracker on a still hand (MediaPipe: 2–4 mm) once
	// five samples are averaged; tuned on make bench's motion phase (3 mm
	// let 2.6 mm of rest jitter through, 4 mm lagged 136 ms).
	DefaultDeadbandMM = 3.5
)

// Bounds of the trajectory limits; like MaxJointSpeed they catch unit
// mistakes (m for mm, rad for deg).
const (
	MaxToolSpeed  = 5000.0   // mm/s
	MaxToolAccel  = 100000.0 // mm/s²
	MaxJointAccel = 20000.0  // deg/s²
	MaxDeadband   = 50.0     // mm
	MinDeadband   = 0.01     // mm
)

// TrajectoryLimits are the limits of the controller's trajectory
// generator, part of the `motion:` mapping. Every field may be left out
// (zero) to get its default.
//
// The tool point moves along a straight line between poses, as fast as the
// tool limits allow and slowed wherever a joint would exceed its own
// speed or acceleration; all joints follow that one path, so they are
// time-synchronised by construction.
type TrajectoryLimits struct {
	// MaxToolSpeedMMS is the fastest the tool point moves, mm/s.
	// 0 means DefaultMaxToolSpeedMMS (200).
	MaxToolSpeedMMS float64 `yaml:"max_tool_speed_mm_s"`
	// MaxToolAccelMMS2 is the largest acceleration of the tool point,
	// mm/s², speeding up, slowing down and turning alike.
	// 0 means DefaultMaxToolAccelMMS2 (700).
	MaxToolAccelMMS2 float64 `yaml:"max_tool_accel_mm_s2"`
	// MaxJointAccelDegS2 is the largest acceleration of every joint, °/s²,
	// unless Joints says otherwise. 0 means DefaultMaxJointAccelDegS2 (360).
	MaxJointAccelDegS2 float64 `yaml:"max_joint_accel_deg_s2"`
	// DeadbandMM is the radius of the rest deadband, mm: once the arm has
	// come to rest on a target, new targets within this distance of it
	// (five averaged) do not move the servos; the first beyond it starts
	// the next move. MinDeadband..MaxDeadband. 0 means DefaultDeadbandMM (3.5).
	DeadbandMM float64 `yaml:"deadband_mm"`
	// Joints overrides the speed and acceleration limits of single joints,
	// by name; joints not listed take max_joint_speed_deg_s and
	// max_joint_accel_deg_s2.
	Joints []JointLimits `yaml:"joints"`
}

// JointLimits overrides one joint's limits (an entry of motion.joints).
type JointLimits struct {
	// Name is a kinematics joint name.
	Name string `yaml:"name"`
	// MaxSpeedDegS is the joint's fastest speed, °/s; 0 means
	// motion.max_joint_speed_deg_s.
	MaxSpeedDegS float64 `yaml:"max_speed_deg_s"`
	// MaxAccelDegS2 is the joint's largest acceleration, °/s²; 0 means
	// motion.max_joint_accel_deg_s2.
	MaxAccelDegS2 float64 `yaml:"max_accel_deg_s2"`
}

func (t TrajectoryLimits) withDefaults() TrajectoryLimits {
	if t.MaxToolSpeedMMS == 0 {
		t.MaxToolSpeedMMS = DefaultMaxToolSpeedMMS
	}
	if t.MaxToolAccelMMS2 == 0 {
		t.MaxToolAccelMMS2 = DefaultMaxToolAccelMMS2
	}
	if t.MaxJointAccelDegS2 == 0 {
		t.MaxJointAccelDegS2 = DefaultMaxJointAccelDegS2
	}
	if t.DeadbandMM == 0 {
		t.DeadbandMM = DefaultDeadbandMM
	}
	return t
}

func (t TrajectoryLimits) validate(joints []string) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("motion."+field+": "+format, args...))
	}
	inRange := func(field string, v, lo, hi float64, unit, explain string, deflt float64) {
		if !(v >= lo && v <= hi) || lo == 0 && v == 0 {
			bad(field, "%v%s is outside (%g, %g]; it is in %s (0 means %g)", v, unit, lo, hi, explain, deflt)
		}
	}
	inRange("max_tool_speed_mm_s", t.MaxToolSpeedMMS, 0, MaxToolSpeed, " mm/s", "millimetres per second", DefaultMaxToolSpeedMMS)
	inRange("max_tool_accel_mm_s2", t.MaxToolAccelMMS2, 0, MaxToolAccel, " mm/s²", "millimetres per second squared", DefaultMaxToolAccelMMS2)
	inRange("max_joint_accel_deg_s2", t.MaxJointAccelDegS2, 0, MaxJointAccel, "°/s²", "degrees per second squared", DefaultMaxJointAccelDegS2)
	if !(t.DeadbandMM >= MinDeadband && t.DeadbandMM <= MaxDeadband) {
		bad("deadband_mm", "%v mm is outside [%g, %g]; it is a radius in millimetres (0 means %g)", t.DeadbandMM, MinDeadband, MaxDeadband, DefaultDeadbandMM)
	}
	seen := map[string]bool{}
	for i, j := range t.Joints {
		field := fmt.Sprintf("joints[%d]", i)
		switch {
		case !slices.Contains(joints, j.Name):
			bad(field+".name", "%q is not a kinematics joint; use one of %q", j.Name, joints)
			continue
		case seen[j.Name]:
			bad(field+".name", "%q is listed twice; give each joint one entry", j.Name)
		}
		seen[j.Name] = true
		if j.MaxSpeedDegS != 0 && !(j.MaxSpeedDegS > 0 && j.MaxSpeedDegS <= MaxJointSpeed) {
			bad(field+".max_speed_deg_s", "%v°/s is outside (0, %g]; it is in degrees per second (0 means motion.max_joint_speed_deg_s)", j.MaxSpeedDegS, MaxJointSpeed)
		}
		if j.MaxAccelDegS2 != 0 && !(j.MaxAccelDegS2 > 0 && j.MaxAccelDegS2 <= MaxJointAccel) {
			bad(field+".max_accel_deg_s2", "%v°/s² is outside (0, %g]; it is in degrees per second squared (0 means motion.max_joint_accel_deg_s2)", j.MaxAccelDegS2, MaxJointAccel)
		}
	}
	return errs
}

// JointSpeedLimits returns each kinematic joint's speed limit, rad/s, in
// model joint order. a must be valid.
func (a Arm) JointSpeedLimits() []float64 {
	return a.jointLimits(a.Motion.MaxJointSpeedDegS, func(j JointLimits) float64 { return j.MaxSpeedDegS })
}

// JointAccelLimits returns each kinematic joint's acceleration limit,
// rad/s², in model joint order. a must be valid.
func (a Arm) JointAccelLimits() []float64 {
	return a.jointLimits(a.Motion.MaxJointAccelDegS2, func(j JointLimits) float64 { return j.MaxAccelDegS2 })
}

func (a Arm) jointLimits(deflt float64, get func(JointLimits) float64) []float64 {
	out := make([]float64, len(a.Kinematics.Joints))
	for i, kj := range a.Kinematics.Joints {
		out[i] = rad(deflt)
		for _, j := range a.Motion.Joints {
			if j.Name == kj.Name && get(j) != 0 {
				out[i] = rad(get(j))
			}
		}
	}
	return out
}
