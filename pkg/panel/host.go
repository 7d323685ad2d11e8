package panel

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/aether-lab/aether-bridge/internal/ratelog"
)

// checkRequest says why r may not be served ("" when it may): its Host
// must name this machine (a loopback name or address, the address the
// request arrived on, or an allowed host), and its Origin, when it has
// one, must be the panel's own or an allowed pattern. The Host check stops
// DNS rebinding: a page from evil.example whose name is re-pointed at
// 127.0.0.1 sends Host evil.example and a matching Origin, which a
// same-origin check alone would accept.
func (p *Panel) checkRequest(r *http.Request) string {
	if !p.hostAllowed(r) {
		return fmt.Sprintf("host %q is not this machine's name: open the panel at http://127.0.0.1:PORT/ or at the controller's address, or allow the name with --http-allow-host", r.Host)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return "" // not a browser, or a same-origin GET
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("origin %.100q is not a web page's origin", origin)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return ""
	}
	for _, pat := range p.cfg.OriginPatterns {
		if ok, _ := path.Match(strings.ToLower(pat), strings.ToLower(u.Host)); ok {
			return ""
		}
	}
	return fmt.Sprintf("origin %.100q is not the panel's own (%s): only the panel's page may drive the arm", origin, r.Host)
}

// hostAllowed reports whether r's Host names this machine.
func (p *Panel) hostAllowed(r *http.Request) bool {
	name, port := splitHost(r.Host)
	if name == "" {
		return false
	}
	if name == "localhost" {
		return true
	}
	if ip := net.ParseIP(name); ip != nil {
		if ip.IsLoopback() {
			return true
		}
		// The address the request arrived on: an IP literal cannot be
		// re-pointed by DNS, and only this machine serves it.
		if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			if ta, ok := la.(*net.TCPAddr); ok && ta.IP.Equal(ip) {
				return true
			}
		}
	}
	for _, allowed := range p.cfg.AllowedHosts {
		aname, aport := splitHost(allowed)
		if aname == name && (aport == "" || aport == port) {
			return true
		}
	}
	return false
}

// splitHost returns the lower-case host name (without a trailing dot or
// IPv6 brackets) and port of a Host header or an AllowedHosts entry.
func splitHost(hostport string) (name, port string) {
	name = hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		name, port = h, p
	}
	name = strings.TrimSuffix(strings.Trim(name, "[]"), ".")
	return strings.ToLower(name), port
}

// serverErrors takes net/http's own error lines (a failed TLS handshake,
// a broken request) and logs them through the refusal limiter, one line
// per peer address per interval, so a peer that keeps failing cannot
// flood the log.
type serverErrors struct{ lim *ratelog.Limiter }

// Write logs one of net/http's error lines.
func (e serverErrors) Write(b []byte) (int, error) {
	msg := strings.TrimSpace(string(b))
	key := "http|" + msg[:min(len(msg), 40)]
	if _, rest, ok := strings.Cut(msg, " from "); ok {
		addr, _, _ := strings.Cut(rest, ": ")
		if host, _, err := net.SplitHostPort(addr); err == nil {
			key = "http|" + host
		}
	}
	e.lim.Log(key, "panel connection failed", "err", msg)
	return len(b), nil
}
