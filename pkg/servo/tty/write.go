package tty

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// Write writes p to w in one call, under a write deadline of timeout when
// w has SetWriteDeadline (an *os.File from Open does), so a stalled port
// gives an error instead of a hang. The errors of a stalled or unplugged
// port say so; a short write without an error is io.ErrShortWrite.
func Write(w io.Writer, p []byte, timeout time.Duration) (int, error) {
	if d, ok := w.(interface{ SetWriteDeadline(time.Time) error }); ok {
		err := d.SetWriteDeadline(time.Now().Add(timeout))
		if err != nil && !errors.Is(err, os.ErrNoDeadline) {
			return 0, fmt.Errorf("set write deadline: %w", err)
		}
	}
	n, err := w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("port took no data for %v (unplugged or stalled?): %w", timeout, err)
	case errors.Is(err, syscall.EIO), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV):
		err = fmt.Errorf("port is gone (unplugged? reopen it): %w", err)
	}
	return n, err
}
