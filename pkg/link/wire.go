package link

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/transport"
)

// readPoll bounds each blocking read of the reader goroutine; the ack
// deadlines, not this, decide when a silent controller is dead.
const readPoll = time.Second

// inbound is one reply or event line from the reader goroutine, or the
// error that ended reading.
type inbound struct {
	resp protocol.Response
	at   time.Time // when the line was read, for RTT
	err  error
}

// readLoop decodes lines until the connection fails or ctx ends.
func readLoop(ctx context.Context, c *transport.Conn, out chan<- inbound) {
	for {
		line, err := c.ReadLine(time.Now().Add(readPoll))
		if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
			continue
		}
		var in inbound
		switch {
		case err != nil:
			in.err = readErr(err)
		default:
			in.resp, in.err = decodeReply(line)
			in.at = time.Now()
		}
		select {
		case out <- in:
		case <-ctx.Done():
			return
		}
		if in.err != nil {
			return
		}
	}
}

// readErr explains a failed read.
func readErr(err error) error {
	switch {
	case errors.Is(err, protocol.ErrLineTooLong):
		return fmt.Errorf("controller sent an overlong line: %w", err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("read: %w", err)
	default:
		return fmt.Errorf("connection closed by controller or network: %w", err)
	}
}

// decodeReply decodes a reply line; a line that is not one is an error
// quoting the line, since the stream can no longer be trusted.
func decodeReply(line []byte) (protocol.Response, error) {
	resp, err := protocol.DecodeResponse(line)
	if err != nil {
		return resp, fmt.Errorf("controller sent a line that is not a reply (%.80q): %w", line, err)
	}
	return resp, nil
}

// legacyRequest is a request in the seed format: no id, no ttl_ms, and the
// gripper as the word "open" or "close".
type legacyRequest struct {
	Type    protocol.Type `json:"type"`
	X       *float64      `json:"x,omitempty"`
	Y       *float64      `json:"y,omitempty"`
	Z       *float64      `json:"z,omitempty"`
	Gripper string        `json:"gripper,omitempty"`
}

// legacyLine encodes r for a seed-protocol server. A gripper between the
// ends rounds to the nearer word (0.5 and above is "close").
func legacyLine(r *protocol.Request) ([]byte, error) {
	lr := legacyRequest{Type: r.Type, X: r.X, Y: r.Y, Z: r.Z}
	if r.Gripper != nil {
		lr.Gripper = "open"
		if *r.Gripper >= 0.5 {
			lr.Gripper = "close"
		}
	}
	return json.Marshal(lr)
}

// write sends req on c, in the seed format in legacy mode.
func (l *Link) write(c *transport.Conn, req *protocol.Request, legacy bool) error {
	if legacy {
		b, err := legacyLine(req)
		if err != nil {
			return fmt.Errorf("encode %s: %w", req.Type, err)
		}
		return c.WriteLine(b, l.cfg.WriteTimeout)
	}
	return c.WriteRequest(req, l.cfg.WriteTimeout)
}

// wireRequest is e as written now: a request with a deadline carries
// ttl_ms, the time it has left (or the caller's own ttl_ms if shorter),
// fixed at its first write so a re-send is the same request. l.mu must be
// held.
func (l *Link) wireRequest(e *entry, now time.Time) protocol.Request {
	req := e.req
	if !e.expires.IsZero() {
		if e.ttl == nil {
			ttl := max((e.expires.Sub(now) + time.Millisecond - 1).Milliseconds(), 1)
			if req.TTLms != nil {
				ttl = min(ttl, *req.TTLms)
			}
			e.ttl = &ttl
		}
		req.TTLms = e.ttl
	}
	return req
}

// legacyMemory is what the link last sent to a seed-protocol server on
// the current connection, which needs x, y, z and gripper in every command.
type legacyMemory struct {
	pos     *[3]float64 // last position sent; nil before the first target and after a stop, home or reset
	gripper float64     // last gripper sent; 0 (open) before the first
}

// complete fills in what a command for a seed server lacks from what was
// last sent to it, and remembers what it sends: a gripper change keeps
// the position the server was last given, never a guess, and never one
// from before a stop, home or reset (a server that knows them left it).
func (m *legacyMemory) complete(r *protocol.Request) error {
	switch r.Type {
	case protocol.TypeCommand:
	case protocol.TypeStop, protocol.TypeHome, protocol.TypeReset:
		m.pos = nil
		return nil
	default:
		return nil
	}
	if r.X == nil {
		if m.pos == nil {
			return ErrNeedsPosition
		}
		p := *m.pos
		r.X, r.Y, r.Z = &p[0], &p[1], &p[2]
	}
	if r.Gripper == nil {
		g := protocol.Gripper(m.gripper)
		r.Gripper = &g
	}
	m.pos = &[3]float64{*r.X, *r.Y, *r.Z}
	m.gripper = float64(*r.Gripper)
	return nil
}

// isLegacyHelloReply reports whether a hello error comes from a server that
// does not know hello (the seed server's "Invalid command" carries no code)
// rather than from a v1 server refusing us (unauthorized, bad version).
func isLegacyHelloReply(r protocol.Response) bool {
	return r.Status == protocol.StatusError &&
		(r.Code == "" || r.Code == protocol.CodeInvalidCommand || r.Code == protocol.CodeInvalidJSON)
}

// helloFix says what to change when the controller refuses hello with code,
// in the words of the bridge's parameters and the controller's flags.
func helloFix(code protocol.Code) string {
	switch code {
	case protocol.CodeUnauthorized:
		return "set the bridge's token_file parameter to a file holding the controller's token (the same file as its --token-file), or token_file:=\"\" if the controller has none"
	case protocol.CodeUnsupportedVersion:
		return "run aether_bridge and aether_controller from the same release"
	case protocol.CodeBusy:
		return "the bridge retries; the controller's message above says what frees a place"
	}
	return "check the bridge's token_file and client_name parameters against the controller's --token-file"
}

// checkServer runs Config.CheckServer, if set, on a copy of info.
func (l *Link) checkServer(info *protocol.ServerInfo) error {
	if l.cfg.CheckServer == nil {
		return nil
	}
	if info != nil {
		c := *info
		info = &c
	}
	return l.cfg.CheckServer(info)
}

// handshake says hello and, if configured, subscribes. It reports whether
// the server speaks only the seed protocol.
func (l *Link) handshake(c *transport.Conn) (legacy bool, err error) {
	id, _ := nextID()
	hello := l.cfg.hello(id, l.heldControl.Load())
	resp, err := l.roundTrip(c, &hello)
	if err != nil {
		return false, fmt.Errorf("hello: %w", err)
	}
	if resp.Status != protocol.StatusOK {
		if isLegacyHelloReply(resp) {
			l.server.Store(nil)
			l.log.Warn("controller does not know hello: using the seed protocol on this connection",
				"reply", resp.Message, "code", resp.Code)
			return true, l.checkServer(nil)
		}
		return false, fmt.Errorf("controller refused hello: %s (code %s): %s", resp.Message, resp.Code, helloFix(resp.Code))
	}
	if resp.Server != nil {
		s := *resp.Server
		l.server.Store(&s)
	}
	if err := l.checkServer(resp.Server); err != nil {
		return false, err
	}
	if l.cfg.Subscribe {
		id, _ := nextID()
		resp, err := l.roundTrip(c, &protocol.Request{Type: protocol.TypeSubscribe, ID: id})
		if err != nil {
			return false, fmt.Errorf("subscribe: %w", err)
		}
		if resp.Status != protocol.StatusOK {
			l.log.Warn("controller refused subscribe: no pushed telemetry on this connection", "reply", resp.Message, "code", resp.Code)
		}
	}
	return false, nil
}

// roundTrip writes req and reads its reply within AckTimeout, passing
// events on to telemetry. Only used before the reader goroutine starts.
func (l *Link) roundTrip(c *transport.Conn, req *protocol.Request) (protocol.Response, error) {
	if err := c.WriteRequest(req, l.cfg.WriteTimeout); err != nil {
		return protocol.Response{}, err
	}
	deadline := time.Now().Add(l.cfg.AckTimeout)
	for {
		line, err := c.ReadLine(deadline)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return protocol.Response{}, fmt.Errorf("%w: no reply to %s within %v", ErrAckTimeout, req.Type, l.cfg.AckTimeout)
		}
		if err != nil {
			return protocol.Response{}, readErr(err)
		}
		resp, err := decodeReply(line)
		if err != nil {
			return resp, err
		}
		if resp.Type == protocol.TypeEvent {
			l.telemetry(resp)
			continue
		}
		if !resp.ID.IsZero() && resp.ID != req.ID {
			return resp, fmt.Errorf("reply to %s carries id %s, want %s", req.Type, resp.ID, req.ID)
		}
		return resp, nil
	}
}

// telemetry passes a reply's state on to OnTelemetry, and notes whether
// it names us as the control lease holder (so the next hello resumes it).
func (l *Link) telemetry(r protocol.Response) {
	if r.State != nil {
		l.heldControl.Store(r.State.Control == l.cfg.ClientName)
		l.disp.postTelemetry(*r.State)
	}
}
