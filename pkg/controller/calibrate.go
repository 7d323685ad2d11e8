package controller

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// The servo request (docs/protocol.md §12) is an optional extension for
// calibration: it lists the servos, or drives one with a raw pulse width.
// pkg/protocol does not know it, so the controller decodes it itself when
// DecodeRequest reports its type as unknown.

// TypeServo is the type of the servo request and of its reply.
const TypeServo protocol.Type = "servo"

// CapabilityServo is the hello capability of a server that answers servo
// requests with raw pulses (its backend implements servo.PulseWriter).
const CapabilityServo = "servo"

// ServoReport is the "calibration" payload of a servo reply.
type ServoReport struct {
	// MaxStepUS is the most one servo request may change a pulse, µs.
	MaxStepUS int `json:"max_step_us"`
	// MinPulseUS and MaxPulseUS bound every raw pulse, µs.
	MinPulseUS int `json:"min_pulse_us"`
	MaxPulseUS int `json:"max_pulse_us"`
	// Servos lists every servo of the arm (a list request) or the one just
	// moved, in the arm file's order.
	Servos []ServoStatus `json:"servos"`
}

// ServoStatus is one servo in a ServoReport: where it is now and its
// calibration from the arm file (the fields of a `servos:` entry).
type ServoStatus struct {
	Joint   string `json:"joint"`
	Channel int    `json:"channel"`
	// PulseUS is the pulse the servo is driven with (or would be, while
	// the pulses are off): the raw pulse while Raw, else the pulse its
	// calibration gives the current joint angle.
	PulseUS int `json:"pulse_us"`
	// Raw is true while the servo holds a pulse set by a servo request.
	Raw         bool    `json:"raw"`
	PulseMinUS  int     `json:"pulse_min_us"`
	PulseMaxUS  int     `json:"pulse_max_us"`
	AngleMinDeg float64 `json:"angle_min_deg"`
	AngleMaxDeg float64 `json:"angle_max_deg"`
	Direction   int     `json:"direction"` // 1 or -1
	OffsetDeg   float64 `json:"offset_deg"`
}

// servoRequest is a decoded servo request.
type servoRequest struct {
	id      protocol.ID
	move    bool // channel and pulse_us given; else list the servos
	channel int
	pulseUS int
}

// decodeServo decodes line as a servo request when DecodeRequest failed
// with perr only because it does not know the type "servo". ok is false for
// any other line.
func decodeServo(line []byte, id protocol.ID, perr *protocol.Error) (req servoRequest, ok bool, err *protocol.Error) {
	if perr.Code != protocol.CodeInvalidCommand || !bytes.Contains(line, []byte(TypeServo)) {
		return req, false, nil
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(line, &raw) != nil {
		return req, false, nil
	}
	var typ string
	if json.Unmarshal(raw["type"], &typ) != nil || protocol.Type(typ) != TypeServo {
		return req, false, nil
	}
	req.id = id
	// The fields every request may carry are checked as for any request.
	raw["type"] = json.RawMessage(`"` + protocol.TypePing + `"`)
	if b, e := json.Marshal(raw); e == nil {
		if _, perr := protocol.DecodeRequest(b); perr != nil {
			return req, true, perr
		}
	}
	ch, hasCh, err := intField(raw, "channel", 0, servo.MaxChannel, "a servo board channel")
	if err != nil {
		return req, true, err
	}
	us, hasUS, err := intField(raw, "pulse_us", servo.MinPulseUS, servo.MaxPulseUS, "a pulse width in µs")
	if err != nil {
		return req, true, err
	}
	switch {
	case hasCh && !hasUS:
		return req, true, &protocol.Error{Code: protocol.CodeMissingField, Message: `missing field "pulse_us": a servo request with a "channel" needs the pulse width in µs; send {"type":"servo"} alone to list the servos`}
	case hasUS && !hasCh:
		return req, true, &protocol.Error{Code: protocol.CodeMissingField, Message: `missing field "channel": a servo request with "pulse_us" needs the servo's channel; send {"type":"servo"} alone to list the servos`}
	}
	req.move, req.channel, req.pulseUS = hasCh, ch, us
	return req, true, nil
}

// intField reads an optional whole-number field within lo..hi.
func intField(raw map[string]json.RawMessage, name string, lo, hi int, what string) (int, bool, *protocol.Error) {
	b, ok := raw[name]
	if !ok || string(b) == "null" {
		return 0, false, nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) || err != nil && !isRangeErr(err) || v != math.Trunc(v) {
		return 0, true, &protocol.Error{Code: protocol.CodeBadType, Message: fmt.Sprintf("field %q must be a whole number, %s, got %.40s", name, what, b)}
	}
	if isRangeErr(err) || v < float64(lo) || v > float64(hi) {
		return 0, true, &protocol.Error{Code: protocol.CodeOutOfRange, Message: fmt.Sprintf("field %q is %.40s: use %s from %d to %d", name, b, what, lo, hi)}
	}
	return int(v), true, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// servoRequest checks who may send it and hands it to the motion loop.
func (c *session) servoRequest(r servoRequest, now time.Time) bool {
	if !c.authed {
		return c.reply(protocol.Fail(r.id, protocol.CodeUnauthorized,
			`not authenticated: send {"type":"hello","version":%d,"token":"…"} first`, protocol.Version))
	}
	o := &op{sess: c, id: r.id, recvAt: now, res: newResult(), kind: opServoList}
	if r.move {
		switch {
		case c.role == protocol.RoleMonitor:
			return c.reply(protocol.Fail(r.id, protocol.CodeUnauthorized,
				`a monitor may not send servo: say hello with "role":"control" to move the arm`))
		case c.s.pulses == nil:
			return c.reply(protocol.Fail(r.id, protocol.CodeInvalidCommand,
				"this controller's servo backend cannot set raw pulses; calibrate with a backend that can (sim, pca9685, serial)"))
		}
		o.kind, o.channel, o.pulseUS = opServo, r.channel, r.pulseUS
	}
	c.s.submit(c.ctx, o)
	return c.enqueue(outItem{res: o.res})
}

// servoReply is a reply with the servo payload, in the wire field order.
type servoReply struct {
	protocol.Response
	Calibration *ServoReport `json:"calibration,omitempty"`
}

// encodeReply writes r (and its servo payload, if any) as one line.
func encodeReply(buf *bytes.Buffer, r *protocol.Response, servos *ServoReport) error {
	if servos == nil {
		return protocol.EncodeResponse(buf, r)
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc.Encode(servoReply{Response: *r, Calibration: servos})
}

// checkServo refuses a servo request the motion loop cannot take: unknown
// channel, or a step larger than MaxPulseStepUS from the servo's pulse.
func (m *motion) checkServo(o *op) (protocol.Response, bool) {
	i := m.servoIndex(o.channel)
	if i < 0 {
		var chans []string
		for _, c := range m.s.arm.Servos {
			chans = append(chans, fmt.Sprintf("%d (%s)", c.Channel, c.Joint))
		}
		return protocol.Fail(o.id, protocol.CodeOutOfRange, "channel %d drives no servo of this arm: use one of %s",
			o.channel, strings.Join(chans, ", ")), false
	}
	from := m.pulseNow(i)
	if d := o.pulseUS - from; d > m.s.cfg.MaxPulseStepUS || -d > m.s.cfg.MaxPulseStepUS {
		next := from + m.s.cfg.MaxPulseStepUS
		if d < 0 {
			next = from - m.s.cfg.MaxPulseStepUS
		}
		return protocol.Fail(o.id, protocol.CodeOutOfRange,
			"pulse %d µs is %d µs away from channel %d's %d µs: move at most %d µs per servo request (next: %d)",
			o.pulseUS, max(d, -d), o.channel, from, m.s.cfg.MaxPulseStepUS, next), false
	}
	return protocol.Response{}, true
}

// applyPulse drives one servo with a raw pulse and enters calibration: the
// motion loop stops writing calibrated poses until a command or home.
func (m *motion) applyPulse(o *op, now time.Time) protocol.Response {
	i := m.servoIndex(o.channel)
	c := m.s.arm.Servos[i]
	if err := m.s.pulses.WritePulse(o.channel, o.pulseUS); err != nil {
		m.log.Error("raw servo pulse failed", "channel", o.channel, "pulse_us", o.pulseUS, "err", err)
		return protocol.Fail(o.id, protocol.CodeInternal, "servo write failed: %v", err)
	}
	if m.raw == nil {
		m.raw = make(map[int]int)
		m.log.Info("calibration: raw servo pulses; command or home returns to calibrated motion")
	}
	m.raw[o.channel] = o.pulseUS
	m.log.Info("calibration: raw pulse", "channel", o.channel, "joint", c.Joint, "pulse_us", o.pulseUS)
	// Follow the servo in the model, within the limits, so the state shows
	// it and leaving calibration starts from (near) where it is.
	if c.IsGripper() {
		m.grip = min(max(c.AngleForPulse(o.pulseUS), 0), 1)
	} else if j := m.jointIndex(c.Joint); j >= 0 {
		if ext, err := m.s.model.ToExternal(m.cur); err == nil {
			ext[j] = c.AngleForPulse(o.pulseUS)
			if q, err := m.s.model.FromExternal(ext); err == nil {
				m.cur[j] = min(max(q[j], m.lo[j]), m.hi[j])
			}
		}
	}
	m.halt()
	m.resync() // cur moved outside the trajectory
	m.released = false
	m.setWatchdog(now, protocol.WatchdogOK, "servo request accepted")
	return protocol.OK(o.id, fmt.Sprintf("servo on channel %d (%s) at %d µs", o.channel, c.Joint, o.pulseUS))
}

// endCalibration returns to calibrated motion, logging why.
func (m *motion) endCalibration(why string) {
	if m.raw == nil {
		return
	}
	m.raw = nil
	m.log.Info("calibration ended: back to calibrated motion", "why", why)
}

// servoReport describes the servo on channel, or every servo when channel
// is negative.
func (m *motion) servoReport(channel int) *ServoReport {
	r := &ServoReport{MaxStepUS: m.s.cfg.MaxPulseStepUS, MinPulseUS: servo.MinPulseUS, MaxPulseUS: servo.MaxPulseUS, Servos: []ServoStatus{}}
	for i, c := range m.s.arm.Servos {
		if channel >= 0 && c.Channel != channel {
			continue
		}
		_, raw := m.raw[c.Channel]
		dir := 1
		if c.Direction < 0 {
			dir = -1
		}
		r.Servos = append(r.Servos, ServoStatus{
			Joint: c.Joint, Channel: c.Channel, PulseUS: m.pulseNow(i), Raw: raw,
			PulseMinUS: c.PulseMinUS, PulseMaxUS: c.PulseMaxUS, AngleMinDeg: c.AngleMinDeg, AngleMaxDeg: c.AngleMaxDeg,
			Direction: dir, OffsetDeg: c.OffsetDeg,
		})
	}
	return r
}

// pulseNow is the pulse servo i is driven with: its raw pulse, or what its
// calibration gives the current (clamped) joint angle or gripper.
func (m *motion) pulseNow(i int) int {
	c := m.s.arm.Servos[i]
	if us, ok := m.raw[c.Channel]; ok {
		return us
	}
	v := m.grip
	if !c.IsGripper() {
		j := m.jointIndex(c.Joint)
		if j < 0 {
			return 0
		}
		for k, q := range m.cur {
			m.out[k] = min(max(q, m.lo[k]), m.hi[k])
		}
		ext, err := m.s.model.ToExternal(m.out)
		if err != nil {
			return 0
		}
		v = ext[j]
	}
	us, err := c.PulseUS(v)
	if err != nil {
		return 0
	}
	return us
}

// servoIndex returns the index in arm.Servos of the servo on channel, or -1.
func (m *motion) servoIndex(channel int) int {
	for i, c := range m.s.arm.Servos {
		if c.Channel == channel {
			return i
		}
	}
	return -1
}

// jointIndex returns the model joint named name, or -1.
func (m *motion) jointIndex(name string) int {
	for j, jt := range m.s.model.Joints {
		if jt.Name == name {
			return j
		}
	}
	return -1
}
