// Package protocol defines the Aether wire protocol v1: newline-delimited JSON
// requests and replies exchanged between aether_bridge and aether_controller.
//
// It holds the message types, error codes, Encode/Decode functions over
// io.Reader/io.Writer and a bounded LineReader. It does no network I/O itself;
// see docs/protocol.md for the full specification.
package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Version is the protocol version spoken by this package, sent in hello.
const Version = 1

// DefaultMaxLine is the default maximum length in bytes of one line, not
// counting its "\n" or "\r\n" terminator.
const DefaultMaxLine = 64 << 10

// MessageCommandReceived is the reply message of an accepted command; the seed
// clients compare against it.
const MessageCommandReceived = "Command received"

// Type is the "type" field of a request, or of a reply that carries a payload.
type Type string

// Request types.
const (
	TypeCommand   Type = "command"   // move to x, y, z (mm) and set the gripper
	TypeHello     Type = "hello"     // version handshake, role and auth token
	TypePing      Type = "ping"      // liveness check; replied with TypePong
	TypeStop      Type = "stop"      // emergency stop, latched until home or reset
	TypeHome      Type = "home"      // move to the home pose; clears a latched stop
	TypeReset     Type = "reset"     // clear a latched stop without moving
	TypeStatus    Type = "status"    // ask for the current State
	TypeSubscribe Type = "subscribe" // ask for pushed TypeEvent state updates
	TypeTorque    Type = "torque"    // switch bus-servo torque on (hold; recovers a fault) or off (limp)
)

// Reply-only types. Replies to hello and status reuse TypeHello and TypeStatus.
const (
	TypePong  Type = "pong"  // reply to ping
	TypeEvent Type = "event" // pushed state update after subscribe; never a reply
)

// requestTypes lists the valid request types in the order error messages name them.
var requestTypes = []Type{TypeCommand, TypeHello, TypePing, TypeStop, TypeHome, TypeReset, TypeStatus, TypeSubscribe, TypeTorque}

// Valid reports whether t is one of the request types.
func (t Type) Valid() bool {
	for _, v := range requestTypes {
		if t == v {
			return true
		}
	}
	return false
}

// Code is the machine-readable "code" of an error reply.
type Code string

// Error codes, see docs/protocol.md for when each is sent.
const (
	CodeInvalidJSON        Code = "invalid_json"        // line is not a JSON object
	CodeInvalidCommand     Code = "invalid_command"     // missing/unknown type, bad role, or type not allowed here
	CodeMissingField       Code = "missing_field"       // a required field is absent
	CodeBadType            Code = "bad_type"            // a field has the wrong JSON type
	CodeOutOfRange         Code = "out_of_range"        // a number is outside its allowed range
	CodeUnreachable        Code = "unreachable"         // target outside the arm's workspace
	CodeJointLimit         Code = "joint_limit"         // IK solution violates a joint limit
	CodeUnauthorized       Code = "unauthorized"        // hello with the token required first, or monitor commanding
	CodeBusy               Code = "busy"                // another client holds the control lease
	CodeEstop              Code = "estop"               // stop is latched; send home or reset
	CodeExpired            Code = "expired"             // ttl_ms passed before the command could start
	CodeLineTooLong        Code = "line_too_long"       // line exceeded the server's limit
	CodeUnsupportedVersion Code = "unsupported_version" // hello version is not Version
	CodeInternal           Code = "internal"            // server-side failure (e.g. servo I/O)
	CodeServoFault         Code = "servo_fault"         // a servo reports an error flag (overload, overheat…); the arm is held until torque on
)

// Bridge-local codes: never sent on the wire, they appear on the bridge's
// /aether/ack for outcomes decided before (or instead of) a controller
// reply. Listed here so every ack code of the system is in one place.
const (
	CodeUnknownFrame Code = "unknown_frame" // a stamped input named a frame other than the base frame
	CodeQueueFull    Code = "queue_full"    // too many commands wait to be sent; this one was not queued
	CodeSuperseded   Code = "superseded"    // a newer target replaced this one before it was sent (latest wins)
	CodeLinkDown     Code = "link_down"     // the controller is unreachable: the command was not sent
	CodeLinkLost     Code = "link_lost"     // the connection dropped before the controller answered
	CodeAckTimeout   Code = "ack_timeout"   // the controller did not answer in time
	CodeClosed       Code = "closed"        // the bridge shut down before the command was answered
	CodeError        Code = "error"         // a seed-protocol server refused the command (it sends no code)
	CodeArmMismatch  Code = "arm_mismatch"  // the controller's arm model (hello arm_hash) is not the bridge's: motion refused
)

// Reply statuses.
const (
	StatusOK    = "ok"
	StatusError = "error"
)

// Watchdog states reported in State.Watchdog.
const (
	WatchdogOK      = "ok"      // commands arriving in time
	WatchdogHold    = "hold"    // no command for a while: holding the last pose
	WatchdogParking = "parking" // link lost: moving to the park pose
	WatchdogParked  = "parked"  // at the park pose, waiting for commands
	WatchdogOff     = "off"     // watchdog disabled by configuration
)

// Role is the role a client asks for in hello.
type Role string

// Roles.
const (
	RoleControl Role = "control" // may move the arm (one holder of the lease at a time)
	RoleMonitor Role = "monitor" // read-only: status, subscribe, ping
)

// Valid reports whether r is RoleControl or RoleMonitor.
func (r Role) Valid() bool { return r == RoleControl || r == RoleMonitor }

// ID is a request id: the raw JSON token (e.g. `7` or `"abc"`) echoed verbatim
// on the reply. The empty ID means absent.
type ID string

// NumericID returns the ID for the JSON integer n.
func NumericID(n uint64) ID { return ID(strconv.FormatUint(n, 10)) }

// StringID returns the ID for the JSON string s, quoted and escaped as JSON
// (invalid UTF-8 becomes U+FFFD).
func StringID(s string) ID {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			// strconv.Quote would write Go escapes (\x01, \a) that are not
			// JSON: let encoding/json quote it.
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s) // a string always encodes
			return ID(bytes.TrimSuffix(b.Bytes(), []byte{'\n'}))
		}
	}
	return ID(strconv.Quote(s)) // printable ASCII: Go and JSON quote it alike
}

// IsZero reports whether the id is absent.
func (id ID) IsZero() bool { return id == "" }

// MarshalJSON writes the raw token. An absent ID marshals as null (structs in
// this package omit it instead).
func (id ID) MarshalJSON() ([]byte, error) {
	if id == "" {
		return []byte("null"), nil
	}
	if err := checkID([]byte(id)); err != nil {
		return nil, err
	}
	return []byte(id), nil
}

// UnmarshalJSON keeps the raw token of a JSON string or integer; null leaves
// the ID absent. Anything else is a bad_type *Error.
func (id *ID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*id = ""
		return nil
	}
	if err := checkID(b); err != nil {
		return err
	}
	*id = ID(b)
	return nil
}

// checkID accepts a JSON string token (valid UTF-8) or an integer token.
func checkID(b []byte) *Error {
	bad := &Error{Code: CodeBadType, Message: `field "id" must be a JSON string or integer, e.g. "id":7 or "id":"abc"`}
	if len(b) == 0 {
		return bad
	}
	if b[0] == '"' {
		if len(b) < 2 || b[len(b)-1] != '"' || !utf8.Valid(b) {
			return bad
		}
		return nil
	}
	i := 0
	if b[0] == '-' {
		i++
	}
	if i == len(b) || (b[i] == '0' && len(b) > i+1) {
		return bad
	}
	for ; i < len(b); i++ {
		if b[i] < '0' || b[i] > '9' {
			return bad
		}
	}
	return nil
}

// Gripper is the gripper closure: 0 open .. 1 closed. It decodes from "open",
// "close"/"closed" or a number 0..1 and always encodes as a number.
type Gripper float64

// Gripper positions.
const (
	GripperOpen   Gripper = 0
	GripperClosed Gripper = 1
)

// Request is any request; which fields matter depends on Type. Unknown JSON
// fields are ignored when decoding.
type Request struct {
	Type    Type      `json:"type"`
	ID      ID        `json:"id,omitempty"`
	X       *float64  `json:"x,omitempty"`       // mm, base frame, forward (command; x, y, z all or none: none keeps the current target)
	Y       *float64  `json:"y,omitempty"`       // mm, base frame, left (command)
	Z       *float64  `json:"z,omitempty"`       // mm, base frame, up (command)
	Gripper *Gripper  `json:"gripper,omitempty"` // 0 open .. 1 closed; nil keeps the current one (command)
	TTLms   *int64    `json:"ttl_ms,omitempty"`  // ms after receipt the request may still start; nil = no limit (command, home, reset)
	Version *int      `json:"version,omitempty"` // protocol version, must be Version (hello)
	Client  string    `json:"client,omitempty"`  // free-form client name for logs (hello)
	Role    Role      `json:"role,omitempty"`    // "" = control (hello)
	Token   string    `json:"token,omitempty"`   // shared secret when the server requires one (hello)
	Resume  bool      `json:"resume,omitempty"`  // the client held the control lease on its previous connection: take it back (hello)
	RateHz  *float64  `json:"rate_hz,omitempty"` // states per second while the arm moves, at most one per servo tick; nil = on change only (subscribe)
	On      *bool     `json:"on,omitempty"`      // true: torque on (hold), false: limp (torque)
	Joints  []float64 `json:"joints,omitempty"`  // joint angles, degrees, model frame, one per kinematic joint (command, instead of x, y, z)
}

// MaxRateHz bounds a subscribe's rate_hz; servers cap it further at their
// servo tick rate.
const MaxRateHz = 10000

// Error is a protocol error: a Code plus a message that says what to fix.
type Error struct {
	Code    Code
	Message string
}

// Error implements error.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Is makes errors.Is(err, &Error{Code: c}) match any *Error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Response returns the error reply for e, echoing id.
func (e *Error) Response(id ID) Response {
	return Response{Status: StatusError, Message: e.Message, ID: id, Code: e.Code}
}

// Point is a position in the arm's base frame, millimetres.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	Z float64 `json:"z"`
}

// JointInfo describes one joint in the hello reply.
type JointInfo struct {
	Name   string  `json:"name"`
	MinDeg float64 `json:"min_deg"` // degrees
	MaxDeg float64 `json:"max_deg"` // degrees
}

// ServerInfo is the payload of the hello reply.
type ServerInfo struct {
	Protocol     int         `json:"protocol"`     // protocol version, Version
	Name         string      `json:"name"`         // server software name and version
	Arm          string      `json:"arm"`          // arm model name
	Joints       []JointInfo `json:"joints"`       // joints in chain order
	ArmHash      string      `json:"arm_hash"`     // hash of the arm model, to detect mismatched configs
	Capabilities []string    `json:"capabilities"` // optional features, e.g. "subscribe"
}

// JointState is one joint's current angle.
type JointState struct {
	Name string  `json:"name"`
	Deg  float64 `json:"deg"` // degrees
}

// State is the arm state carried by status replies and events.
type State struct {
	Joints   []JointState `json:"joints"`
	Gripper  float64      `json:"gripper"`  // 0 open .. 1 closed
	Pose     Point        `json:"pose"`     // end effector, mm (forward kinematics)
	Moving   bool         `json:"moving"`   // a motion is in progress
	Estopped bool         `json:"estopped"` // stop is latched
	LastID   ID           `json:"last_id"`  // id of the last accepted command; null if none
	Watchdog string       `json:"watchdog"` // one of the Watchdog* constants
	Control  string       `json:"control"`  // client holding the control lease, "" none
	TimeMS   int64        `json:"time_ms"`  // server time, ms since the Unix epoch

	// Only with servos that report their position (bus backends); absent
	// otherwise, which means Joints, Gripper and Pose are the commanded pose.
	Feedback  string        `json:"feedback,omitempty"`  // FeedbackMeasured: Joints, Gripper and Pose are what the servos report
	Commanded []JointState  `json:"commanded,omitempty"` // the joint angles the controller is driving now
	Torque    string        `json:"torque,omitempty"`    // "on" (holding) or "off" (limp)
	Fault     string        `json:"fault,omitempty"`     // why the arm is held on a servo error flag; "" none
	Servos    []ServoHealth `json:"servos,omitempty"`    // per-servo telemetry
}

// FeedbackMeasured is State.Feedback when the joints are measured.
const FeedbackMeasured = "measured"

// ServoHealth is one bus servo's telemetry in State.
type ServoHealth struct {
	ID     int      `json:"id"`
	Joint  string   `json:"joint"`
	Load   float64  `json:"load"`            // % of maximum torque (XL330/XM430: current, 0.1 A)
	Volts  float64  `json:"volts"`           // supply, V
	TempC  int      `json:"temp_c"`          // °C
	Moving bool     `json:"moving"`          // the servo's own moving flag
	Flags  []string `json:"flags,omitempty"` // error flags: voltage, sensor, overheat, overcurrent, overload
}

// Response is any reply or pushed event. Field order on the wire is fixed:
// status, message, then type, id, code, server, state, clamped when set.
type Response struct {
	Status  string      `json:"status"` // StatusOK or StatusError
	Message string      `json:"message"`
	Type    Type        `json:"type,omitempty"`
	ID      ID          `json:"id,omitempty"`
	Code    Code        `json:"code,omitempty"`
	Server  *ServerInfo `json:"server,omitempty"`  // hello reply
	State   *State      `json:"state,omitempty"`   // status reply, event
	Clamped *Point      `json:"clamped,omitempty"` // command reply when the target was clamped
}

// OK returns a success reply echoing id.
func OK(id ID, message string) Response {
	return Response{Status: StatusOK, Message: message, ID: id}
}

// Fail returns an error reply echoing id, with a message formatted like fmt.Sprintf.
func Fail(id ID, code Code, format string, args ...any) Response {
	return Response{Status: StatusError, Message: fmt.Sprintf(format, args...), ID: id, Code: code}
}

// UnmarshalJSON accepts "open", "close", "closed" or a number from 0 to 1.
// A number outside 0..1 is an out_of_range *Error; anything else is bad_type.
func (g *Gripper) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err == nil {
			switch s {
			case "open":
				*g = GripperOpen
				return nil
			case "close", "closed":
				*g = GripperClosed
				return nil
			}
		}
	}
	v, err := parseNumber("gripper", b, `"open", "close" or a number from 0 (open) to 1 (closed)`)
	if err != nil {
		return err
	}
	if !(v >= 0 && v <= 1) {
		return &Error{Code: CodeOutOfRange, Message: fmt.Sprintf(`field "gripper" is %v: use a number from 0 (open) to 1 (closed), or "open"/"close"`, v)}
	}
	*g = Gripper(v)
	return nil
}
