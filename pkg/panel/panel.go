// Package panel serves the browser control panel of aether_controller: one
// page (embedded, nothing from a CDN) and a WebSocket at /ws that speaks
// the controller's wire protocol, one line per text message
// (docs/protocol.md §13).
//
// The page is a client like any other: each WebSocket is handed to the
// controller as a stream connection (controller.Server.ServeConn), so it
// goes through the same authentication, control lease, validation and
// watchdog as a TCP client.
package panel

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/aether-lab/aether-bridge/internal/ratelog"
	"github.com/aether-lab/aether-bridge/pkg/clock"
	"github.com/aether-lab/aether-bridge/pkg/fielderr"
)

// Defaults filled in by Config.withDefaults, the only place they live.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultWriteTimeout      = 10 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	// shutdownTimeout bounds waiting for page and asset requests in flight
	// at Close.
	shutdownTimeout = 2 * time.Second
	// refusedLogInterval: a refused source is logged once per interval,
	// then summarised, so a hostile page cannot flood the log.
	refusedLogInterval = time.Minute
)

// Config tunes a Panel. The zero value is usable: every zero field takes
// its default.
type Config struct {
	// AllowedHosts lists the host names, beyond loopback names and
	// addresses and the address a request arrives on, that the panel
	// answers to ("pi.lab" for any port, "pi.lab:8080" for one port).
	// Requests whose Host is none of these get 403, which stops DNS
	// rebinding. Nil means loopback and the arrival address only.
	AllowedHosts []string
	// OriginPatterns lists other origins allowed to open the WebSocket,
	// as host patterns in path.Match syntax ("tablet.lab:8080",
	// "*.lab.example"); the page's own origin is always allowed. Nil means
	// same-origin only, which is all the page needs. "*" is refused: any
	// web page the operator opens could then drive the arm.
	OriginPatterns []string
	// ReadHeaderTimeout bounds reading one HTTP request's headers. 0 means
	// DefaultReadHeaderTimeout (5 s).
	ReadHeaderTimeout time.Duration
	// WriteTimeout bounds writing one HTTP response (the page, an asset).
	// WebSockets are not bound by it: each of their lines has the
	// controller's own deadlines. 0 means DefaultWriteTimeout (10 s).
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive HTTP connection idle this long.
	// 0 means DefaultIdleTimeout (60 s).
	IdleTimeout time.Duration
	// Logger receives the panel's logs. nil means slog.Default().
	Logger *slog.Logger
}

// withDefaults returns c with every zero field that has a default filled in.
func (c Config) withDefaults() Config {
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports every bad field of c, each a *fielderr.Error naming the
// field (aether_controller re-words AllowedHosts as --http-allow-host).
func (c Config) Validate() error {
	var errs []error
	for i, p := range c.OriginPatterns {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			errs = append(errs, fielderr.New("OriginPatterns", "entry %d: %q is not a host pattern; use e.g. \"tablet.lab:8080\" or \"*.lab.example\"", i, p))
		} else if strings.Trim(p, "*") == "" {
			errs = append(errs, fielderr.New("OriginPatterns", "entry %d: %q allows every origin, so any web page the operator opens could drive the arm; list the origins instead", i, p))
		}
	}
	for _, h := range c.AllowedHosts {
		if name, _ := splitHost(h); name == "" || strings.ContainsAny(h, "/*? ") {
			errs = append(errs, fielderr.New("AllowedHosts", "%q is not a host name; use e.g. \"pi.lab\" or \"pi.lab:8080\"", h))
		}
	}
	for _, d := range []struct {
		name     string
		v, deflt time.Duration
	}{
		{"ReadHeaderTimeout", c.ReadHeaderTimeout, DefaultReadHeaderTimeout},
		{"WriteTimeout", c.WriteTimeout, DefaultWriteTimeout},
		{"IdleTimeout", c.IdleTimeout, DefaultIdleTimeout},
	} {
		if d.v < 0 {
			errs = append(errs, fielderr.New(d.name, "%v is negative (0 means %v)", d.v, d.deflt))
		}
	}
	return errors.Join(errs...)
}

// Conns serves protocol connections; *controller.Server implements it.
type Conns interface {
	// ServeConn serves conn until it ends or ctx ends, then closes it.
	ServeConn(ctx context.Context, conn net.Conn) error
}

//go:embed static
var static embed.FS

// Panel serves the control panel. It is an http.Handler; Serve runs it on
// a listener. Always call Close: it ends the WebSocket sessions and waits
// for them.
type Panel struct {
	cfg    Config
	conns  Conns
	log    *slog.Logger
	assets http.Handler

	refused *ratelog.Limiter // one log line per refused source per minute

	ctx    context.Context // WebSocket sessions run under it
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	servers map[*http.Server]struct{}
	wg      sync.WaitGroup // WebSocket sessions

	closeOnce sync.Once
}

// New returns a Panel whose WebSockets are served by conns.
func New(cfg Config, conns Conns) (*Panel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("panel: config: %w", err)
	}
	if conns == nil {
		return nil, errors.New("panel: conns is nil; pass the controller.Server that serves the protocol")
	}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, fmt.Errorf("panel: embedded assets: %w", err)
	}
	cfg = cfg.withDefaults()
	p := &Panel{
		cfg:     cfg,
		conns:   conns,
		log:     cfg.Logger,
		assets:  http.StripPrefix("/static/", http.FileServerFS(sub)),
		servers: make(map[*http.Server]struct{}),
		refused: ratelog.New(cfg.Logger, slog.LevelWarn, refusedLogInterval, clock.Real()),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// contentSecurity keeps the page to its own origin: no inline script, no
// framing (a framed STOP button could be hidden), no other hosts.
const contentSecurity = "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// ServeHTTP serves the page at /, its assets under /static/ and the
// protocol WebSocket at /ws.
func (p *Panel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurity)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "the panel only serves GET requests", http.StatusMethodNotAllowed)
		return
	}
	if why := p.checkRequest(r); why != "" {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		p.refused.Log(host+"|"+r.Host, "panel request refused", "remote", r.RemoteAddr, "path", r.URL.Path, "why", why)
		http.Error(w, "forbidden: "+why, http.StatusForbidden)
		return
	}
	switch {
	case r.URL.Path == "/ws":
		p.serveWS(w, r)
	case r.URL.Path == "/" || r.URL.Path == "/index.html":
		http.ServeFileFS(w, r, static, "static/index.html")
	case strings.HasPrefix(r.URL.Path, "/static/") && r.URL.Path != "/static/index.html":
		p.assets.ServeHTTP(w, r)
	default:
		http.Error(w, "not found: the panel is at /", http.StatusNotFound)
	}
}

// serveWS upgrades to a WebSocket and hands it to the controller.
func (p *Panel) serveWS(w http.ResponseWriter, r *http.Request) {
	if !p.begin() {
		http.Error(w, "the panel is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer p.wg.Done()
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: p.cfg.OriginPatterns})
	if err != nil {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		p.refused.Log(host+"|ws", "WebSocket refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return // Accept has written the HTTP error
	}
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	if err := p.conns.ServeConn(ctx, newConn(ctx, ws)); err != nil {
		p.log.Warn("WebSocket not served", "remote", r.RemoteAddr, "err", err)
	}
}

// begin counts a WebSocket session unless the panel is closed.
func (p *Panel) begin() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	return true
}

// Serve serves HTTP on ln until ctx ends or Close is called; when ctx ends
// it calls Close itself. It returns nil after a shutdown, or the error
// that stopped serving. ln is closed on return.
func (p *Panel) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: p.cfg.ReadHeaderTimeout,
		ReadTimeout:       p.cfg.ReadHeaderTimeout,
		WriteTimeout:      p.cfg.WriteTimeout,
		IdleTimeout:       p.cfg.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(serverErrors{p.refused}, "", 0),
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		ln.Close()
		return nil
	}
	p.servers[hs] = struct{}{}
	p.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { p.Close() })
	defer stop()
	err := hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	p.mu.Lock()
	delete(p.servers, hs)
	p.mu.Unlock()
	return fmt.Errorf("panel: serve on %s: %w", ln.Addr(), err)
}

// Close stops the HTTP servers Serve runs, ends every WebSocket session
// (the controller keeps running) and waits for them. Close the controller
// first when shutting down, so that WebSocket clients get its shutdown
// line. It is safe to call more than once and from several goroutines.
func (p *Panel) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		servers := make([]*http.Server, 0, len(p.servers))
		for hs := range p.servers {
			servers = append(servers, hs)
		}
		p.mu.Unlock()

		p.cancel() // ends the WebSocket sessions
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		for _, hs := range servers {
			if err := hs.Shutdown(ctx); err != nil {
				hs.Close()
			}
		}
		p.wg.Wait()
		p.refused.Close()
	})
	return nil
}
