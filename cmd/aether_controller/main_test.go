package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
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
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinarySeedLineAndSIGTERM runs the built controller with the sim
// backend, talks the lab's seed line to it, and stops it with SIGTERM.
func TestBinarySeedLineAndSIGTERM(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--backend", "sim", "-v")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-exited:
		default:
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("controller stderr:\n%s", stderr.String())
		}
	})

	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addrCh <- addr
			}
		}
		io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	var addr string
	select {
	case addr = <-addrCh:
	case <-time.After(waitFor):
		t.Fatal(`no "listening on ADDR" line on stdout`)
	}

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

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.ReadString('\n'); got != `{"status":"error","message":"controller shutting down","code":"internal"}`+"\n" {
		t.Fatalf("shutdown line %q", got)
	}
	if _, err := r.ReadString('\n'); !errors.Is(err, io.EOF) {
		t.Fatalf("connection not closed after the shutdown line: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(waitFor):
		t.Fatal("did not exit after SIGTERM")
	}
	logs := stderr.String()
	for _, want := range []string{"listening on " + addr, "msg=in", "servos released"} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

func TestRunHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"--help"}, io.Discard, &out); err != nil {
		t.Fatalf("--help: %v", err)
	}
	for _, flag := range []string{"-listen", "-arm", "-backend", "-i2c-bus", "-i2c-addr", "-serial-port", "-serial-baud",
		"-watchdog", "-park-after", "-release-after", "-max-clients", "-token-file", "-max-line", "-v",
		"(default 500ms)", "(default 0x40)", "(default 8)", "bytes"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("--help does not mention %q", flag)
		}
	}
}

func TestRunRejects(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n  \n"), 0o600)
	badArm := filepath.Join(dir, "arm.yaml")
	os.WriteFile(badArm, []byte("name: x\nkinematics: {}\nservo: []\n"), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--backend", "stepper"}, `--backend "stepper" is not known`},
		{[]string{"--token-file", empty}, "is empty"},
		{[]string{"--token-file", filepath.Join(dir, "missing")}, "token file"},
		{[]string{"--arm", badArm}, "servo"},
		{[]string{"--arm", filepath.Join(dir, "missing.yaml")}, "arm file"},
		{[]string{"--i2c-addr", "0x99"}, "7-bit"},
		{[]string{"--watchdog", "-1s"}, "Watchdog"},
		{[]string{"--max-line", "12"}, "MaxLine"},
		{[]string{"--listen", "127.0.0.1:99999"}, "listen on 127.0.0.1:99999"},
		{[]string{"extra"}, `unexpected argument "extra"`},
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
