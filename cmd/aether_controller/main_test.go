package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/armfile"
	"github.com/aether-lab/aether-bridge/pkg/controller"
	"github.com/aether-lab/aether-bridge/pkg/servo/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitFor = 30 * time.Second

// buildBinary compiles the command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "aether_controller")
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go toolchain on PATH to build the binary: %v", err)
	}
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// controllerProcess is the built controller running, with the addresses
// it printed.
type controllerProcess struct {
	addr, panelURL string
	exited         chan struct{} // closed once exitErr is set
	exitErr        error
	proc           *os.Process
}

// startBinary runs the built controller with args and waits for its
// "listening on" line (and "panel on" line, when args have --http).
func startBinary(t *testing.T, args ...string) *controllerProcess {
	t.Helper()
	return startCommand(t, exec.Command(buildBinary(t), args...))
}

// startCommand is startBinary for a prepared command (environment, files).
func startCommand(t *testing.T, cmd *exec.Cmd) *controllerProcess {
	t.Helper()
	var stderr testutil.SyncBuffer
	if cmd.Stderr != nil {
		cmd.Stderr = io.MultiWriter(cmd.Stderr, &stderr)
	} else {
		cmd.Stderr = &stderr
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &controllerProcess{exited: make(chan struct{}), proc: cmd.Process}
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, stdout)
		p.exitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(waitFor):
		}
		if t.Failed() {
			t.Logf("controller stderr:\n%s", stderr.String())
		}
	})
	for p.addr == "" {
		select {
		case l := <-lines:
			if v, ok := strings.CutPrefix(l, "listening on "); ok {
				p.addr = v
			} else if v, ok := strings.CutPrefix(l, "panel on "); ok {
				p.panelURL = v
			}
		case <-p.exited:
			t.Fatalf("the controller exited before listening: %v", p.exitErr)
		case <-time.After(waitFor):
			t.Fatal(`no "listening on ADDR" line on stdout`)
		}
	}
	return p
}

// sigterm sends SIGTERM.
func (p *controllerProcess) sigterm(t *testing.T) {
	t.Helper()
	if err := p.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// waitExit waits for the process to exit with status 0.
func (p *controllerProcess) waitExit(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
		if p.exitErr != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0", p.exitErr)
		}
	case <-time.After(waitFor):
		t.Fatal("did not exit after SIGTERM")
	}
}

// TestBinarySeedLineAndSIGTERM runs the built controller with the sim
// backend, talks the lab's seed line to it, and stops it with SIGTERM.
func TestBinarySeedLineAndSIGTERM(t *testing.T) {
	p := startBinary(t, "--listen", "127.0.0.1:0", "--backend", "sim", "-v")
	addr := p.addr

	conn, err := net.DialTimeout("tcp", addr, waitFor)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(waitFor))
	r := bufio.NewReader(conn)
	io.WriteString(conn, `{"type":"command","x":120.0,"y":35.5,"z":210.0,"gripper":"open"}`+"\n")
	if got, _ := r.ReadString('\n'); got != `{"status":"ok","message":"Command received"}`+"\n" {
		t.Fatalf("seed reply %q", got)
	}

	p.sigterm(t)
	if got, _ := r.ReadString('\n'); got != `{"status":"error","message":"controller shutting down","code":"internal"}`+"\n" {
		t.Fatalf("shutdown line %q", got)
	}
	if _, err := r.ReadString('\n'); !errors.Is(err, io.EOF) {
		t.Fatalf("connection not closed after the shutdown line: %v", err)
	}
	p.waitExit(t)
}

func TestRunHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"--help"}, io.Discard, &out); err != nil {
		t.Fatalf("--help: %v", err)
	}
	for _, flag := range []string{"-listen", "-arm", "-backend", "-i2c-bus", "-i2c-addr", "-serial-port", "-serial-baud",
		"-watchdog", "-park-after", "-release-after", "-max-clients", "-token-file", "-max-line", "-v", "-http", "-max-pulse-step",
		"-http-allow-host", "-insecure-no-token", "-tls-cert", "-tls-key",
		"(default 500ms)", "(default 0x40)", "(default 8)", "bytes", "LISTEN_FDS=1", "LISTEN_PID", "fd 3"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("--help does not mention %q", flag)
		}
	}
}

func TestRunRejects(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n  \n"), 0o600)
	twoLines := filepath.Join(dir, "two-lines")
	os.WriteFile(twoLines, []byte("s3cret\nother\n"), 0o600)
	badArm := filepath.Join(dir, "arm.yaml")
	os.WriteFile(badArm, []byte("name: x\nkinematics: {}\nservo: []\n"), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--backend", "stepper"}, `--backend "stepper" is not known`},
		{[]string{"--token-file", empty}, "--token-file: token file " + empty + " is empty: put the shared token in it"},
		{[]string{"--token-file", filepath.Join(dir, "missing")}, "--token-file: token file " + filepath.Join(dir, "missing") + " cannot be read (no such file or directory)"},
		{[]string{"--token-file", twoLines}, "--token-file: token file " + twoLines + " has 2 non-empty lines (lines 1 and 2): a token file holds the token alone, on one line"},
		{[]string{"--arm", badArm}, "servo"},
		{[]string{"--arm", filepath.Join(dir, "missing.yaml")}, "arm file"},
		{[]string{"--i2c-addr", "0x99"}, "7-bit"},
		{[]string{"--watchdog", "-1s"}, "--watchdog: -1s is negative"},
		{[]string{"--watchdog", "1ns"}, "--watchdog: 1ns is below the floor of 50ms"},
		{[]string{"--watchdog", "49ms"}, "--watchdog: 49ms is below the floor of 50ms"},
		{[]string{"--watchdog", "50"}, `invalid value "50" for flag -watchdog: a duration needs a unit: write e.g. 50ms or 50s`},
		{[]string{"--park-after", "3"}, `invalid value "3" for flag -park-after: a duration needs a unit: write e.g. 3ms or 3s`},
		{[]string{"--release-after", "soon"}, `invalid value "soon" for flag -release-after: not a duration: write a number with a unit, e.g. 500ms`},
		{[]string{"--max-line", "12"}, "--max-line: 12 bytes is outside"},
		{[]string{"--max-clients", "-1"}, "--max-clients: -1 is negative"},
		{[]string{"--listen", "5000"}, "--listen 5000: the host part is missing: use 127.0.0.1:5000 (this machine only) or :5000 (every interface)"},
		{[]string{"--listen", "localhost"}, `--listen "localhost" is not host:port: use e.g. 127.0.0.1:5000`},
		{[]string{"--listen", "127.0.0.1:99999"}, `--listen 127.0.0.1:99999: port "99999" is not a number from 0 to 65535`},
		{[]string{"--listen", "127.0.0.1:0", "--http", "8080"}, "--http 8080: the host part is missing: use 127.0.0.1:8080"},
		{[]string{"--max-pulse-step", "-3"}, "--max-pulse-step: -3 µs is outside"},
		{[]string{"--listen", "127.0.0.1:0", "--http", "0.0.0.0:0"}, "--insecure-no-token"},
		{[]string{"--http-allow-host", "http://pi.lab"}, "not a host name: use the name the browser shows"},
		{[]string{"--http-allow-host", "*.lab"}, "not a host name"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--lerobot-calibration", filepath.Join(dir, "none.json")}, "--lerobot-calibration: LeRobot calibration: open"},
		{[]string{"--arm", "../../config/so101.yaml", "--lerobot-calibration", badArm}, "not a LeRobot calibration"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			err := run(tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run(%q) = %v, want an error mentioning %q", tc.args, err, tc.want)
			}
		})
	}
}

// --backend pca9685 on a machine without I²C names the flag, the bus tried
// and how to turn I²C on.
func TestRunPCA9685WithoutI2C(t *testing.T) {
	if m, _ := filepath.Glob("/dev/i2c-*"); len(m) > 0 {
		t.Skip("this machine has an I²C bus")
	}
	err := run([]string{"--listen", "127.0.0.1:0", "--backend", "pca9685", "--i2c-bus", "1"}, io.Discard, io.Discard)
	for _, want := range []string{`--backend pca9685 --i2c-bus 1: pca9685: cannot open I²C bus "1" (/dev/i2c-1)`, "raspi-config", "dtparam=i2c_arm=on"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
}

// A port another program holds: the error names the flag and says to stop
// the other program or change the flag.
func TestRunListenPortInUse(t *testing.T) {
	for _, flagName := range []string{"listen", "http"} {
		t.Run(flagName, func(t *testing.T) {
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			args := []string{"--listen", "127.0.0.1:0", "--" + flagName, busy.Addr().String()}
			err = run(args, io.Discard, io.Discard)
			want := "another program (another aether_controller?) is using that port: stop it or change --" + flagName
			if err == nil || !strings.Contains(err.Error(), "--"+flagName+" "+busy.Addr().String()) || !strings.Contains(err.Error(), want) {
				t.Fatalf("run(%q) = %v, want it to name the flag and say %q", args, err, want)
			}
		})
	}
}

// A bad value in any flag that lands in controller.Config gets an error
// naming the flag and no Go field.
func TestRunFlagErrorsNameTheFlag(t *testing.T) {
	goField := regexp.MustCompile(`\b[A-Z][a-z]+[A-Z][A-Za-z]*\b|Config\.`)
	for _, args := range [][]string{
		{"--max-clients", "-1"}, {"--max-line", "12"}, {"--watchdog", "-1s"}, {"--park-after", "-1s"},
		{"--release-after", "-1s"}, {"--max-line-rate", "-1"}, {"--max-pulse-step", "-3"},
	} {
		err := run(append([]string{"--listen", "127.0.0.1:0"}, args...), io.Discard, io.Discard)
		if err == nil || !strings.HasPrefix(err.Error(), args[0]) || goField.MatchString(err.Error()) {
			t.Errorf("run(%q) = %v, want an error starting with %s and naming no Go field", args, err, args[0])
		}
	}
}

// Every field re-worded as a flag is a controller.Config field and a flag,
// so a renamed field cannot leave a Go name in a user's error.
func TestFlagOfFieldNamesRealFieldsAndFlags(t *testing.T) {
	var out bytes.Buffer
	_ = run([]string{"--help"}, io.Discard, &out)
	cfg := reflect.TypeOf(controller.Config{})
	for field, fl := range flagOfField {
		if _, ok := cfg.FieldByName(field); !ok {
			t.Errorf("flagOfField: controller.Config has no field %s", field)
		}
		if !strings.Contains(out.String(), "  -"+strings.TrimPrefix(fl, "--")+" ") {
			t.Errorf("flagOfField: %s is not a flag of --help", fl)
		}
	}
}

// TestBinaryPanel runs the built controller with --http: the page is
// served, the WebSocket speaks the seed line, and SIGTERM reaches it.
func TestBinaryPanel(t *testing.T) {
	p := startBinary(t, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--backend", "sim")
	url := p.panelURL
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Aether arm panel") {
		t.Fatalf("GET %s = %d %.200s", url, resp.StatusCode, page)
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	read := func() string {
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return string(b)
	}
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"command","x":120.0,"y":35.5,"z":210.0,"gripper":"open"}`+"\n")); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != `{"status":"ok","message":"Command received"}`+"\n" {
		t.Fatalf("seed reply over the panel's WebSocket: %q", got)
	}
	p.sigterm(t)
	if got := read(); got != `{"status":"error","message":"controller shutting down","code":"internal"}`+"\n" {
		t.Fatalf("shutdown line %q", got)
	}
	p.waitExit(t)
}

// TestInsecureNoTokenPanel: --insecure-no-token lets the panel listen on
// every interface without a token, with a warning.
func TestInsecureNoTokenPanel(t *testing.T) {
	arm := armfile.Default()
	backend, err := sim.New(sim.Config{Calibrations: arm.Servos}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := controller.New(controller.Config{Logger: slog.New(slog.DiscardHandler)}, arm, backend)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done, err := startPanel(ctx, func() {}, options{http: "0.0.0.0:0", insecure: true}, false, srv, log, io.Discard)
	if err != nil {
		t.Fatalf("--insecure-no-token refused: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "--insecure-no-token") {
		t.Fatalf("no warning logged:\n%s", logs.String())
	}
}
