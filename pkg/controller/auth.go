package controller

import (
	"net"
	"sync"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// Failed-hello limits per source address (docs/protocol.md §14). A source
// is an IPv4 address or an IPv6 /64.
const (
	// FreeHelloFailures is how many failed hellos in a row a source may
	// make before it has to wait.
	FreeHelloFailures = 3
	// FirstHelloLockout is the wait after the FreeHelloFailures-th failure;
	// it doubles with every further failure up to MaxHelloLockout.
	FirstHelloLockout = time.Second
	// MaxHelloLockout caps the wait between guesses.
	MaxHelloLockout = time.Minute
	// ForgetHelloFailures: a source that has not failed for this long
	// starts again from zero, as after a successful hello.
	ForgetHelloFailures = 10 * time.Minute
	// QuietLogInterval: events from unauthenticated peers (failed hellos,
	// evictions, late hellos) are logged once per source and kind per
	// interval, then summarised with their count.
	QuietLogInterval = time.Minute
	// maxGuardSources bounds the failure table; past it new sources share
	// one entry (and so one lockout).
	maxGuardSources = 4096
)

// helloGuard counts failed hellos per source and says how long a source
// must wait before its next hello is even compared with the token.
type helloGuard struct {
	mu      sync.Mutex
	sources map[string]*failures
}

type failures struct {
	n     int       // failed hellos in a row
	last  time.Time // the last failure
	until time.Time // no hello is compared before this
}

func newHelloGuard() *helloGuard { return &helloGuard{sources: make(map[string]*failures)} }

// lockout is the wait imposed after the n-th failure in a row.
func lockout(n int) time.Duration {
	if n < FreeHelloFailures {
		return 0
	}
	d := FirstHelloLockout
	for i := FreeHelloFailures; i < n && d < MaxHelloLockout; i++ {
		d *= 2
	}
	return min(d, MaxHelloLockout)
}

// wait returns how long src must still wait before a hello is compared.
func (g *helloGuard) wait(src string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f := g.sources[g.key(src)]; f != nil && now.Before(f.until) {
		return f.until.Sub(now)
	}
	return 0
}

// failed records a failed hello from src and returns the wait it imposes.
func (g *helloGuard) failed(src string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := g.key(src)
	f := g.sources[key]
	if f == nil {
		if len(g.sources) >= maxGuardSources {
			g.prune(now)
		}
		if len(g.sources) >= maxGuardSources {
			key = "*"
		}
		if f = g.sources[key]; f == nil {
			f = &failures{}
			g.sources[key] = f
		}
	}
	if now.Sub(f.last) >= ForgetHelloFailures {
		f.n = 0
	}
	f.n++
	f.last = now
	d := lockout(f.n)
	f.until = now.Add(d)
	return d
}

// succeeded forgets src's failures.
func (g *helloGuard) succeeded(src string) {
	g.mu.Lock()
	delete(g.sources, g.key(src))
	g.mu.Unlock()
}

// key returns src's entry, or the shared overflow entry when src has none
// and the table is full. Called with g.mu held.
func (g *helloGuard) key(src string) string {
	if _, ok := g.sources[src]; !ok && len(g.sources) >= maxGuardSources {
		if _, ok := g.sources["*"]; ok {
			return "*"
		}
	}
	return src
}

// prune forgets sources that are neither locked out nor recent. Called
// with g.mu held.
func (g *helloGuard) prune(now time.Time) {
	for k, f := range g.sources {
		if !now.Before(f.until) && now.Sub(f.last) >= ForgetHelloFailures {
			delete(g.sources, k)
		}
	}
}

// sourceOf returns the rate-limit source of a remote address: the IPv4
// address, or the /64 of an IPv6 one (one host usually owns a whole /64).
func sourceOf(addr net.Addr) string {
	var ip net.IP
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip = a.IP
	default:
		host, _, err := net.SplitHostPort(addr.String())
		if err != nil {
			return addr.String()
		}
		ip = net.ParseIP(host)
		if ip == nil {
			return host
		}
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// slot is what a session counts towards; guarded by Server.mu.
type slot int

const (
	slotNone    slot = iota // evicted or finished
	slotPending             // waiting to authenticate (token set)
	slotAuthed              // counts towards MaxClients
)

// Messages of the authentication refusals.
const (
	msgWrongToken = "wrong or missing token: send the controller's token in hello; closing the connection"
	msgLockedOut  = "too many failed hellos from %s: wait %s before the next try; closing the connection"
	msgHelloLate  = "no hello with the token within %s of connecting: send hello first; closing the connection"
	msgEvicted    = "too many connections are waiting to authenticate and this one waited longest: send hello with the token right after connecting; closing the connection"
)

// admitPending registers c as waiting to authenticate, evicting the
// connection that has waited longest when MaxUnauthenticated are waiting.
// Called with s.mu held.
func (s *Server) admitPending(c *session) {
	if len(s.pending) >= s.cfg.MaxUnauthenticated {
		victim := s.pending[0]
		s.pending = s.pending[1:]
		victim.slot = slotNone
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			victim.evict()
		}()
	}
	c.slot = slotPending
	s.pending = append(s.pending, c)
}

// promote counts c as authenticated in the given role, or says the
// authenticated slots are full. Monitors may take all but one of the
// MaxClients slots, so a control client always finds one.
func (s *Server) promote(c *session, role protocol.Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch c.slot {
	case slotAuthed:
		return nil // a second hello
	case slotNone:
		return ErrClosed // evicted meanwhile: the session is ending
	}
	limit := s.cfg.MaxClients
	if role == protocol.RoleMonitor && limit > 1 {
		limit--
	}
	if s.authed >= limit {
		return ErrTooManyClients
	}
	s.dropPending(c)
	c.slot = slotAuthed
	s.authed++
	return nil
}

// release frees c's slot. Called with s.mu held.
func (s *Server) release(c *session) {
	switch c.slot {
	case slotPending:
		s.dropPending(c)
	case slotAuthed:
		s.authed--
	}
	c.slot = slotNone
}

// dropPending removes c from the waiting list. Called with s.mu held.
func (s *Server) dropPending(c *session) {
	for i, p := range s.pending {
		if p == c {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			return
		}
	}
}

// evict tells a connection waiting to authenticate that it lost its place
// and closes it. Its reader then ends quietly.
func (c *session) evict() {
	c.s.quiet.Log(c.src+"|evicted", "a connection waiting to authenticate was closed to make room", "remote_ip", c.src,
		"max_unauthenticated", c.s.cfg.MaxUnauthenticated)
	c.evicted.Store(true)
	// The deadline also ends a TLS handshake the reader may be waiting
	// in, which would otherwise hold up this write until the hello
	// deadline.
	c.conn.SetDeadline(time.Now().Add(evictWriteTimeout))
	resp := protocol.Fail("", protocol.CodeBusy, msgEvicted)
	c.tc.WriteResponse(&resp, evictWriteTimeout)
	c.cancel()
	c.tc.Close()
}

// evictWriteTimeout bounds telling an evicted connection why.
const evictWriteTimeout = 100 * time.Millisecond

// checkToken applies the failed-hello limits to a hello carrying token;
// false (after the error line) ends the session.
func (c *session) checkToken(req *protocol.Request, now time.Time) bool {
	g := c.s.guard
	if wait := g.wait(c.src, now); wait > 0 {
		wait = (wait + time.Second - 1).Truncate(time.Second) // whole seconds, rounded up
		c.s.quiet.Log(c.src+"|auth", "hello refused: too many failed hellos from this address", "remote_ip", c.src, "wait", wait)
		c.reply(protocol.Fail(req.ID, protocol.CodeUnauthorized, msgLockedOut, c.src, wait))
		c.closeQuietly()
		return false
	}
	if !tokenMatches(req.Token, c.s.cfg.Token) {
		// A hello without a token guesses nothing (a client finding out it
		// needs one, like the panel's first hello): refused, not counted.
		var wait time.Duration
		if req.Token != "" {
			wait = g.failed(c.src, now)
		}
		c.s.quiet.Log(c.src+"|auth", "hello with a wrong or missing token", "remote_ip", c.src, "client", req.Client, "next_try_in", wait)
		c.reply(protocol.Fail(req.ID, protocol.CodeUnauthorized, msgWrongToken))
		c.closeQuietly()
		return false
	}
	g.succeeded(c.src)
	return true
}

// closeQuietly makes the writer close the connection after the lines
// queued so far, without a log line of its own.
func (c *session) closeQuietly() { c.enqueue(outItem{closeAfter: true}) }
