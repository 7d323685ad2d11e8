package testutil

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

func TestHeldPortRefusesUntilServedAndKeepsItsPort(t *testing.T) {
	p := HoldPort(t)
	if _, err := net.Dial("tcp", p.Addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial before any listener: %v, want connection refused", err)
	}
	if _, err := net.Listen("tcp", p.Addr); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("another listener on the held port: %v, want address in use", err)
	}
	for i := 0; i < 2; i++ { // a restart serves the same port
		ln := p.Listener(t)
		if ln.Addr().String() != p.Addr {
			t.Fatalf("listener %d on %s, want %s", i, ln.Addr(), p.Addr)
		}
		accepted := make(chan error, 1)
		go func() {
			c, err := ln.Accept()
			if err == nil {
				c.Close()
			}
			accepted <- err
		}()
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if err := <-accepted; err != nil {
			t.Fatalf("accept %d: %v", i, err)
		}
		ln.Close()
	}
}
