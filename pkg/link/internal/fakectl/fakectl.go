// Package fakectl is a small controller stand-in for pkg/link tests. It
// speaks protocol v1 (hello, ping, duplicate-id replay), the lab's seed
// protocol, or misbehaves on purpose, and records what it executed so tests
// can check that nothing ran twice.
package fakectl

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/transport"
)

// Mode is how the server answers.
type Mode int32

// Modes.
const (
	ModeV1           Mode = iota // protocol v1 with a duplicate-id cache per client name
	ModeSeed                     // strict seed protocol: ok for a seed command line, else "Invalid command"
	ModeSilent                   // reads everything, answers nothing
	ModeMute                     // v1 hello/ping/subscribe answered; other requests neither answered nor executed
	ModeGarbage                  // answers every line with a line that is not JSON
	ModeCloseMidLine             // answers the first line with half a reply, then closes
	ModeLoseReplies              // v1, but command/stop/home/reset replies are dropped after executing
	ModeNotice                   // v1, but command/stop/home/reset get an error line without id, not executed
)

const ioTimeout = time.Second

// Exec is one executed request.
type Exec struct {
	Client string
	Req    protocol.Request
	Raw    string // the line as received
}

// Server is a fake controller listening on 127.0.0.1.
type Server struct {
	ln     net.Listener
	mode   atomic.Int32
	busy   atomic.Int32 // this many motion requests get busy, unexecuted
	token  string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	execs    []Exec
	lines    []string
	cache    map[string]protocol.Response // client + "\x00" + id → first reply
	accepted int
}

// Start listens on addr ("127.0.0.1:0" for any port). token, when not
// empty, must be sent in hello (v1 modes).
func Start(addr string, mode Mode, token string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return StartOn(ln, mode, token), nil
}

// StartOn serves ln, which Close closes, like Start.
func StartOn(ln net.Listener, mode Mode, token string) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{ln: ln, token: token, ctx: ctx, cancel: cancel,
		conns: map[net.Conn]struct{}{}, cache: map[string]protocol.Response{}}
	s.mode.Store(int32(mode))
	s.wg.Add(1)
	go s.accept()
	return s
}

// Addr is the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// SetMode changes how the following lines are answered.
func (s *Server) SetMode(m Mode) { s.mode.Store(int32(m)) }

// SetBusy makes the next n command/home/reset requests fail with busy
// (another client holds control), without executing or caching them.
func (s *Server) SetBusy(n int) { s.busy.Store(int32(n)) }

// Executions returns the executed requests in order.
func (s *Server) Executions() []Exec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Exec(nil), s.execs...)
}

// ExecCount is how many times the request with id was executed.
func (s *Server) ExecCount(id protocol.ID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.execs {
		if e.Req.ID == id {
			n++
		}
	}
	return n
}

// Lines returns every line received, in order.
func (s *Server) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// Accepted is how many connections were accepted.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Close stops listening, closes every connection and waits for them.
func (s *Server) Close() error {
	s.cancel()
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.accepted++
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, nc)
				s.mu.Unlock()
				nc.Close()
			}()
			s.serve(nc)
		}()
	}
}

// session is one connection's v1 state.
type session struct {
	client     string
	authed     bool
	subscribed bool
}

func (s *Server) serve(nc net.Conn) {
	c := transport.New(nc, 0)
	sess := &session{authed: s.token == ""}
	for {
		line, err := c.ReadLine(time.Now().Add(200 * time.Millisecond))
		if errors.Is(err, os.ErrDeadlineExceeded) && s.ctx.Err() == nil {
			continue
		}
		if err != nil {
			return
		}
		raw := string(line)
		s.mu.Lock()
		s.lines = append(s.lines, raw)
		s.mu.Unlock()

		switch Mode(s.mode.Load()) {
		case ModeSilent:
			continue
		case ModeGarbage:
			err = c.WriteLine([]byte("garbage: this is not JSON"), ioTimeout)
		case ModeCloseMidLine:
			nc.SetWriteDeadline(time.Now().Add(ioTimeout))
			nc.Write([]byte(`{"status":"ok","mess`))
			return
		case ModeSeed:
			r := s.seed(raw)
			err = c.WriteResponse(&r, ioTimeout)
		default:
			err = s.v1(c, sess, raw)
		}
		if err != nil {
			return
		}
	}
}

// seed answers like the lab's socket document: only a complete seed
// command line is accepted.
func (s *Server) seed(raw string) protocol.Response {
	invalid := protocol.Response{Status: protocol.StatusError, Message: "Invalid command"}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &m) != nil {
		return invalid
	}
	for k := range m {
		switch k {
		case "type", "x", "y", "z", "gripper":
		default:
			return invalid
		}
	}
	var typ, grip string
	var x, y, z float64
	if json.Unmarshal(m["type"], &typ) != nil || typ != "command" ||
		json.Unmarshal(m["x"], &x) != nil || json.Unmarshal(m["y"], &y) != nil || json.Unmarshal(m["z"], &z) != nil ||
		m["x"] == nil || m["y"] == nil || m["z"] == nil ||
		json.Unmarshal(m["gripper"], &grip) != nil || (grip != "open" && grip != "close") {
		return invalid
	}
	req, _ := protocol.DecodeRequest([]byte(raw))
	s.mu.Lock()
	s.execs = append(s.execs, Exec{Req: req, Raw: raw})
	s.mu.Unlock()
	return protocol.OK("", protocol.MessageCommandReceived)
}

func (s *Server) v1(c *transport.Conn, sess *session, raw string) error {
	req, perr := protocol.DecodeRequest([]byte(raw))
	if perr != nil {
		r := perr.Response(req.ID)
		return c.WriteResponse(&r, ioTimeout)
	}
	var r protocol.Response
	switch {
	case req.Type == protocol.TypeHello:
		if s.token != "" && req.Token != s.token {
			r = protocol.Fail(req.ID, protocol.CodeUnauthorized, "wrong token")
			break
		}
		sess.authed, sess.client = true, req.Client
		r = protocol.OK(req.ID, "hello "+req.Client)
		r.Type = protocol.TypeHello
		r.Server = &protocol.ServerInfo{Protocol: protocol.Version, Name: "fakectl", Arm: "fake", Capabilities: []string{"subscribe", "ttl_ms"}}
	case req.Type == protocol.TypePing:
		r = protocol.OK(req.ID, "pong")
		r.Type = protocol.TypePong
	case !sess.authed:
		r = protocol.Fail(req.ID, protocol.CodeUnauthorized, "send hello with the token first")
	case req.Type == protocol.TypeSubscribe:
		sess.subscribed = true
		r = protocol.OK(req.ID, "Subscribed")
	case Mode(s.mode.Load()) == ModeMute:
		return nil
	case req.Type == protocol.TypeStatus:
		r = protocol.OK(req.ID, "status")
		r.Type = protocol.TypeStatus
		r.State = s.state()
	case Mode(s.mode.Load()) == ModeNotice:
		r = protocol.Response{Status: protocol.StatusError, Message: "controller shutting down", Code: protocol.CodeInternal}
	case req.Type != protocol.TypeStop && s.busy.Add(-1) >= 0:
		r = protocol.Fail(req.ID, protocol.CodeBusy, "another client holds control (ghost): wait until it disconnects")
	default:
		r = s.execute(sess.client, req, raw)
		if Mode(s.mode.Load()) == ModeLoseReplies {
			return nil
		}
	}
	if sess.subscribed && req.Type == protocol.TypeCommand {
		ev := protocol.OK("", "state")
		ev.Type, ev.State = protocol.TypeEvent, s.state()
		if err := c.WriteResponse(&ev, ioTimeout); err != nil {
			return err
		}
	}
	return c.WriteResponse(&r, ioTimeout)
}

// execute runs command/stop/home/reset once per (client, id), replaying the
// first reply for a repeated id.
func (s *Server) execute(client string, req protocol.Request, raw string) protocol.Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := client + "\x00" + string(req.ID)
	if !req.ID.IsZero() {
		if r, ok := s.cache[key]; ok {
			return r
		}
	}
	s.execs = append(s.execs, Exec{Client: client, Req: req, Raw: raw})
	msg := map[protocol.Type]string{protocol.TypeCommand: protocol.MessageCommandReceived,
		protocol.TypeStop: "Stopped", protocol.TypeHome: "Homing", protocol.TypeReset: "Reset"}[req.Type]
	r := protocol.OK(req.ID, msg)
	if !req.ID.IsZero() {
		s.cache[key] = r
	}
	return r
}

func (s *Server) state() *protocol.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &protocol.State{Watchdog: protocol.WatchdogOK, TimeMS: time.Now().UnixMilli()}
	if n := len(s.execs); n > 0 {
		st.LastID = s.execs[n-1].Req.ID
		if g := s.execs[n-1].Req.Gripper; g != nil {
			st.Gripper = float64(*g)
		}
	}
	return st
}
