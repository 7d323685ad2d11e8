package testutil

import (
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
)

// HeldPort is a loopback TCP port a test keeps for its whole run, for a
// server that must be known before it starts or that restarts: the socket
// is bound, so nobody else can take the port, and refuses connections until
// something listens on it. Once listened on it keeps listening until the
// test ends (connections made between servers wait in its queue). No
// check-then-use: the port is never released and bound again.
type HeldPort struct {
	File *os.File // the bound socket, e.g. for exec.Cmd.ExtraFiles (socket activation)
	Addr string   // 127.0.0.1:port
}

// HoldPort binds a socket to a free loopback port without listening; it is
// closed at cleanup.
func HoldPort(t testing.TB) *HeldPort {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "held port")
	t.Cleanup(func() { f.Close() })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return &HeldPort{File: f, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))}
}

// Listener listens on the held port and returns a listener of its own:
// closing it leaves the port held, and a later Listener serves it again.
func (p *HeldPort) Listener(t testing.TB) net.Listener {
	t.Helper()
	rc, err := p.File.SyscallConn() // not Fd(): that would make the socket blocking
	if err != nil {
		t.Fatal(err)
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), syscall.SOMAXCONN) }); err != nil || lerr != nil {
		t.Fatal(err, lerr)
	}
	ln, err := net.FileListener(p.File)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
