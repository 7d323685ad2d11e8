package link

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/aether-lab/aether-bridge/pkg/tlsutil"
)

// tlsConfig builds the link's TLS configuration; nil when c.TLS is off.
func (c *Config) tlsConfig() (*tls.Config, error) {
	if !c.TLS {
		return nil, nil
	}
	host, _, _ := net.SplitHostPort(c.Addr)
	cfg, err := tlsutil.ClientConfig(host, c.TLSCAFile, c.TLSFingerprint)
	if err != nil {
		return nil, fmt.Errorf("link: TLS: %w", err)
	}
	return cfg, nil
}

// dial connects to the controller, with the TLS handshake done when tc is
// not nil, within DialTimeout.
func (l *Link) dial(tc *tls.Config) (net.Conn, error) {
	d := net.Dialer{Timeout: l.cfg.DialTimeout}
	if tc == nil {
		return d.DialContext(l.ctx, "tcp", l.cfg.Addr)
	}
	td := tls.Dialer{NetDialer: &d, Config: tc}
	ctx, cancel := context.WithTimeout(l.ctx, l.cfg.DialTimeout)
	defer cancel()
	return td.DialContext(ctx, "tcp", l.cfg.Addr)
}
