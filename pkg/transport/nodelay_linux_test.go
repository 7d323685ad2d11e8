package transport

import (
	"syscall"
	"testing"
)

func TestNewSetsNoDelay(t *testing.T) {
	_, nc := pair(t)
	if err := nc.SetNoDelay(false); err != nil {
		t.Fatal(err)
	}
	New(nc, 0)
	raw, err := nc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if v == 0 {
		t.Fatal("TCP_NODELAY is off after New")
	}
}
