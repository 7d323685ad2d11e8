package bridge

import (
	"errors"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/ik"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// ackError is an error found by the bridge itself, with the code its ack carries.
type ackError struct {
	code protocol.Code
	msg  string
}

// Error is the code and the message.
func (e *ackError) Error() string { return string(e.code) + ": " + e.msg }

func estopErr() error {
	return &ackError{code: protocol.CodeEstop,
		msg: "emergency stop is engaged: publish false on /aether/estop to release it"}
}

// CodedError is an error that carries an ack code (e.g. a Sink's
// "queue full"). Sinks may return one from SetTarget/Send and pass one to
// Result; any other error is reported with code "internal".
type CodedError interface {
	error
	AckCode() string
}

// reject publishes an error ack for a command that was never sent.
func (c *Core) reject(source string, err error, target *ik.Point) {
	c.publish(Ack{Source: source, Code: codeOf(err), Message: messageOf(err), Target: target})
}

// publish sends a through Outputs.Ack, marking a failure that repeats the
// source's previous one (e.g. hand targets at 30 Hz outside the workspace)
// so it is logged once per episode, not per frame.
func (c *Core) publish(a Ack) {
	c.mu.Lock()
	if a.OK {
		if a.Target != nil { // an accepted target ends the episode; the hand's gripper changes do not
			delete(c.failed, a.Source)
		}
	} else if a.Code != string(protocol.CodeSuperseded) {
		a.Repeat = c.failed[a.Source] == a.Code
		c.failed[a.Source] = a.Code
	}
	c.mu.Unlock()
	c.out.Ack(a)
}

// track remembers a sent command so its Result can be routed to an ack, or
// rejects it right away if the sink refused it. A result that arrived before
// track ran (a fast reply on loopback) is published now.
func (c *Core) track(source string, id protocol.ID, err error, p pending) {
	if err != nil {
		c.reject(source, err, p.target)
		return
	}
	c.mu.Lock()
	if p.clears {
		c.arm.clear(id)
	}
	if r, early := c.early[id]; early {
		delete(c.early, id)
		refresh := c.arm.answered(id)
		c.mu.Unlock()
		c.publish(r.ack(p))
		if refresh {
			c.sink.Refresh()
		}
		return
	}
	if _, dup := c.pending[id]; !dup {
		c.order = append(c.order, id)
	}
	c.pending[id] = p
	// Bound memory: forget the oldest entries (their results are then dropped).
	for len(c.pending) > c.cfg.MaxPending && len(c.order) > 0 {
		delete(c.pending, c.order[0])
		c.arm.answered(c.order[0])
		c.order = c.order[1:]
	}
	if len(c.order) > 2*c.cfg.MaxPending { // compact ids already answered
		live := c.order[:0]
		for _, o := range c.order {
			if _, ok := c.pending[o]; ok {
				live = append(live, o)
			}
		}
		c.order = live
	}
	c.mu.Unlock()
}

// result is one command outcome as the sink reported it.
type result struct {
	id   protocol.ID
	resp protocol.Response
	err  error
	rtt  time.Duration
}

// Result routes the outcome of command id to its ack: resp is the
// controller's reply when err is nil. It may arrive before the command is
// tracked; it is then held until it is.
func (c *Core) Result(id protocol.ID, resp protocol.Response, err error, rtt time.Duration) {
	r := result{id: id, resp: resp, err: err, rtt: rtt}
	c.mu.Lock()
	p, ok := c.pending[id]
	if !ok {
		if len(c.early) >= c.cfg.MaxPending {
			clear(c.early) // only results nobody will ever track pile up here
		}
		c.early[id] = r
		c.mu.Unlock()
		return
	}
	delete(c.pending, id)
	refresh := c.arm.answered(id)
	c.mu.Unlock()
	c.publish(r.ack(p))
	if refresh {
		c.sink.Refresh() // the state pushed with the change came before this reply
	}
}

// ack builds the Ack for r, sent on behalf of p.
func (r result) ack(p pending) Ack {
	ack := Ack{ID: IDText(r.id), Source: p.source, RTT: r.rtt, Target: p.target}
	switch {
	case r.err != nil:
		ack.Code, ack.Message = codeOf(r.err), messageOf(r.err)
	case r.resp.Status == protocol.StatusOK:
		ack.OK, ack.Message = true, r.resp.Message
		if c := r.resp.Clamped; c != nil && ack.Target != nil {
			ack.Target = metres(ik.Point{X: c.X, Y: c.Y, Z: c.Z})
		}
	default:
		ack.Code, ack.Message = string(r.resp.Code), r.resp.Message
		if ack.Code == "" { // a seed-protocol server sends no code
			ack.Code = string(protocol.CodeError)
		}
	}
	return ack
}

// IDText renders an id for ROS messages and logs: the bare text of a
// string id, the digits of a numeric one.
func IDText(id protocol.ID) string {
	s := string(id)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

func codeOf(err error) string {
	var ae *ackError
	var ce CodedError
	var pe *protocol.Error
	var ie *ik.Error
	switch {
	case errors.As(err, &ie):
		return string(ie.Code)
	case errors.As(err, &ae):
		return string(ae.code)
	case errors.As(err, &ce):
		return ce.AckCode()
	case errors.As(err, &pe):
		return string(pe.Code)
	}
	return string(protocol.CodeInternal)
}

func messageOf(err error) string {
	var ae *ackError
	if errors.As(err, &ae) {
		return ae.msg
	}
	return err.Error()
}

// Message is the user-facing text of an error the Core returned: what an
// ack would say, without the code prefix.
func Message(err error) string { return messageOf(err) }

// Notable reports whether a is worth a warning in the log: a refusal that
// is neither latest-wins at work (superseded) nor a repeat of the source's
// previous refusal. Hand targets outside the workspace at 30 Hz thus log
// once per episode.
func (a Ack) Notable() bool {
	return !a.OK && !a.Repeat && a.Code != string(protocol.CodeSuperseded)
}
