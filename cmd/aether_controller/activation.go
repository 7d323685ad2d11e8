package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// activationFD is the first socket a service manager passes (SD_LISTEN_FDS_START).
const activationFD = 3

// activatedListener is the listening socket passed by socket activation
// (systemd's sd_listen_fds convention: LISTEN_FDS=1, LISTEN_PID, the socket
// on fd 3), or nil when none was passed. As sd_listen_fds does, variables
// naming another process (LISTEN_PID set to another pid, e.g. inherited
// from a parent) are ignored; unlike it, an unset LISTEN_PID is accepted,
// because a launcher that cannot know the child's pid cannot set it. A
// socket bound but not yet listening is put into listening state, so a
// caller can keep a port that refuses connections until the controller
// runs. The variables are removed from the environment once read; ignored
// says why, when they were set but not used.
func activatedListener(pid int) (ln net.Listener, ignored string, err error) {
	fds, pidVar := os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_PID")
	for _, v := range []string{"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"} {
		os.Unsetenv(v)
	}
	if fds == "" {
		return nil, "", nil
	}
	if pidVar != "" {
		p, err := strconv.Atoi(pidVar)
		if err != nil || p <= 0 {
			return nil, "", fmt.Errorf("LISTEN_PID=%q is not a process id: set it to the controller's pid, or leave it unset", pidVar)
		}
		if p != pid {
			return nil, fmt.Sprintf("LISTEN_FDS is for process %d (LISTEN_PID), not this one (%d)", p, pid), nil
		}
	}
	n, err := strconv.Atoi(fds)
	switch {
	case err != nil || n < 0:
		return nil, "", fmt.Errorf("LISTEN_FDS=%q is not a number of sockets: pass one listening TCP socket as fd 3 with LISTEN_FDS=1, or unset LISTEN_FDS to use --listen", fds)
	case n == 0:
		return nil, "LISTEN_FDS=0 passes no socket", nil
	case n > 1:
		return nil, "", fmt.Errorf("LISTEN_FDS=%d: aether_controller serves one TCP socket: pass exactly one (one ListenStream= in the systemd socket unit)", n)
	}
	ln, err = listenerOnFD(activationFD)
	return ln, "", err
}

// listenerOnFD is the TCP socket fd as a listener, listening if it was
// only bound. The listener holds a duplicate; fd itself is closed.
func listenerOnFD(fd int) (net.Listener, error) {
	const what = "LISTEN_FDS=1: fd 3"
	syscall.CloseOnExec(fd)
	accepting, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
	if errors.Is(err, syscall.EBADF) {
		return nil, fmt.Errorf("%s is not open: pass the listening socket as fd 3, or unset LISTEN_FDS to use --listen", what)
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not a socket: pass a TCP socket as fd 3, or unset LISTEN_FDS to use --listen", what)
	}
	if accepting == 0 {
		if err := syscall.Listen(fd, syscall.SOMAXCONN); err != nil {
			return nil, fmt.Errorf("%s: cannot listen on it (%v): pass a bound TCP stream socket", what, err)
		}
	}
	f := os.NewFile(uintptr(fd), "LISTEN_FDS socket")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("%s is not a TCP stream socket: pass one (ListenStream= in the systemd socket unit)", what)
	}
	if _, ok := ln.(*net.TCPListener); !ok {
		ln.Close()
		return nil, fmt.Errorf("%s is a %s socket, not TCP: the controller serves TCP (ListenStream=HOST:PORT)", what, ln.Addr().Network())
	}
	return ln, nil
}
