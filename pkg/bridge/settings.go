package bridge

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/hand"
	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/link"
	"github.com/aether-lab/aether-bridge/pkg/tokenfile"
)

// Modes of the bridge (parameter "mode").
const (
	// ModeHardware: TCP to an aether_controller at controller_host:controller_port.
	ModeHardware = "hardware"
	// ModeSim: the same as hardware for the bridge; the launch file also
	// starts aether_controller --backend sim.
	ModeSim = "sim"
	// ModeGazebo: no TCP; IK in the bridge, JointTrajectory to trajectory_topic.
	ModeGazebo = "gazebo"
)

// Settings is the bridge's configuration after parameters are resolved
// (units converted: durations from milliseconds/seconds, the arm file read).
type Settings struct {
	Mode              string        // hardware | sim | gazebo
	ControllerHost    string        // aether_controller host
	ControllerPort    int           // aether_controller TCP port
	Token             string        // read from token_file; "" = no auth
	ClientName        string        // hello client name
	BaseFrame         string        // frame stamped targets must use
	Arm               ik.Model      // from the arm file, or the built-in model
	Robot             armfile.Arm   // the whole arm file: gripper joint, motion limits (robot model)
	UseSimTime        bool          // stamp with /clock time instead of wall time
	PublishRobotDesc  bool          // publish the URDF on robot_description
	JointStatesRate   float64       // /joint_states rate, Hz
	ArmFile           string        // "" = built-in model
	ArmMismatch       string        // ArmMismatchError | ArmMismatchWarn
	Clamp             bool          // clamp to workspace instead of rejecting
	DiagnosticsPeriod time.Duration // /diagnostics period
	GripperJoint      string        // the arm file's gripper joint, in /joint_states and trajectories
	Link              link.Config   // TCP link (Addr, callbacks filled by the node)
	TrajectoryTopic   string        // gazebo mode output
	GripperOpen       float64       // gripper joint position when open (rad or m, the arm file's)
	GripperClosed     float64       // gripper joint position when closed (rad or m, the arm file's)
	MaxJointSpeed     float64       // gazebo: rad/s
	Hand              hand.Mapping  // /aether/hand mapping
}

// ControllerAddr is host:port of the controller.
func (s Settings) ControllerAddr() string {
	return net.JoinHostPort(s.ControllerHost, strconv.Itoa(s.ControllerPort))
}

// Core returns the Core configuration.
func (s Settings) Core() Config {
	return Config{Arm: s.Arm, BaseFrame: s.BaseFrame, Clamp: s.Clamp, ClientName: s.ClientName,
		ArmFile: s.ArmFile, ArmMismatch: s.ArmMismatch}
}

// LinkConfig returns the link configuration (callbacks left to the caller).
func (s Settings) LinkConfig() link.Config {
	c := s.Link
	c.Addr, c.Token, c.ClientName, c.Subscribe = s.ControllerAddr(), s.Token, s.ClientName, true
	return c
}

// Gazebo returns the Gazebo sink configuration.
func (s Settings) Gazebo() GazeboConfig {
	return GazeboConfig{Arm: s.Arm, Topic: s.TrajectoryTopic, GripperJoint: s.GripperJoint,
		GripperOpen: s.GripperOpen, GripperClosed: s.GripperClosed, MaxJointSpeed: s.MaxJointSpeed}
}

// ParamType is a parameter's ROS type.
type ParamType int

// Parameter types used by the bridge.
const (
	Bool ParamType = iota
	Int
	Double
	String
	DoubleArray
	StringArray
)

// Param declares one ROS parameter: its name, type, default, what it means
// (with its unit), and how it lands in Settings.
type Param struct {
	Name        string
	Type        ParamType
	Default     any // bool, int64, float64, string, []float64 or []string
	Description string
	ReadOnly    bool     // cannot change after start (needs a restart)
	Min, Max    *float64 // inclusive numeric range; nil = unbounded
	Choices     []string // allowed string values; nil = any
	apply       func(s *Settings, v any) error
}

func f(v float64) *float64 { return &v }

func ms(v any) time.Duration { return time.Duration(v.(int64)) * time.Millisecond }

// msDefault is a duration default as an int64 parameter value in ms.
func msDefault(d time.Duration) int64 { return d.Milliseconds() }

// Params is every parameter of aether_bridge, in the order config/bridge.yaml
// documents them. It is the one place their names, defaults and ranges live.
var Params = []Param{
	{Name: "mode", Type: String, Default: ModeHardware, ReadOnly: true, Choices: []string{ModeHardware, ModeSim, ModeGazebo},
		Description: "hardware: TCP to aether_controller; sim: the same (the launch file starts a sim controller); gazebo: no TCP, JointTrajectory to trajectory_topic",
		apply:       func(s *Settings, v any) error { s.Mode = v.(string); return nil }},
	{Name: "controller_host", Type: String, Default: "127.0.0.1", ReadOnly: true,
		Description: "aether_controller host name or IP (hardware, sim)",
		apply:       func(s *Settings, v any) error { s.ControllerHost = v.(string); return nil }},
	{Name: "controller_port", Type: Int, Default: int64(5000), ReadOnly: true, Min: f(1), Max: f(65535),
		Description: "aether_controller TCP port (hardware, sim)",
		apply:       func(s *Settings, v any) error { s.ControllerPort = int(v.(int64)); return nil }},
	{Name: "token_file", Type: String, Default: "", ReadOnly: true,
		Description: "file holding the controller's shared token, alone on one line (the same file as the controller's --token-file); empty: no token",
		apply:       applyTokenFile},
	{Name: "client_name", Type: String, Default: link.DefaultClientName, ReadOnly: true,
		Description: "name sent in hello; the controller de-duplicates re-sent commands per name",
		apply:       func(s *Settings, v any) error { s.ClientName = v.(string); return nil }},
	{Name: "base_frame", Type: String, Default: DefaultBaseFrame, ReadOnly: true,
		Description: "frame of the arm base; stamped targets must use it or leave frame_id empty",
		apply:       func(s *Settings, v any) error { s.BaseFrame = v.(string); return nil }},
	{Name: "arm", Type: String, Default: "", ReadOnly: true,
		Description: "arm YAML, the same file as the controller's --arm (kinematics and servo ranges); empty: built-in arm",
		apply:       applyArmFile},
	{Name: "arm_mismatch", Type: String, Default: ArmMismatchError, ReadOnly: true, Choices: []string{ArmMismatchError, ArmMismatchWarn},
		Description: "when the controller's arm model (hello arm_hash) is not the one from arm: error refuses motion and reconnects until they match; warn only reports it",
		apply:       func(s *Settings, v any) error { s.ArmMismatch = v.(string); return nil }},
	{Name: "clamp_to_workspace", Type: Bool, Default: false,
		Description: "move out-of-workspace or unreachable targets to the nearest reachable point instead of rejecting them",
		apply:       func(s *Settings, v any) error { s.Clamp = v.(bool); return nil }},
	{Name: "publish_robot_description", Type: Bool, Default: false, ReadOnly: true,
		Description: "publish the arm's URDF (from the arm file, as aether_controller urdf prints it) on robot_description, latched; leave false when robot_state_publisher publishes it",
		apply:       func(s *Settings, v any) error { s.PublishRobotDesc = v.(bool); return nil }},
	{Name: "joint_states_rate_hz", Type: Double, Default: 50.0, ReadOnly: true, Min: f(1), Max: f(1000),
		Description: "rate of /joint_states, Hz, also while the arm rests (the latest controller sample, stamped with its time)",
		apply:       func(s *Settings, v any) error { s.JointStatesRate = v.(float64); return nil }},
	{Name: "diagnostics_period_s", Type: Double, Default: 1.0, ReadOnly: true, Min: f(0.05), Max: f(60),
		Description: "period of /diagnostics, seconds",
		apply: func(s *Settings, v any) error {
			s.DiagnosticsPeriod = time.Duration(v.(float64) * float64(time.Second))
			return nil
		}},
	{Name: "link.ack_timeout_ms", Type: Int, Default: msDefault(link.DefaultAckTimeout), ReadOnly: true, Min: f(10), Max: f(60000),
		Description: "no reply within this many ms: error ack and reconnect",
		apply:       func(s *Settings, v any) error { s.Link.AckTimeout = ms(v); return nil }},
	{Name: "link.heartbeat_ms", Type: Int, Default: msDefault(link.DefaultHeartbeatInterval), ReadOnly: true, Min: f(10), Max: f(60000),
		Description: "ping after this many ms without traffic (keeps the controller's watchdog fed)",
		apply:       func(s *Settings, v any) error { s.Link.HeartbeatInterval = ms(v); return nil }},
	{Name: "link.dial_timeout_ms", Type: Int, Default: msDefault(link.DefaultDialTimeout), ReadOnly: true, Min: f(10), Max: f(60000),
		Description: "TCP connect timeout, ms",
		apply:       func(s *Settings, v any) error { s.Link.DialTimeout = ms(v); return nil }},
	{Name: "link.max_target_age_ms", Type: Int, Default: msDefault(link.DefaultMaxTargetAge), ReadOnly: true, Min: f(1), Max: f(60000),
		Description: "deadline of a target, ms: one not sent by then (controller unreachable) gets an error ack and is never sent or replayed; it is sent with ttl_ms = the time left",
		apply:       func(s *Settings, v any) error { s.Link.MaxTargetAge = ms(v); return nil }},
	{Name: "link.max_command_age_ms", Type: Int, Default: msDefault(link.DefaultMaxCommandAge), ReadOnly: true, Min: f(1), Max: f(60000),
		Description: "deadline of a gripper change, home or reset, ms: one not sent by then gets an error ack and is never sent later (stop is kept until it can be sent)",
		apply:       func(s *Settings, v any) error { s.Link.MaxCommandAge = ms(v); return nil }},
	{Name: "link.backoff_initial_ms", Type: Int, Default: msDefault(link.DefaultBackoffInitial), ReadOnly: true, Min: f(1), Max: f(60000),
		Description: "first reconnect wait, ms (doubles up to link.backoff_max_ms, ±20% jitter)",
		apply:       func(s *Settings, v any) error { s.Link.BackoffInitial = ms(v); return nil }},
	{Name: "link.backoff_max_ms", Type: Int, Default: msDefault(link.DefaultBackoffMax), ReadOnly: true, Min: f(1), Max: f(600000),
		Description: "longest reconnect wait, ms",
		apply:       func(s *Settings, v any) error { s.Link.BackoffMax = ms(v); return nil }},
	{Name: "link.queue_size", Type: Int, Default: int64(DiscreteInputDepth), ReadOnly: true, Min: f(1), Max: f(100000),
		Description: "gripper/home/reset commands that may wait to be sent; more get a queue_full ack",
		apply:       func(s *Settings, v any) error { s.Link.QueueSize = int(v.(int64)); return nil }},
	{Name: "link.tls", Type: Bool, Default: false, ReadOnly: true,
		Description: "connect with TLS (the controller runs with --tls-cert); set link.tls_fingerprint or link.tls_ca_file too",
		apply:       func(s *Settings, v any) error { s.Link.TLS = v.(bool); return nil }},
	{Name: "link.tls_ca_file", Type: String, Default: "", ReadOnly: true,
		Description: "with link.tls: PEM file the controller's certificate must be signed by (its own certificate file will do; controller_host must be a name or address in it); empty: the system's roots",
		apply:       func(s *Settings, v any) error { s.Link.TLSCAFile = v.(string); return nil }},
	{Name: "link.tls_fingerprint", Type: String, Default: "", ReadOnly: true,
		Description: "with link.tls: pin the controller's certificate, sha256:<64 hex digits> as aether_tlscert prints; any other certificate is refused",
		apply:       func(s *Settings, v any) error { s.Link.TLSFingerprint = v.(string); return nil }},
	{Name: "gazebo.trajectory_topic", Type: String, Default: DefaultTrajectoryTopic, ReadOnly: true,
		Description: "gazebo mode: topic of the simulated arm's trajectory controller",
		apply:       func(s *Settings, v any) error { s.TrajectoryTopic = v.(string); return nil }},
	{Name: "gazebo.max_joint_speed", Type: Double, Default: DefaultMaxJointSpeed, ReadOnly: true, Min: f(0.01), Max: f(100),
		Description: "gazebo mode: joint speed used to time each trajectory, rad/s",
		apply:       func(s *Settings, v any) error { s.MaxJointSpeed = v.(float64); return nil }},
	{Name: "hand.mode", Type: String, Default: string(hand.DefaultMode), Choices: []string{string(hand.ModeRelative), string(hand.ModeAbsolute)},
		Description: "relative: while engaged the arm follows the hand's displacement from where the controller reported it (a clutch; no jumps); absolute: the arm goes to hand.offset + hand.scale × the mapped palm",
		apply:       func(s *Settings, v any) error { s.Hand.Mode = hand.Mode(v.(string)); return nil }},
	{Name: "hand.scale", Type: DoubleArray, Default: []float64{1, 1, 1},
		Description: "arm displacement per hand displacement (m/m) along arm x, y, z",
		apply:       func(s *Settings, v any) error { return vec3(v, &s.Hand.Scale, "hand.scale") }},
	{Name: "hand.offset", Type: DoubleArray, Default: []float64{0, 0, 0},
		Description: "absolute mode: arm position (base frame, metres) the tracker origin maps to",
		apply:       func(s *Settings, v any) error { return vec3(v, &s.Hand.Offset, "hand.offset") }},
	{Name: "hand.axis_map", Type: StringArray, Default: append([]string(nil), hand.DefaultAxisMap[:]...),
		Description: "tracker axis (optionally signed, e.g. -z) driving arm x, y, z; a camera facing the user: [-z, x, -y]",
		apply:       applyAxisMap},
	{Name: "hand.min_confidence", Type: Double, Default: hand.DefaultMinConfidence, Min: f(0), Max: f(1),
		Description: "detections below this confidence count as tracking loss",
		apply:       func(s *Settings, v any) error { s.Hand.MinConfidence = v.(float64); return nil }},
	{Name: "hand.filter.min_cutoff_hz", Type: Double, Default: hand.DefaultMinCutoffHz, Min: f(0.001), Max: f(1000),
		Description: "One Euro filter cutoff at rest, Hz (lower: less jitter, more lag)",
		apply:       func(s *Settings, v any) error { s.Hand.Filter.MinCutoffHz = v.(float64); return nil }},
	{Name: "hand.filter.beta", Type: Double, Default: hand.DefaultBeta, Min: f(0), Max: f(1000),
		Description: "One Euro filter speed coefficient, Hz per m/s (higher: less lag in fast moves)",
		apply:       func(s *Settings, v any) error { s.Hand.Filter.Beta = v.(float64); return nil }},
	{Name: "hand.filter.d_cutoff_hz", Type: Double, Default: hand.DefaultDCutoffHz, Min: f(0.001), Max: f(1000),
		Description: "One Euro filter cutoff of the speed estimate, Hz",
		apply:       func(s *Settings, v any) error { s.Hand.Filter.DCutoffHz = v.(float64); return nil }},
	{Name: "hand.pinch.close_above", Type: Double, Default: hand.DefaultCloseAbove, Min: f(0), Max: f(1),
		Description: "pinch strength above which the gripper closes",
		apply:       func(s *Settings, v any) error { s.Hand.Pinch.CloseAbove = v.(float64); return nil }},
	{Name: "hand.pinch.open_below", Type: Double, Default: hand.DefaultOpenBelow, Min: f(0), Max: f(1),
		Description: "pinch strength below which the gripper opens; below hand.pinch.close_above",
		apply:       func(s *Settings, v any) error { s.Hand.Pinch.OpenBelow = v.(float64); return nil }},
	{Name: "hand.clutch", Type: String, Default: string(hand.DefaultClutch), ReadOnly: true,
		Choices:     []string{string(hand.ClutchAlways), string(hand.ClutchPinchHold), string(hand.ClutchExternal)},
		Description: "always: the hand always moves the arm; pinch_hold: only while pinching; external: only while ~/clutch is true",
		apply:       func(s *Settings, v any) error { s.Hand.Clutch = hand.ClutchMode(v.(string)); return nil }},
	{Name: "hand.loss_timeout_ms", Type: Int, Default: int64(hand.DefaultLossTimeout / time.Millisecond), Min: f(1), Max: f(60000),
		Description: "no good hand frame for this many ms: tracking lost, the arm holds, and the next engagement re-anchors on the arm's reported position; shorter dropouts keep the mapping",
		apply:       func(s *Settings, v any) error { s.Hand.LossTimeout = ms(v); return nil }},
}

func vec3(v any, dst *[3]float64, name string) error {
	a := v.([]float64)
	if len(a) != 3 {
		return fmt.Errorf("%s needs 3 numbers (x, y, z), got %d", name, len(a))
	}
	copy(dst[:], a)
	return nil
}

func applyAxisMap(s *Settings, v any) error {
	a := v.([]string)
	if len(a) != 3 {
		return fmt.Errorf("hand.axis_map needs 3 entries (for arm x, y, z), got %d", len(a))
	}
	copy(s.Hand.AxisMap[:], a)
	return nil
}

// applyTokenFile reads the token the way aether_controller's --token-file
// does (pkg/tokenfile), so both sides agree on it.
func applyTokenFile(s *Settings, v any) error {
	path := v.(string)
	s.Token = ""
	if path == "" {
		return nil
	}
	token, err := tokenfile.Read(path)
	if errors.Is(err, tokenfile.ErrEmpty) {
		return fmt.Errorf("%w: put the controller's token in it (the same file as its --token-file), or set token_file to \"\" for no token", err)
	}
	if err != nil {
		return err // resolve names the parameter
	}
	s.Token = token
	return nil
}

// applyArmFile loads the arm the way aether_controller does (pkg/armfile),
// so the bridge's pre-checks use the same effective model: joint limits
// narrowed to what the servos reach. A target the bridge passes is one the
// controller can execute.
func applyArmFile(s *Settings, v any) error {
	s.ArmFile = v.(string)
	arm := armfile.Default()
	if s.ArmFile != "" {
		var err error
		if arm, err = armfile.Load(s.ArmFile); err != nil {
			return err
		}
	}
	s.Arm, s.Robot = arm.Model(), arm
	g := arm.Gripper
	s.GripperJoint, s.GripperOpen, s.GripperClosed = g.Joint, g.Open, g.Closed
	return nil
}
