//go:build !linux

// Package tty opens serial devices in raw mode with deadlines; only Linux is
// supported.
package tty

import (
	"errors"
	"os"
)

// Open is only implemented for Linux (the Raspberry Pi).
func Open(path string, baud int) (*os.File, error) {
	return nil, errors.New("opening a tty is only supported on Linux")
}

// FlushInput is only implemented for Linux.
func FlushInput(f *os.File) error { return nil }
