package link

import (
	"errors"
	"log/slog"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/fielderr"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
	"github.com/aether-lab/aether-bridge/pkg/tlsutil"
)

// Defaults filled in by Config.withDefaults.
const (
	DefaultDialTimeout       = 2 * time.Second
	DefaultWriteTimeout      = 1 * time.Second
	DefaultAckTimeout        = 500 * time.Millisecond
	DefaultHeartbeatInterval = 200 * time.Millisecond
	DefaultBackoffInitial    = 50 * time.Millisecond
	DefaultBackoffMax        = 2 * time.Second
	DefaultBackoffJitter     = 0.2
	DefaultMaxTargetAge      = 500 * time.Millisecond
	DefaultMaxCommandAge     = time.Second
	DefaultQueueSize         = 64
	DefaultMaxInFlight       = 4
	DefaultBusyGrace         = time.Second
	DefaultClientName        = "aether_bridge"

	// MaxMaxInFlight bounds Config.MaxInFlight.
	MaxMaxInFlight = 64
)

// Config configures a Link. Only Addr is required.
type Config struct {
	// Addr is the controller's "host:port", e.g. "127.0.0.1:5000". Required.
	Addr string
	// DialTimeout bounds one TCP connect. Zero means DefaultDialTimeout (2s).
	DialTimeout time.Duration
	// WriteTimeout bounds writing one line. Zero means DefaultWriteTimeout (1s).
	WriteTimeout time.Duration
	// AckTimeout is how long a request may wait for its reply; past it the
	// connection is dropped and re-established. Also bounds the hello reply.
	// Zero means DefaultAckTimeout (500ms).
	AckTimeout time.Duration
	// HeartbeatInterval: a ping is sent when nothing else was written for
	// this long (v1 mode only). Zero means DefaultHeartbeatInterval (200ms).
	HeartbeatInterval time.Duration
	// BackoffInitial is the wait before the first reconnect attempt; it
	// doubles per failed attempt up to BackoffMax and is reset by a
	// successful hello. Zero means DefaultBackoffInitial (50ms).
	BackoffInitial time.Duration
	// BackoffMax caps the reconnect wait. Zero means DefaultBackoffMax (2s).
	// Must not be below BackoffInitial.
	BackoffMax time.Duration
	// BackoffJitter spreads each wait uniformly by ± this fraction of it,
	// 0..1. Zero means DefaultBackoffJitter (0.2).
	BackoffJitter float64
	// MaxTargetAge: a target older than this (from Target.Created) is
	// dropped, never sent or replayed; in v1 mode it is sent with ttl_ms =
	// the age it has left. Zero means DefaultMaxTargetAge (500ms).
	MaxTargetAge time.Duration
	// MaxCommandAge: a discrete command, home or reset (Send) older than
	// this is dropped, never sent or re-sent; it is sent with ttl_ms = the
	// age it has left, so the controller refuses it too once it is late.
	// Stop and status are exempt. Zero means DefaultMaxCommandAge (1s).
	MaxCommandAge time.Duration
	// QueueSize is the discrete-command FIFO capacity, in commands. Zero
	// means DefaultQueueSize (64).
	QueueSize int
	// MaxInFlight is how many requests may await their reply at once
	// (stop is always sent at once, beyond it). Legacy mode always uses 1.
	// Zero means DefaultMaxInFlight (4); at most MaxMaxInFlight.
	MaxInFlight int
	// BusyGrace: a busy reply (another connection holds the control lease)
	// within this long after hello is taken for our own previous
	// connection, not yet noticed gone by the controller: the request is
	// re-sent with the same id after BackoffInitial instead of failing.
	// Later busy replies are final. Zero means DefaultBusyGrace (1s).
	BusyGrace time.Duration
	// Token is the shared secret sent in hello. Empty sends none.
	Token string
	// TLS connects with TLS (the controller runs with --tls-cert). false
	// means plain TCP.
	TLS bool
	// TLSCAFile is a PEM file of the certificates the controller's must be
	// signed by (its own self-signed certificate file will do); the
	// controller must then be reached by a name or address in it. Empty
	// means the system's roots. Ignored without TLS or when
	// TLSFingerprint is set.
	TLSCAFile string
	// TLSFingerprint pins the controller's certificate: "sha256:" and 64
	// hex digits, as aether_tlscert prints. Any other certificate is
	// refused. Empty means check by TLSCAFile.
	TLSFingerprint string
	// ClientName is the hello client name; the controller's duplicate-id
	// cache is per name. Empty means DefaultClientName ("aether_bridge").
	ClientName string
	// Subscribe asks for pushed state events after hello (v1 mode only).
	Subscribe bool
	// Logger receives the link's logs. Nil means discard.
	Logger *slog.Logger
	// OnResult receives every request's one final Result. Called from one
	// goroutine, never concurrently, in order; the first callbacks may run
	// before New returns. Must not call Close. Nil means ignore.
	OnResult func(Result)
	// OnState receives state changes, on the same goroutine as OnResult. Nil means ignore.
	OnState func(StateChange)
	// OnTelemetry receives the state from pushed events and status replies,
	// on the same goroutine. If it falls behind, only the newest state is
	// kept. Nil means ignore.
	OnTelemetry func(protocol.State)
	// CheckServer, if set, vets the controller's hello reply (nil from a
	// seed-protocol server) before anything else is sent on the connection,
	// e.g. that its arm model is the bridge's. An error closes the
	// connection and becomes the backoff reason; the link keeps redialling,
	// so a controller restarted with the right settings is picked up.
	CheckServer func(*protocol.ServerInfo) error
}

// withDefaults returns c with every zero field set to its default: the only
// place defaults are filled in.
func (c Config) withDefaults() Config {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setDur(&c.DialTimeout, DefaultDialTimeout)
	setDur(&c.WriteTimeout, DefaultWriteTimeout)
	setDur(&c.AckTimeout, DefaultAckTimeout)
	setDur(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	setDur(&c.BackoffInitial, DefaultBackoffInitial)
	setDur(&c.BackoffMax, DefaultBackoffMax)
	setDur(&c.MaxTargetAge, DefaultMaxTargetAge)
	setDur(&c.MaxCommandAge, DefaultMaxCommandAge)
	setDur(&c.BusyGrace, DefaultBusyGrace)
	if c.BackoffJitter == 0 {
		c.BackoffJitter = DefaultBackoffJitter
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.ClientName == "" {
		c.ClientName = DefaultClientName
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every bad field, each a *fielderr.Error naming the field
// and what to use instead (the bridge re-words the fields as its
// parameters). Zero values are valid (they mean the default).
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) { errs = append(errs, fielderr.New(field, format, args...)) }

	if c.Addr == "" {
		bad("Addr", "empty: set it to the controller's host:port, e.g. 127.0.0.1:5000")
	} else if host, port, err := net.SplitHostPort(c.Addr); err != nil {
		bad("Addr", "%q is not host:port (%v): use e.g. 127.0.0.1:5000", c.Addr, err)
	} else if host == "" {
		bad("Addr", "%q has no host: use e.g. 127.0.0.1:%s", c.Addr, port)
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		bad("Addr", "%q: port %q is not a number from 1 to 65535", c.Addr, port)
	}

	for _, d := range []struct {
		name string
		v    time.Duration
		def  time.Duration
	}{
		{"DialTimeout", c.DialTimeout, DefaultDialTimeout},
		{"WriteTimeout", c.WriteTimeout, DefaultWriteTimeout},
		{"AckTimeout", c.AckTimeout, DefaultAckTimeout},
		{"HeartbeatInterval", c.HeartbeatInterval, DefaultHeartbeatInterval},
		{"BackoffInitial", c.BackoffInitial, DefaultBackoffInitial},
		{"BackoffMax", c.BackoffMax, DefaultBackoffMax},
		{"MaxTargetAge", c.MaxTargetAge, DefaultMaxTargetAge},
		{"MaxCommandAge", c.MaxCommandAge, DefaultMaxCommandAge},
		{"BusyGrace", c.BusyGrace, DefaultBusyGrace},
	} {
		if d.v < 0 {
			bad(d.name, "%v: use a positive duration, or 0 for the default %v", d.v, d.def)
		}
	}
	if math.IsNaN(c.BackoffJitter) || c.BackoffJitter < 0 || c.BackoffJitter > 1 {
		bad("BackoffJitter", "%v: use a fraction from 0 to 1 (0 means the default %v)", c.BackoffJitter, DefaultBackoffJitter)
	}
	if c.QueueSize < 0 {
		bad("QueueSize", "%d: use a positive number of commands, or 0 for the default %d", c.QueueSize, DefaultQueueSize)
	}
	if c.MaxInFlight < 0 || c.MaxInFlight > MaxMaxInFlight {
		bad("MaxInFlight", "%d: use 1 to %d requests, or 0 for the default %d", c.MaxInFlight, MaxMaxInFlight, DefaultMaxInFlight)
	}
	if c.TLSFingerprint != "" {
		if _, err := tlsutil.ParseFingerprint(c.TLSFingerprint); err != nil {
			bad("TLSFingerprint", "%v", err)
		}
	}
	if d := c.withDefaults(); c.BackoffInitial >= 0 && c.BackoffMax >= 0 && d.BackoffMax < d.BackoffInitial {
		bad("BackoffMax", "%v is below the first reconnect wait (%v): raise the longest wait or lower the first", d.BackoffMax, d.BackoffInitial)
	}
	return errors.Join(errs...)
}

// hello returns the hello request for this configuration;
// resume asks the controller to give back the control lease this client
// held on its previous connection.
func (c *Config) hello(id protocol.ID, resume bool) protocol.Request {
	v := protocol.Version
	return protocol.Request{Type: protocol.TypeHello, ID: id, Version: &v, Client: c.ClientName, Role: protocol.RoleControl, Token: c.Token, Resume: resume}
}
