package serial

import (
	"bytes"
	"errors"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/servo"
)

// testCals: base on channel 0, elbow on channel 4 (mirrored), gripper on 23.
func testCals() servo.Calibrations {
	cs := servo.DefaultCalibrations([]string{"base", "elbow"})
	cs[1].Channel = 4
	cs[1].Direction = -1
	cs[2].Channel = 23
	return cs
}

func cmds(ts ...SetTarget) []byte {
	var b []byte
	for _, t := range ts {
		b, _ = t.AppendBinary(b)
	}
	return b
}

func TestWriteBytes(t *testing.T) {
	tests := []struct {
		name    string
		joints  []float64
		gripper float64
		want    []byte
	}{
		{"centre, open", []float64{0, 0}, 0, cmds(
			SetTarget{0, 6000}, SetTarget{4, 6000}, SetTarget{23, 2000})},
		{"base +90°, elbow (mirrored) +45°, closed", []float64{math.Pi / 2, math.Pi / 4}, 1, cmds(
			SetTarget{0, 10000}, SetTarget{4, 4000}, SetTarget{23, 10000})},
		// Literal bytes for one case, so the encoder is not only checked against itself.
		{"literal bytes", []float64{0, 0}, 0.5, []byte{
			0x84, 0x00, 0x70, 0x2E,
			0x84, 0x04, 0x70, 0x2E,
			0x84, 0x17, 0x70, 0x2E}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			b, err := New(&buf, Config{}, testCals())
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Write(tc.joints, tc.gripper); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), tc.want) {
				t.Fatalf("wrote % x\nwant  % x", buf.Bytes(), tc.want)
			}
		})
	}
}

func TestReleaseBytes(t *testing.T) {
	var buf bytes.Buffer
	b, err := New(&buf, Config{}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	want := []byte{0x84, 0x00, 0x00, 0x00, 0x84, 0x04, 0x00, 0x00, 0x84, 0x17, 0x00, 0x00}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("Release wrote % x, want % x", buf.Bytes(), want)
	}
}

func TestDetectBaudSendsIndicationOnce(t *testing.T) {
	var buf bytes.Buffer
	b, err := New(&buf, Config{DetectBaud: true}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Write([]float64{0, 0}, 0); err != nil {
		t.Fatal(err)
	}
	if err := b.Write([]float64{0, 0}, 0); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if len(got) != 1+2*12 || got[0] != BaudIndication || bytes.Count(got, []byte{BaudIndication}) != 1 {
		t.Fatalf("wrote % x, want one 0xaa then two commands", got)
	}
}

func TestWriteRejectsBeforeSending(t *testing.T) {
	var buf bytes.Buffer
	b, err := New(&buf, Config{Device: "/dev/ttyACM0"}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		joints  []float64
		gripper float64
		want    string
	}{
		{"too many joints", []float64{0, 0, 0}, 0, "serial /dev/ttyACM0: got 3 joint angles, want 2"},
		{"elbow beyond its range", []float64{0, -2}, 0, `joint "elbow" (channel 4)`},
		{"NaN base", []float64{math.NaN(), 0}, 0, `joint "base" (channel 0)`},
		{"gripper above 1", []float64{0, 0}, 1.2, `joint "gripper" (channel 23)`},
	} {
		if err := b.Write(tc.joints, tc.gripper); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Write = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if buf.Len() != 0 {
		t.Fatalf("rejected commands wrote % x", buf.Bytes())
	}
}

// shortWriter accepts limit bytes, then fails (or, with err nil, stops short).
type shortWriter struct {
	limit int
	err   error
	got   []byte
}

func (w *shortWriter) Write(p []byte) (int, error) {
	n := min(len(p), w.limit)
	w.got = append(w.got, p[:n]...)
	w.limit -= n
	if n < len(p) {
		return n, w.err
	}
	return n, nil
}

func TestPartialWriteNamesChannel(t *testing.T) {
	gone := errors.New("device went away")
	tests := []struct {
		name  string
		limit int
		err   error
		want  string
	}{
		{"nothing sent", 0, gone, `channel 0 (joint "base"): set target: device went away`},
		{"base sent, elbow cut", 6, gone, `channel 4 (joint "elbow"): set target`},
		{"gripper cut", 11, gone, `channel 23 (joint "gripper")`},
		{"short write without error", 4, nil, `channel 4 (joint "elbow"): set target: short write`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &shortWriter{limit: tc.limit, err: tc.err}
			b, err := New(w, Config{}, testCals())
			if err != nil {
				t.Fatal(err)
			}
			err = b.Write([]float64{0, 0}, 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write = %v, want an error containing %q", err, tc.want)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("Write error %v does not wrap %v", err, tc.err)
			}
		})
	}
}

// deadlineWriter records the deadlines set before each write.
type deadlineWriter struct {
	bytes.Buffer
	deadlines []time.Time
	setErr    error
}

func (w *deadlineWriter) SetWriteDeadline(t time.Time) error {
	w.deadlines = append(w.deadlines, t)
	return w.setErr
}

func TestWriteDeadline(t *testing.T) {
	w := &deadlineWriter{}
	b, err := New(w, Config{WriteTimeout: time.Hour}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := b.Write([]float64{0, 0}, 0); err != nil {
		t.Fatal(err)
	}
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	if len(w.deadlines) != 2 {
		t.Fatalf("%d deadlines set, want one per write", len(w.deadlines))
	}
	for _, d := range w.deadlines {
		if d.Before(before.Add(time.Hour)) || d.After(time.Now().Add(time.Hour)) {
			t.Fatalf("deadline %v is not WriteTimeout after the write", d)
		}
	}

	// Files without deadline support (regular files) are written anyway.
	w2 := &deadlineWriter{setErr: os.ErrNoDeadline}
	b2, err := New(w2, Config{}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.Write([]float64{0, 0}, 0); err != nil || w2.Len() != 12 {
		t.Fatalf("Write to a writer without deadlines = %v, %d bytes", err, w2.Len())
	}

	// Any other failure to set the deadline stops the write.
	w3 := &deadlineWriter{setErr: os.ErrClosed}
	b3, err := New(w3, Config{}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	if err := b3.Write([]float64{0, 0}, 0); !errors.Is(err, os.ErrClosed) || !strings.Contains(err.Error(), "channel 0") || w3.Len() != 0 {
		t.Fatalf("Write with a failing deadline = %v after %d bytes", err, w3.Len())
	}
}

func TestNewRejects(t *testing.T) {
	badCh := testCals()
	badCh[2].Channel = 24
	var buf bytes.Buffer
	tests := []struct {
		name string
		cfg  Config
		cals servo.Calibrations
		want string
	}{
		{"odd baud", Config{Baud: 115201}, testCals(), "Baud: 115201 bit/s is not one of"},
		{"negative timeout", Config{WriteTimeout: -time.Second}, testCals(), "WriteTimeout: -1s is negative"},
		{"channel 24", Config{}, badCh, `servos[2] (joint "gripper"): channel: 24 is above this board's last channel 23`},
		{"no calibrations", Config{}, nil, "servos: empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(&buf, tc.cfg, tc.cals)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tc.want)
			}
			if _, err := Open(Config{Device: "/nonexistent/tty", Baud: tc.cfg.Baud, WriteTimeout: tc.cfg.WriteTimeout}, tc.cals); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want the same check before touching the device", err)
			}
		})
	}
	if _, err := New(nil, Config{}, testCals()); err == nil {
		t.Fatal("New(nil writer) succeeded")
	}
	if _, err := Open(Config{}, testCals()); err == nil || !strings.Contains(err.Error(), "Device: empty") {
		t.Fatalf("Open without a device = %v", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("rejected constructors wrote % x", buf.Bytes())
	}
}

func TestClosedNew(t *testing.T) {
	var buf bytes.Buffer
	b, err := New(&buf, Config{}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Write([]float64{0, 0}, 0); !errors.Is(err, servo.ErrClosed) {
		t.Fatalf("Write after Close = %v", err)
	}
	if err := b.Release(); !errors.Is(err, servo.ErrClosed) {
		t.Fatalf("Release after Close = %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("closed backend wrote % x", buf.Bytes())
	}
}

// lockedBuffer lets the race detector see concurrent writes as synchronised
// only by the Backend.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	if !l.mu.TryLock() {
		return 0, errors.New("concurrent Write calls reached the port")
	}
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func TestConcurrentWritesDoNotInterleave(t *testing.T) {
	w := &lockedBuffer{}
	b, err := New(w, Config{}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				var err error
				if (g+i)%7 == 0 {
					err = b.Release()
				} else {
					err = b.Write([]float64{float64(g) / 10, float64(i) / 1000}, 0.5)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Every 12-byte frame is three well-formed commands for channels 0, 4, 23.
	r := bytes.NewReader(w.buf.Bytes())
	for n := 0; r.Len() > 0; n++ {
		c, err := DecodeSetTarget(r)
		if err != nil {
			t.Fatalf("command %d: %v", n, err)
		}
		if want := []uint8{0, 4, 23}[n%3]; c.Channel != want {
			t.Fatalf("command %d is for channel %d, want %d: writes interleaved", n, c.Channel, want)
		}
	}
	if got := w.buf.Len(); got != 400*12 {
		t.Fatalf("wrote %d bytes, want %d", got, 400*12)
	}
}

func TestWritePulseBytes(t *testing.T) {
	tests := []struct {
		name        string
		channel, us int
		want        []byte
	}{
		{"base centre", 0, 1500, []byte{0x84, 0x00, 0x70, 0x2E}},
		{"elbow below its calibrated minimum", 4, 400, cmds(SetTarget{4, 1600})},
		{"gripper at the absolute maximum", 23, servo.MaxPulseUS, cmds(SetTarget{23, 16000})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &deadlineWriter{}
			b, err := New(w, Config{}, testCals())
			if err != nil {
				t.Fatal(err)
			}
			if err := b.WritePulse(tc.channel, tc.us); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(w.Bytes(), tc.want) {
				t.Fatalf("wrote % x\nwant  % x", w.Bytes(), tc.want)
			}
			if len(w.deadlines) != 1 {
				t.Fatalf("%d write deadlines set, want 1", len(w.deadlines))
			}
		})
	}
}

func TestWritePulseRejects(t *testing.T) {
	var buf bytes.Buffer
	b, err := New(&buf, Config{Device: "/dev/ttyACM0"}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		channel, us int
		want        string
	}{
		{"uncalibrated channel", 1, 1500, "serial /dev/ttyACM0: channel 1: no servo is calibrated on it; use one of 0, 4, 23"},
		{"too short", 4, 99, `joint "elbow" (channel 4): pulse 99 µs is outside 100..4000 µs`},
		{"too long", 23, 4001, `joint "gripper" (channel 23): pulse 4001 µs`},
	} {
		if err := b.WritePulse(tc.channel, tc.us); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: WritePulse = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if buf.Len() != 0 {
		t.Fatalf("rejected pulses wrote % x", buf.Bytes())
	}
	gone := errors.New("device went away")
	b2, err := New(&shortWriter{err: gone}, Config{}, testCals())
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.WritePulse(4, 1500); !errors.Is(err, gone) || !strings.Contains(err.Error(), `channel 4 (joint "elbow"): set 1500 µs`) {
		t.Fatalf("WritePulse on a failing port = %v", err)
	}
	b.Close()
	if err := b.WritePulse(0, 1500); !errors.Is(err, servo.ErrClosed) {
		t.Fatalf("WritePulse after Close = %v, want ErrClosed", err)
	}
}
