//go:build linux

// Package tty opens serial devices in raw mode with deadlines (pure Go,
// golang.org/x/sys/unix), for the Maestro and the bus-servo backends.
package tty

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

var baudFlags = map[int]uint32{
	1200: unix.B1200, 2400: unix.B2400, 4800: unix.B4800, 9600: unix.B9600, 19200: unix.B19200,
	38400: unix.B38400, 57600: unix.B57600, 115200: unix.B115200, 230400: unix.B230400,
	460800: unix.B460800, 500000: unix.B500000, 576000: unix.B576000, 921600: unix.B921600,
	1000000: unix.B1000000, 1152000: unix.B1152000, 1500000: unix.B1500000,
	2000000: unix.B2000000, 2500000: unix.B2500000, 3000000: unix.B3000000,
	3500000: unix.B3500000, 4000000: unix.B4000000,
}

// Open opens a serial device for reading and writing and puts it in raw
// 8N1 mode at baud. O_NONBLOCK keeps open from waiting for carrier detect
// and lets Go's poller enforce read and write deadlines on the file.
func Open(path string, baud int) (*os.File, error) {
	speed, ok := baudFlags[baud]
	if !ok {
		return nil, fmt.Errorf("%d bit/s is not a line speed this system can set", baud)
	}
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open: %w (is the device plugged in and are you in the dialout group?)", err)
	}
	if err := setRaw(f, baud, speed); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// setRaw applies the equivalent of cfmakeraw plus 8N1, no flow control,
// CLOCAL (ignore modem lines) and the given speed. It uses SyscallConn
// rather than f.Fd(), which would switch the file back to blocking mode and
// disable deadlines.
func setRaw(f *os.File, baud int, speed uint32) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("termios: %w", err)
	}
	var opErr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			opErr = fmt.Errorf("not a terminal device? read termios: %w", err)
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CRTSCTS | unix.CBAUD
		t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL | speed
		t.Ispeed, t.Ospeed = speed, speed
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		if err := unix.IoctlSetTermios(int(fd), unix.TCSETS, t); err != nil {
			opErr = fmt.Errorf("set raw 8N1 mode at %d bit/s: %w", baud, err)
		}
	})
	if err != nil {
		return fmt.Errorf("termios: %w", err)
	}
	return opErr
}

// FlushInput drops bytes received but not yet read (a late reply from the
// previous transaction).
func FlushInput(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = unix.IoctlSetInt(int(fd), unix.TCFLSH, unix.TCIFLUSH) }); err != nil {
		return err
	}
	return opErr
}
