// Command aether_controller runs on the Raspberry Pi next to the arm: it
// serves the Aether wire protocol (docs/protocol.md) on TCP and drives the
// servos. Run with --help for the flags.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/controller"
	"github.com/aether-lab/aether-bridge/pkg/fielderr"
	"github.com/aether-lab/aether-bridge/pkg/panel"
	"github.com/aether-lab/aether-bridge/pkg/servo"
	"github.com/aether-lab/aether-bridge/pkg/servo/bus"
	"github.com/aether-lab/aether-bridge/pkg/servo/dynamixel"
	"github.com/aether-lab/aether-bridge/pkg/servo/feetech"
	"github.com/aether-lab/aether-bridge/pkg/servo/pca9685"
	"github.com/aether-lab/aether-bridge/pkg/servo/serial"
	"github.com/aether-lab/aether-bridge/pkg/servo/sim"
	"github.com/aether-lab/aether-bridge/pkg/tlsutil"
	"github.com/aether-lab/aether-bridge/pkg/tokenfile"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "aether_controller: %v\n", err)
		os.Exit(1)
	}
}

// options are the parsed command-line flags.
type options struct {
	listen       string
	listenSet    bool // --listen was given on the command line
	http         string
	armFile      string
	leRobotCal   string
	backend      string
	i2cBus       string
	i2cAddr      i2cAddr
	serialPort   string
	serialBaud   int
	watchdog     time.Duration
	parkAfter    time.Duration
	releaseAfter time.Duration
	maxClients   int
	tokenFile    string
	maxLine      int
	maxLineRate  int
	maxPulseStep int
	verbose      bool
	allowHosts   hostList
	insecure     bool
	tlsCert      string
	tlsKey       string
	tls          *tls.Config // loaded from tlsCert and tlsKey; nil = plain TCP
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("aether_controller", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: aether_controller [flags]
       aether_controller urdf [--arm FILE]   (print the robot model; see urdf --help)

Serves the Aether wire protocol v1 (newline-delimited JSON over TCP, see
docs/protocol.md) and drives the arm's servos. SIGINT/SIGTERM halt the arm,
tell every client, close the connections, release the servos and exit 0.

Socket activation (systemd, sd_listen_fds): with LISTEN_FDS=1 in the
environment the controller serves the TCP socket on fd 3 instead of
--listen (a bound socket not yet listening is made to listen). LISTEN_PID,
when set, must be the controller's pid, or the variables are ignored as
meant for another process; unset, the socket is used. So a service manager
or a test can hold the port across controller restarts.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.listen, "listen", ":5000", "TCP `address` to listen on, host:port (\":5000\" = every interface; use 127.0.0.1:5000 for local only); not used when a socket is passed in (LISTEN_FDS, below)")
	fs.StringVar(&o.http, "http", "", "serve the browser control panel (page and WebSocket) on this `address`, host:port, e.g. 127.0.0.1:8080; the same token as TCP applies; empty = off")
	fs.Var(&o.allowHosts, "http-allow-host", "also serve the panel to browsers that reach it by this host `name` (e.g. pi.lab or pi.lab:8080; repeat for more); loopback names and addresses and the address it listens on always work")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve TLS (and the panel as https/wss) with this certificate `file` (PEM; make one with aether_tlscert or make tls-cert); empty = plain TCP")
	fs.StringVar(&o.tlsKey, "tls-key", "", "private key `file` (PEM) of --tls-cert")
	fs.BoolVar(&o.insecure, "insecure-no-token", false, "allow --http on a non-loopback address without --token-file: anyone on the network who can open the page can move the arm")
	fs.StringVar(&o.armFile, "arm", "", "arm `file` (YAML: kinematics, servos, motion; see config/arm.yaml); empty = the built-in arm")
	fs.StringVar(&o.leRobotCal, "lerobot-calibration", "", "LeRobot calibration `file` (JSON from lerobot-calibrate) replacing the bus-servo calibrations of --arm (e.g. config/so101.yaml); empty = the arm file's")
	fs.StringVar(&o.backend, "backend", "sim", "servo `backend`: sim (virtual servos, no hardware), pca9685 (I²C PWM board), serial (Pololu Maestro), feetech (STS bus servos, e.g. SO-101) or dynamixel (Protocol 2.0 bus servos)")
	fs.StringVar(&o.i2cBus, "i2c-bus", "", "I²C `bus` for pca9685, e.g. 1 or /dev/i2c-1; empty = the first bus")
	o.i2cAddr = i2cAddr(pca9685.DefaultAddr)
	fs.Var(&o.i2cAddr, "i2c-addr", "I²C `address` of the pca9685 board, 7-bit, hex (0x40) or decimal")
	fs.StringVar(&o.serialPort, "serial-port", "/dev/ttyACM0", "serial `device` of the Maestro (--backend serial) or of the bus adapter (feetech, dynamixel; e.g. /dev/ttyUSB0)")
	fs.IntVar(&o.serialBaud, "serial-baud", 0, fmt.Sprintf("serial line speed in `baud` (bit/s); 0 = %d for serial (the Maestro's USB command port ignores it), %d for feetech and dynamixel", serial.DefaultBaud, bus.DefaultBaud))
	durationVar(fs, &o.watchdog, "watchdog", controller.DefaultWatchdog, "hold the arm when the control client sends nothing for this `duration` (at least 50ms)")
	durationVar(fs, &o.parkAfter, "park-after", controller.DefaultParkAfter, "after holding this `duration`, move slowly to the park pose")
	durationVar(fs, &o.releaseAfter, "release-after", controller.DefaultReleaseAfter, "after being parked this `duration`, switch the servo pulses off (servos go limp)")
	fs.IntVar(&o.maxClients, "max-clients", controller.DefaultMaxClients, "most `connections` served at once; one more gets a busy error and is closed")
	fs.StringVar(&o.tokenFile, "token-file", "", "`file` holding the shared token clients must send in hello (one line; surrounding white space is ignored); empty = no authentication")
	fs.IntVar(&o.maxLine, "max-line", controller.DefaultMaxLine, "longest request line in `bytes`; longer lines get line_too_long")
	fs.IntVar(&o.maxLineRate, "max-line-rate", controller.DefaultMaxLineRate, "most `lines` per second one connection may send before it is closed as a flood (invalid lines: at most 20/s)")
	fs.IntVar(&o.maxPulseStep, "max-pulse-step", controller.DefaultMaxPulseStepUS, "most `µs` one servo calibration request (docs/protocol.md §12) may change a servo's pulse width")
	fs.BoolVar(&o.verbose, "v", false, "log every line received and sent (tokens are never logged)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	fs.Visit(func(f *flag.Flag) { o.listenSet = o.listenSet || f.Name == "listen" })
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: all settings are flags, see --help", fs.Arg(0))
	}
	if err := checkHostPort("listen", o.listen); err != nil {
		return o, err
	}
	if o.http != "" {
		if err := checkHostPort("http", o.http); err != nil {
			return o, err
		}
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "urdf" {
		return runURDF(args[1:], stdout, stderr)
	}
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C during shutdown kills the process

	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	// Every file and setting is checked before the servos are opened.
	arm, err := loadArm(o)
	if err != nil {
		return err
	}
	token, err := readToken(o.tokenFile)
	if err != nil {
		return err
	}
	if o.tls, err = loadTLS(o.tlsCert, o.tlsKey); err != nil {
		return err
	}
	cfg, err := controllerConfig(o, token, log)
	if err != nil {
		return err
	}
	ln, err := controlListener(o, log)
	if err != nil {
		return err
	}
	defer ln.Close()
	backend, err := openBackend(o, arm)
	if err != nil {
		return err
	}
	defer backend.Close()
	srv, err := controller.New(cfg, arm, backend)
	if err != nil {
		return err
	}
	defer srv.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The panel stops after the controller, so its WebSockets get the
	// shutdown line like TCP clients.
	panelCtx, stopPanel := context.WithCancel(context.Background())
	defer stopPanel()
	panelDone, err := startPanel(panelCtx, cancel, o, token != "", srv, log, stdout)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	fmt.Fprintf(stdout, "listening on %s\n", addr)
	log.Info("listening on "+addr, "arm", arm.Name, "backend", o.backend, "auth", token != "", "tls", o.tls != nil)
	serveErr := srv.Serve(ctx, ln)
	stopPanel()
	panelErr := <-panelDone
	if serveErr != nil {
		return serveErr
	}
	if panelErr != nil {
		return panelErr
	}
	return srv.Close()
}

// controllerConfig is the controller's configuration from the flags,
// checked, its errors naming the flags.
func controllerConfig(o options, token string, log *slog.Logger) (controller.Config, error) {
	cfg := controller.Config{
		MaxClients:     o.maxClients,
		Token:          token,
		MaxLine:        o.maxLine,
		MaxLineRate:    o.maxLineRate,
		MaxPulseStepUS: o.maxPulseStep,
		Watchdog:       o.watchdog,
		ParkAfter:      o.parkAfter,
		ReleaseAfter:   o.releaseAfter,
		Verbose:        o.verbose,
		Logger:         log,
	}
	return cfg, fielderr.Rename(cfg.Validate(), flagOfField)
}

// loadArm reads --arm (the built-in arm without it) and applies
// --lerobot-calibration.
func loadArm(o options) (armfile.Arm, error) {
	arm := armfile.Default()
	if o.armFile != "" {
		var err error
		if arm, err = armfile.Load(o.armFile); err != nil {
			return arm, err
		}
	}
	if o.leRobotCal == "" {
		return arm, nil
	}
	arm, err := armfile.LoadLeRobot(o.leRobotCal, arm)
	if err != nil {
		return arm, fmt.Errorf("--lerobot-calibration: %w", err)
	}
	return arm, nil
}

// startPanel serves the browser control panel on o.http, unless it is "",
// until ctx ends. The returned channel yields Serve's result once it has
// stopped; a panel that fails calls stopController, so the controller shuts
// down too.
func startPanel(ctx context.Context, stopController context.CancelFunc, o options, authed bool, srv *controller.Server, log *slog.Logger, stdout io.Writer) (<-chan error, error) {
	done := make(chan error, 1)
	if o.http == "" {
		done <- nil
		return done, nil
	}
	cfg := panel.Config{AllowedHosts: o.allowHosts, Logger: log.With("component", "panel")}
	if err := fielderr.Rename(cfg.Validate(), map[string]string{"AllowedHosts": "--http-allow-host"}); err != nil {
		return nil, err
	}
	p, err := panel.New(cfg, srv)
	if err != nil {
		return nil, err
	}
	hln, err := listen("tcp", o.http, o.tls)
	if err != nil {
		return nil, fmt.Errorf("--http %s: %w: %s", o.http, err, listenHint("http", err))
	}
	if ta, ok := hln.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() && !authed {
		if !o.insecure {
			hln.Close()
			return nil, fmt.Errorf("--http %s serves the control panel to the network without a token: anyone who can open the page could move the arm; set --token-file, use --http 127.0.0.1:PORT, or add --insecure-no-token on a network you trust", o.http)
		}
		log.Warn("serving the control panel on a non-loopback address without a token (--insecure-no-token): anyone who can open the page can move the arm",
			"addr", hln.Addr().String())
	}
	scheme := "http"
	if o.tls != nil {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "panel on %s://%s/\n", scheme, hln.Addr())
	log.Info("control panel on " + scheme + "://" + hln.Addr().String() + "/")
	go func() {
		err := p.Serve(ctx, hln)
		if err != nil {
			log.Error("control panel stopped", "err", err)
			stopController()
		}
		p.Close()
		done <- err
	}()
	return done, nil
}

// loadTLS loads --tls-cert and --tls-key; nil when neither is given.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("--tls-cert and --tls-key go together: give both (aether_tlscert makes a pair)")
	}
	cfg, err := tlsutil.ServerConfig(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s --tls-key %s: %w (make a matching pair with aether_tlscert or make tls-cert)", certFile, keyFile, err)
	}
	return cfg, nil
}

// controlListener is the socket the wire protocol is served on: the one a
// service manager passed (LISTEN_FDS, see activatedListener), else --listen.
func controlListener(o options, log *slog.Logger) (net.Listener, error) {
	ln, ignored, err := activatedListener(os.Getpid())
	if err != nil {
		return nil, err
	}
	if ignored != "" {
		log.Warn(ignored + ": not using it; listening on --listen " + o.listen)
	}
	if ln == nil {
		ln, err = listen("tcp", o.listen, o.tls)
		if err != nil {
			return nil, fmt.Errorf("--listen %s: %w: %s", o.listen, err, listenHint("listen", err))
		}
		return ln, nil
	}
	if o.listenSet {
		log.Info("serving the socket passed in LISTEN_FDS; --listen is not used", "listen", o.listen)
	}
	if o.tls != nil {
		ln = tls.NewListener(ln, o.tls)
	}
	return ln, nil
}

// listen listens on addr, with TLS when cfg is not nil.
func listen(network, addr string, cfg *tls.Config) (net.Listener, error) {
	ln, err := net.Listen(network, addr)
	if err != nil || cfg == nil {
		return ln, err
	}
	return tls.NewListener(ln, cfg), nil
}

// hostList is a repeatable flag of host names.
type hostList []string

// String lists the hosts as given.
func (h *hostList) String() string { return strings.Join(*h, ",") }

// Set adds one --http-allow-host value.
func (h *hostList) Set(s string) error {
	if strings.Trim(s, ".:[]") == "" || strings.ContainsAny(s, "/*? ") {
		return fmt.Errorf("%q is not a host name: use the name the browser shows, e.g. pi.lab or pi.lab:8080", s)
	}
	*h = append(*h, s)
	return nil
}

// readToken returns the token in path (pkg/tokenfile: the same reader as
// the bridge's token_file), or "" when path is empty.
func readToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	token, err := tokenfile.Read(path)
	if errors.Is(err, tokenfile.ErrEmpty) {
		return "", fmt.Errorf("--token-file: %w: put the shared token in it, or leave --token-file out for no authentication", err)
	}
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	return token, nil
}

// openBackend opens the servos chosen by --backend.
func openBackend(o options, arm armfile.Arm) (servo.Backend, error) {
	switch o.backend {
	case "sim":
		park, _ := arm.ParkPose()
		start, err := arm.Kinematics.ToExternal(park)
		if err != nil {
			return nil, err
		}
		return sim.New(sim.Config{Calibrations: arm.Servos, StartJoints: start}, nil)
	case "pca9685":
		b, err := pca9685.Open(o.i2cBus, uint16(o.i2cAddr), arm.Servos, 0)
		if err != nil && o.i2cBus != "" {
			return nil, fmt.Errorf("--backend pca9685 --i2c-bus %s: %w", o.i2cBus, err)
		}
		if err != nil {
			return nil, fmt.Errorf("--backend pca9685: %w", err)
		}
		return b, nil
	case "serial":
		return serial.Open(serial.Config{Device: o.serialPort, Baud: o.serialBaud}, arm.Servos)
	case "feetech", "dynamixel":
		var fam bus.Family = feetech.Family{}
		if o.backend == "dynamixel" {
			fam = dynamixel.Family{}
		}
		if !arm.Servos.IsBus() {
			return nil, fmt.Errorf("--backend %s drives bus servos, but the arm file names its servos by channel: give each servo its bus id and tick calibration (see config/so101.yaml)", o.backend)
		}
		// Replies must arrive well within one motion tick, so a slow or
		// silent servo never holds the motion loop past its period.
		period := time.Second / time.Duration(arm.Motion.TickHz)
		return bus.Open(bus.Config{Device: o.serialPort, Baud: o.serialBaud, ReplyTimeout: min(bus.DefaultReplyTimeout, period/3)}, fam, arm.Servos)
	default:
		return nil, fmt.Errorf("--backend %q is not known: use sim, pca9685, serial, feetech or dynamixel", o.backend)
	}
}

// i2cAddr is a 7-bit I²C address flag shown in hex.
type i2cAddr uint16

// String shows the address in hex.
func (a *i2cAddr) String() string { return fmt.Sprintf("%#02x", uint16(*a)) }

// Set parses a 7-bit address, hex or decimal.
func (a *i2cAddr) Set(s string) error {
	v, err := strconv.ParseUint(s, 0, 16)
	if err != nil || v > 0x7f {
		return fmt.Errorf("%q is not a 7-bit I²C address: use e.g. 0x40 (the board's default) up to 0x7f", s)
	}
	*a = i2cAddr(v)
	return nil
}
