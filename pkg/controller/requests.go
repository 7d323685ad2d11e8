package controller

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// motionRequest handles command, home and reset: role, validation (IK)
// and duplicate ids here, then lease, latch and ttl in the motion loop.
func (c *session) motionRequest(req *protocol.Request, now time.Time) bool {
	if c.role == protocol.RoleMonitor {
		return c.reply(protocol.Fail(req.ID, protocol.CodeUnauthorized,
			`a monitor may not send %s: say hello with "role":"control" to move the arm`, req.Type))
	}
	o := &op{sess: c, id: req.ID, recvAt: now, res: newResult()}
	switch req.Type {
	case protocol.TypeCommand:
		o.kind = opCommand
		if req.Joints != nil {
			q, fail := c.s.jointTarget(req.ID, req.Joints)
			if fail != nil {
				return c.reply(*fail)
			}
			o.joints = q
		} else if req.X != nil { // DecodeRequest lets a command omit x, y, z only all together, for a gripper change
			sol, err := c.s.model.IK(ik.Point{X: *req.X, Y: *req.Y, Z: *req.Z}, ik.Options{})
			if err != nil {
				return c.reply(ikFailure(req.ID, err))
			}
			o.joints = sol.Joints
		}
		if req.Gripper != nil {
			g := float64(*req.Gripper)
			o.gripper = &g
		}
	case protocol.TypeHome:
		o.kind = opHome
	case protocol.TypeTorque:
		o.kind, o.on = opTorque, *req.On
	default:
		o.kind = opReset
	}
	if req.TTLms != nil && *req.TTLms < math.MaxInt64/int64(time.Millisecond) {
		o.ttl = time.Duration(*req.TTLms) * time.Millisecond
	}
	if name := c.clientName(); name != "" && req.ID != "" {
		key := dedupeKey{client: name, id: req.ID}
		prev, mismatch := c.s.dedupe.claim(key, fingerprint(req), o.res)
		switch {
		case mismatch:
			return c.reply(protocol.Fail(req.ID, protocol.CodeInvalidCommand,
				"id %s was already used by client %q for a different request: use a new id for every request", req.ID, name))
		case prev != nil:
			c.log.Info("duplicate id: replaying the first reply, not executing again", "id", string(req.ID))
			return c.enqueue(outItem{res: prev})
		}
		o.dedupe = &key
	}
	c.s.submit(c.ctx, o)
	return c.enqueue(outItem{res: o.res})
}

// ikFailure turns an IK error into its wire error (the ik codes are the
// wire codes).
func ikFailure(id protocol.ID, err error) protocol.Response {
	var e *ik.Error
	if errors.As(err, &e) {
		return protocol.Fail(id, protocol.Code(e.Code), "%s", e.Message)
	}
	return protocol.Fail(id, protocol.CodeInternal, "inverse kinematics failed: %v", err)
}

// fingerprint identifies what a request asks for, to tell a replayed
// request from an id reused for something else.
func fingerprint(req *protocol.Request) string {
	var b strings.Builder
	b.WriteString(string(req.Type))
	if req.On != nil {
		b.WriteString(strconv.FormatBool(*req.On))
	}
	for _, v := range req.Joints {
		b.WriteString(" j")
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	}
	for _, v := range []*float64{req.X, req.Y, req.Z} {
		b.WriteByte(' ')
		if v != nil {
			b.WriteString(strconv.FormatFloat(*v, 'g', -1, 64))
		}
	}
	b.WriteByte(' ')
	if req.Gripper != nil {
		b.WriteString(strconv.FormatFloat(float64(*req.Gripper), 'g', -1, 64))
	}
	b.WriteByte(' ')
	if req.TTLms != nil {
		b.WriteString(strconv.FormatInt(*req.TTLms, 10))
	}
	return b.String()
}
