//go:build linux

package serial

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// openPTY returns the master side and the path of the slave, which stands in
// for the Maestro's /dev/ttyACM0.
func openPTY(t *testing.T) (master *os.File, path string) {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Skipf("no pty available: %v", err)
	}
	t.Cleanup(func() {
		m.Close()
		s.Close()
	})
	return m, s.Name()
}

// readFull reads n bytes from the master, failing the test after a deadline.
func readFull(t *testing.T, m *os.File, n int) []byte {
	t.Helper()
	if err := m.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(m, buf); err != nil {
		t.Fatalf("reading %d bytes from the pty: %v (got % x)", n, err, buf)
	}
	return buf
}

func TestOpenPTYWriteAndRelease(t *testing.T) {
	m, path := openPTY(t)
	b, err := Open(Config{Device: path, Baud: 57600, DetectBaud: true}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	if got := readFull(t, m, 1); got[0] != BaudIndication {
		t.Fatalf("first byte % x, want 0xaa", got)
	}
	if err := b.Write([]float64{0, 0}, 1); err != nil {
		t.Fatal(err)
	}
	want := []byte{0x84, 0x00, 0x70, 0x2E, 0x84, 0x04, 0x70, 0x2E, 0x84, 0x17, 0x10, 0x4E}
	if got := readFull(t, m, len(want)); !bytes.Equal(got, want) {
		t.Fatalf("Write sent % x\nwant         % x", got, want)
	}
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(readFull(t, m, 12))
	for _, ch := range []uint8{0, 4, 23} {
		c, err := DecodeSetTarget(r)
		if err != nil || c != Off(ch) {
			t.Fatalf("Release sent %+v, %v; want Off(%d)", c, err, ch)
		}
	}
}

// Raw mode matters: with the default cooked mode 0x0A would become 0x0D 0x0A
// and bytes could be eaten as control characters.
func TestOpenSetsRawMode(t *testing.T) {
	m, path := openPTY(t)
	b, err := Open(Config{Device: path, Baud: 9600}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Oflag&unix.OPOST != 0 || tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 || tio.Iflag&(unix.IXON|unix.ICRNL) != 0 {
		t.Fatalf("not raw: iflag %#o oflag %#o lflag %#o", tio.Iflag, tio.Oflag, tio.Lflag)
	}
	if tio.Cflag&unix.CSIZE != unix.CS8 || tio.Cflag&(unix.PARENB|unix.CSTOPB|unix.CRTSCTS) != 0 || tio.Cflag&unix.CLOCAL == 0 {
		t.Fatalf("not 8N1 without flow control: cflag %#o", tio.Cflag)
	}
	if tio.Cflag&unix.CBAUD != unix.B9600 {
		t.Fatalf("speed bits %#o, want B9600 (%#o)", tio.Cflag&unix.CBAUD, unix.B9600)
	}
	// A 0x0A target byte (channel 10) must arrive untranslated.
	cals := testCals()
	cals[1].Channel = 10
	b2, err := Open(Config{Device: path}, cals)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if err := b2.Release(); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, m, 12); got[5] != 0x0A {
		t.Fatalf("Release sent % x; channel byte 0x0a was translated", got)
	}
}

func TestPortGone(t *testing.T) {
	m, path := openPTY(t)
	b, err := Open(Config{Device: path}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Write([]float64{0, 0}, 0); err != nil {
		t.Fatal(err)
	}
	readFull(t, m, 12)
	m.Close() // unplugged

	for name, call := range map[string]func() error{
		"Write":   func() error { return b.Write([]float64{0, 0}, 0) },
		"Release": b.Release,
	} {
		err := call()
		if err == nil {
			t.Fatalf("%s to a closed pty succeeded", name)
		}
		for _, w := range []string{"serial " + path, `channel 0 (joint "base")`, "port is gone"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s error %q does not contain %q", name, err, w)
			}
		}
		if !errors.Is(err, unix.EIO) {
			t.Errorf("%s error %v does not wrap EIO", name, err)
		}
	}
}

// Nobody reads the port: once its buffers are full a Write must give up at
// the deadline instead of blocking the control loop.
func TestStalledPortHitsDeadline(t *testing.T) {
	_, path := openPTY(t)
	b, err := Open(Config{Device: path, WriteTimeout: 20 * time.Millisecond}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const limit = 1 << 20 // far more commands than any pty buffers
	for i := range limit {
		err = b.Write([]float64{0, 0}, 0)
		if err != nil {
			t.Logf("deadline hit after %d writes", i)
			break
		}
	}
	if err == nil {
		t.Fatalf("%d writes to an unread pty all succeeded", limit)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(err.Error(), "took no data for 20ms") {
		t.Fatalf("Write = %v, want a deadline error", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(Config{Device: "/nonexistent/ttyACM9"}, testCals()); err == nil ||
		!strings.Contains(err.Error(), "serial /nonexistent/ttyACM9: open") {
		t.Fatalf("Open(missing device) = %v", err)
	}
	f, err := os.CreateTemp(t.TempDir(), "notatty")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Open(Config{Device: f.Name()}, testCals()); err == nil || !strings.Contains(err.Error(), "not a terminal device") {
		t.Fatalf("Open(regular file) = %v", err)
	}
}
