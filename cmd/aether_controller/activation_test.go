package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/protocol"
)

// activated is the controller command with sock passed as fd 3 and env added.
func activated(t *testing.T, bin string, sock *os.File, env ...string) *exec.Cmd {
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--backend", "sim")
	if sock != nil {
		cmd.ExtraFiles = []*os.File{sock}
	}
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// A test (or systemd) holds one socket; every controller started with it
// serves it, so the port is never free for someone else, across restarts.
func TestBinarySocketActivation(t *testing.T) {
	bin := buildBinary(t)
	held := testutil.HoldPort(t) // refused until a controller serves it
	sock, addr := held.File, held.Addr
	if _, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial before any controller: %v, want connection refused", err)
	}
	for run := 1; run <= 2; run++ {
		p := startCommand(t, activated(t, bin, sock, "LISTEN_FDS=1"))
		if p.addr != addr {
			t.Fatalf("run %d listens on %s, want the passed socket's %s", run, p.addr, addr)
		}
		c := dial(t, addr)
		if r := c.do(`{"type":"hello","version":1,"client":"activation"}`); r.Status != protocol.StatusOK || !strings.Contains(r.Message, "hello activation") {
			t.Fatalf("run %d hello: %+v", run, r)
		}
		p.sigterm(t)
		p.waitExit(t)
	}

	t.Run("LISTEN_FDS unset uses --listen", func(t *testing.T) {
		p := startCommand(t, activated(t, bin, sock))
		if p.addr == addr {
			t.Fatalf("served the passed socket %s without LISTEN_FDS", addr)
		}
		dial(t, p.addr)
	})
	t.Run("LISTEN_PID of another process is ignored", func(t *testing.T) {
		cmd := activated(t, bin, sock, "LISTEN_FDS=1", "LISTEN_PID="+strconv.Itoa(os.Getpid()))
		var logs testutil.SyncBuffer
		cmd.Stderr = &logs
		p := startCommand(t, cmd)
		if p.addr == addr {
			t.Fatalf("served the socket meant for pid %d", os.Getpid())
		}
		want := fmt.Sprintf("LISTEN_FDS is for process %d (LISTEN_PID), not this one", os.Getpid())
		testutil.Eventually(t, waitFor, "a warning that LISTEN_FDS was not used", func() bool { return strings.Contains(logs.String(), want) })
	})
}

// A wrong LISTEN_FDS setting is one line saying what to pass, before any
// servo is opened.
func TestBinarySocketActivationErrors(t *testing.T) {
	bin := buildBinary(t)
	sock := testutil.HoldPort(t).File
	file, err := os.Create(filepath.Join(t.TempDir(), "not-a-socket"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, c := range []struct {
		name string
		fd3  *os.File
		env  []string
		want string
	}{
		{"not a number", sock, []string{"LISTEN_FDS=one"}, `LISTEN_FDS="one" is not a number of sockets: pass one listening TCP socket as fd 3 with LISTEN_FDS=1, or unset LISTEN_FDS to use --listen`},
		{"negative", sock, []string{"LISTEN_FDS=-1"}, `LISTEN_FDS="-1" is not a number of sockets`},
		{"two sockets", sock, []string{"LISTEN_FDS=2"}, `LISTEN_FDS=2: aether_controller serves one TCP socket`},
		{"bad pid", sock, []string{"LISTEN_FDS=1", "LISTEN_PID=self"}, `LISTEN_PID="self" is not a process id`},
		{"no fd 3", nil, []string{"LISTEN_FDS=1"}, `LISTEN_FDS=1: fd 3 is not `},
		{"fd 3 a file", file, []string{"LISTEN_FDS=1"}, `LISTEN_FDS=1: fd 3 is not a socket`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := activated(t, bin, c.fd3, c.env...)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit %v, want status 1; output:\n%s", err, stderr.String())
			}
			out := stderr.String()
			if !strings.HasPrefix(out, "aether_controller: ") || strings.Count(out, "\n") != 1 || !strings.Contains(out, c.want) {
				t.Fatalf("output %q: want one line with %q", out, c.want)
			}
		})
	}
}
