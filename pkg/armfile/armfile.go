// Package armfile loads the arm file given to aether_controller with --arm:
// the arm's name, its kinematic model (pkg/ik), its servo calibrations
// (pkg/servo) and its motion limits, in one YAML document. See
// config/arm.yaml for a commented example; it describes the built-in arm
// returned by Default.
//
// Angles in the file are degrees, lengths millimetres; methods speak
// radians in the ik model frame, like the rest of the Go code.
package armfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// Motion defaults, filled in by Arm.WithDefaults (the only place defaults
// live).
const (
	DefaultTickHz           = 50
	DefaultMaxJointSpeedDeg = 90.0
	DefaultParkSpeedDeg     = 30.0
	DefaultGripperSpeed     = 2.0
)

// Bounds checked by Validate; they catch unit mistakes (rad/s typed as
// deg/s, Hz as ms) rather than describe any particular arm.
const (
	MaxTickHz       = 500
	MaxJointSpeed   = 720.0 // deg/s
	MaxGripperSpeed = 100.0 // stroke per second
)

// Motion holds the controller's motion limits, the `motion:` mapping of the
// arm file. Every field may be left out (zero) to get its default.
type Motion struct {
	// TickHz is how often the controller steps the joints and writes the
	// servos, in Hz (1..MaxTickHz). 0 means DefaultTickHz (50).
	TickHz int `yaml:"tick_hz"`
	// MaxJointSpeedDegS is the fastest any joint is driven while following
	// commands or homing, degrees per second, unless Joints (motion.joints)
	// sets a joint's own. 0 means DefaultMaxJointSpeedDeg (90).
	MaxJointSpeedDegS float64 `yaml:"max_joint_speed_deg_s"`
	// ParkSpeedDegS is the joint speed used when the watchdog parks the
	// arm, degrees per second; keep it slow. Every trajectory limit is
	// scaled by ParkSpeedDegS/MaxJointSpeedDegS while parking.
	// 0 means DefaultParkSpeedDeg (30).
	ParkSpeedDegS float64 `yaml:"park_speed_deg_s"`
	// GripperSpeedPerS is how fast the gripper opening changes, in full
	// strokes (0 open .. 1 closed) per second. 0 means DefaultGripperSpeed (2).
	GripperSpeedPerS float64 `yaml:"gripper_speed_per_s"`
	// The trajectory limits (motion.go): tool speed and acceleration, joint
	// acceleration, per-joint overrides and the rest deadband.
	TrajectoryLimits `yaml:",inline"`
}

// Arm is a whole arm file.
type Arm struct {
	// Name identifies the arm in logs and in the hello reply. Empty means
	// Kinematics.Name.
	Name string `yaml:"name"`
	// Kinematics is the arm's kinematic model (joints, limits, workspace,
	// home and park poses). Required.
	Kinematics ik.Model `yaml:"kinematics"`
	// Servos holds one calibration per kinematic joint plus one for the
	// gripper. Required. Load returns it in arm joint order with the
	// gripper last, the order backends expect.
	Servos servo.Calibrations `yaml:"servos"`
	// Motion holds speed limits and the servo update rate; zero fields
	// take their defaults.
	Motion Motion `yaml:"motion"`
	// Gripper describes the gripper joint of the robot model (URDF);
	// zero fields take their defaults.
	Gripper Gripper `yaml:"gripper"`
}

// Default returns the built-in arm: ik.DefaultModel with uncalibrated
// servos (servo.DefaultCalibrations) and default motion limits.
// config/arm.yaml describes exactly this arm.
func Default() Arm {
	m := ik.DefaultModel()
	a := Arm{Kinematics: m, Servos: servo.DefaultCalibrations(jointNames(m))}
	return a.WithDefaults()
}

// WithDefaults returns a with every zero field that has a default filled in.
func (a Arm) WithDefaults() Arm {
	if a.Name == "" {
		a.Name = a.Kinematics.Name
	}
	if a.Motion.TickHz == 0 {
		a.Motion.TickHz = DefaultTickHz
	}
	if a.Motion.MaxJointSpeedDegS == 0 {
		a.Motion.MaxJointSpeedDegS = DefaultMaxJointSpeedDeg
	}
	if a.Motion.ParkSpeedDegS == 0 {
		a.Motion.ParkSpeedDegS = DefaultParkSpeedDeg
	}
	if a.Motion.GripperSpeedPerS == 0 {
		a.Motion.GripperSpeedPerS = DefaultGripperSpeed
	}
	a.Motion.TrajectoryLimits = a.Motion.TrajectoryLimits.withDefaults()
	a.Gripper = a.Gripper.withDefaults()
	return a
}

// Load reads and parses the arm file at path; errors name the file.
func Load(path string) (Arm, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Arm{}, fmt.Errorf("arm file: %w", err)
	}
	a, err := Parse(data)
	if err != nil {
		return Arm{}, fmt.Errorf("arm file %s: %w", path, err)
	}
	return a, nil
}

// Parse parses an arm file: one YAML document with the keys name,
// kinematics, servos and motion. Unknown keys are errors (typos), defaults
// are filled in, the result is validated, and Servos is sorted into arm
// joint order with the gripper last. Errors name the field by its YAML
// path, e.g. "servos[2] (joint \"elbow_pitch\"): pulse_max_us: ...".
func Parse(data []byte) (Arm, error) {
	var raw struct {
		Name       string             `yaml:"name"`
		Kinematics yaml.Node          `yaml:"kinematics"`
		Servos     servo.Calibrations `yaml:"servos"`
		Motion     Motion             `yaml:"motion"`
		Gripper    Gripper            `yaml:"gripper"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	switch err := dec.Decode(&raw); {
	case errors.Is(err, io.EOF):
		return Arm{}, errors.New("the file is empty; it needs name, kinematics and servos (see config/arm.yaml)")
	case err != nil:
		return Arm{}, fmt.Errorf("%w (known top-level keys: name, kinematics, servos, motion, gripper)", err)
	}
	m, err := ik.ParseArmKinematics(data)
	if err != nil {
		return Arm{}, err
	}
	if raw.Servos == nil {
		return Arm{}, fmt.Errorf("servos: missing; list one entry per joint %q plus %q, with channel and pulse range (see config/arm.yaml)",
			jointNames(m), servo.GripperJoint)
	}
	a := Arm{Name: raw.Name, Kinematics: m, Servos: raw.Servos, Motion: raw.Motion, Gripper: raw.Gripper}.WithDefaults()
	if err := a.Validate(); err != nil {
		return Arm{}, err
	}
	a.Servos, _ = a.Servos.Ordered(jointNames(m)) // validated above
	return a, nil
}

// Validate checks a (with defaults filled in) and returns every problem
// joined, each naming its field as in the arm file.
func (a Arm) Validate() error {
	var errs []error
	if a.Name == "" {
		errs = append(errs, errors.New("name: empty; name the arm (or its kinematics)"))
	}
	if err := a.Kinematics.Validate(); err != nil {
		errs = append(errs, prefixFields("kinematics.", err))
		return errors.Join(errs...) // the rest depends on a sound model
	}
	if err := a.Servos.Validate(jointNames(a.Kinematics)); err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, a.Motion.validate()...)
	errs = append(errs, a.validateJoints()...)
	errs = append(errs, a.Gripper.validate(jointNames(a.Kinematics))...)
	if _, _, err := a.limits(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if err := a.checkHome(); err != nil {
		errs = append(errs, err)
	} else if err := a.Model().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("servos: the calibrated ranges narrow the joint limits so far that the model no longer works: %w", err))
	}
	return errors.Join(errs...)
}

func (m Motion) validate() []error {
	var errs []error
	if m.TickHz < 1 || m.TickHz > MaxTickHz {
		errs = append(errs, fmt.Errorf("motion.tick_hz: %d Hz is outside 1..%d (0 means %d)", m.TickHz, MaxTickHz, DefaultTickHz))
	}
	for _, f := range []struct {
		name    string
		v, max  float64
		unit    string
		deflt   float64
		explain string
	}{
		{"max_joint_speed_deg_s", m.MaxJointSpeedDegS, MaxJointSpeed, "°/s", DefaultMaxJointSpeedDeg, "degrees per second"},
		{"park_speed_deg_s", m.ParkSpeedDegS, MaxJointSpeed, "°/s", DefaultParkSpeedDeg, "degrees per second"},
		{"gripper_speed_per_s", m.GripperSpeedPerS, MaxGripperSpeed, "/s", DefaultGripperSpeed, "full strokes per second"},
	} {
		if !(f.v > 0 && f.v <= f.max) {
			errs = append(errs, fmt.Errorf("motion.%s: %v%s is outside (0, %g]; it is in %s (0 means %g)", f.name, f.v, f.unit, f.max, f.explain, f.deflt))
		}
	}
	return errs
}

// validateJoints checks the per-joint overrides against the model's joints.
func (a Arm) validateJoints() []error {
	return a.Motion.TrajectoryLimits.validate(jointNames(a.Kinematics))
}

// Limits returns the joint range the arm can really use, radians in the
// model frame: each kinematic joint's [min_deg, max_deg] narrowed to what
// its servo's calibration can reach. a must be valid.
func (a Arm) Limits() (lo, hi []float64) {
	lo, hi, _ = a.limits()
	return lo, hi
}

func (a Arm) limits() (lo, hi []float64, err error) {
	lo, hi = a.Kinematics.JointLimits()
	var errs []error
	for i, j := range a.Kinematics.Joints {
		k, c, ok := a.servoFor(j.Name)
		if !ok {
			continue // reported by Servos.Validate
		}
		clo, chi := c.JointRangeRad() // servo frame
		clo += rad(j.ZeroDeg)
		chi += rad(j.ZeroDeg)
		lo[i], hi[i] = max(lo[i], clo), min(hi[i], chi)
		if lo[i] > hi[i]+angleEps {
			errs = append(errs, fmt.Errorf("servos[%d] (joint %q): reaches %.1f°..%.1f° in the model frame, which does not overlap kinematics.joints[%d] limits [%g°, %g°]; check angle_min_deg/angle_max_deg/offset_deg/direction",
				k, j.Name, deg(clo), deg(chi), i, j.MinDeg, j.MaxDeg))
		}
	}
	return lo, hi, errors.Join(errs...)
}

// checkHome requires the home pose to be inside the servo ranges: home is
// where "home" and clamping go, so the servos must reach it.
func (a Arm) checkHome() error {
	lo, hi := a.Limits()
	var errs []error
	for i, d := range a.Kinematics.HomeDeg {
		q := rad(d)
		if q < lo[i]-angleEps || q > hi[i]+angleEps {
			k, _, _ := a.servoFor(a.Kinematics.Joints[i].Name)
			errs = append(errs, fmt.Errorf("kinematics.home_deg[%d]: %g° is outside what servos[%d] (joint %q) can reach, %.1f°..%.1f° in the model frame; widen that servo's calibration or change home_deg",
				i, d, k, a.Kinematics.Joints[i].Name, deg(lo[i]), deg(hi[i])))
		}
	}
	return errors.Join(errs...)
}

// ParkPose returns the park pose in radians (model frame), each joint
// clamped into Limits, and whether clamping changed it (the servos cannot
// reach the pose in the file). a must be valid.
func (a Arm) ParkPose() (pose []float64, clamped bool) {
	lo, hi := a.Limits()
	pose = a.Kinematics.ParkPose()
	for i := range pose {
		c := min(max(pose[i], lo[i]), hi[i])
		if math.Abs(c-pose[i]) > angleEps {
			clamped = true
		}
		pose[i] = c
	}
	return pose, clamped
}

// HomePose returns the home pose in radians (model frame); Validate made
// sure the servos reach it.
func (a Arm) HomePose() []float64 { return a.Kinematics.HomePose() }

// Model returns the kinematic model the controller solves IK with: a copy
// of Kinematics whose joint limits are narrowed to Limits and whose park
// pose is ParkPose, so IK only returns poses the servos can take. a must be
// valid.
func (a Arm) Model() ik.Model {
	m := a.Kinematics
	m.Joints = append([]ik.Joint(nil), m.Joints...)
	lo, hi := a.Limits()
	for i := range m.Joints {
		m.Joints[i].MinDeg, m.Joints[i].MaxDeg = roundDeg(lo[i]), roundDeg(hi[i])
	}
	park, _ := a.ParkPose()
	m.ParkDeg = make([]float64, len(park))
	for i, q := range park {
		m.ParkDeg[i] = min(max(roundDeg(q), m.Joints[i].MinDeg), m.Joints[i].MaxDeg)
	}
	m.HomeDeg = append([]float64(nil), m.HomeDeg...)
	return m
}

// Hash identifies the effective model (Model: kinematics with joint limits
// narrowed to the servos' ranges), as sent in the hello reply's arm_hash:
// ModelHash of Model. The bridge hashes its own model the same way, so two
// arm files that would make the two sides check targets differently hash
// differently.
func (a Arm) Hash() string { return ModelHash(a.Model()) }

// ModelHash is the arm_hash of a kinematic model: "sha256:" and
// ik.Model.Hash.
func ModelHash(m ik.Model) string { return "sha256:" + m.Hash() }

// servoFor returns the index and calibration of the servo driving joint.
func (a Arm) servoFor(joint string) (int, servo.Calibration, bool) {
	for i, c := range a.Servos {
		if c.Joint == joint {
			return i, c, true
		}
	}
	return -1, servo.Calibration{}, false
}

func jointNames(m ik.Model) []string {
	names := make([]string, len(m.Joints))
	for i, j := range m.Joints {
		names[i] = j.Name
	}
	return names
}

// prefixFields puts prefix before the field path of each joined
// *ik.FieldError in err.
func prefixFields(prefix string, err error) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		var fe *ik.FieldError
		if errors.As(e, &fe) {
			c := *fe
			c.Field = prefix + c.Field
			out[i] = &c
			continue
		}
		out[i] = e
	}
	return errors.Join(out...)
}

// angleEps absorbs degree/radian round-off at the limits.
const angleEps = 1e-9

func rad(d float64) float64 { return d * math.Pi / 180 }
func deg(r float64) float64 { return r * 180 / math.Pi }

// roundDeg converts to degrees with the radian round-off removed
// (15° → 15, not 14.999999999999998), for limits shown to people.
func roundDeg(r float64) float64 { return math.Round(deg(r)*1e9) / 1e9 }
