package protocol

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads lines until an error and returns them with that error.
func readAll(lr *LineReader) ([]string, error) {
	var lines []string
	for {
		b, err := lr.ReadLine()
		if err != nil {
			return lines, err
		}
		lines = append(lines, string(b))
	}
}

func TestLineReaderFraming(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		err      error
	}{
		{"lf", "a\nb\n", []string{"a", "b"}, io.EOF},
		{"crlf", "a\r\nb\r\n", []string{"a", "b"}, io.EOF},
		{"mixed", "a\r\nb\nc\r\n", []string{"a", "b", "c"}, io.EOF},
		{"blank lines", "\n\r\n  \t \n a \n\n\nb\n\r\n", []string{" a ", "b"}, io.EOF},
		{"inner cr kept", "a\rb\n", []string{"a\rb"}, io.EOF},
		{"empty stream", "", nil, io.EOF},
		{"only blanks", "\n \r\n", nil, io.EOF},
		{"partial last line", "a\n{\"type\":\"pi", []string{"a"}, io.ErrUnexpectedEOF},
		{"partial cr", "a\nb\r", []string{"a"}, io.ErrUnexpectedEOF},
		{"blank partial is clean", "a\n  ", []string{"a"}, io.EOF},
	} {
		for _, slow := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tc.in)
			if slow {
				r = iotest.OneByteReader(r)
			}
			lines, err := readAll(NewLineReader(r, 16))
			if err != tc.err || strings.Join(lines, "|") != strings.Join(tc.want, "|") || len(lines) != len(tc.want) {
				t.Errorf("%s (one byte reads %v): got %q, %v; want %q, %v", tc.name, slow, lines, err, tc.want, tc.err)
			}
		}
	}
}

func TestLineReaderEOFIsSticky(t *testing.T) {
	lr := NewLineReader(strings.NewReader("a\nhalf"), 0)
	if _, err := readAll(lr); err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
	}
	for range 2 {
		if _, err := lr.ReadLine(); err != io.EOF {
			t.Fatalf("after the partial line: %v, want io.EOF", err)
		}
	}
}

func TestLineReaderLimit(t *testing.T) {
	const max = 8
	ok8 := strings.Repeat("x", max)
	long9 := strings.Repeat("y", max+1)
	for _, tc := range []struct {
		name, in string
		want     []string // "!" marks an ErrLineTooLong
	}{
		{"exactly max", ok8 + "\n", []string{ok8}},
		{"exactly max crlf", ok8 + "\r\n", []string{ok8}},
		{"max plus one", long9 + "\nok\n", []string{"!", "ok"}},
		{"max plus one crlf", long9 + "\r\nok\n", []string{"!", "ok"}},
		{"much longer", strings.Repeat("z", 100) + "\nok\n", []string{"!", "ok"}},
		{"two long in a row", strings.Repeat("z", 30) + "\n" + strings.Repeat("w", 30) + "\r\nok\n", []string{"!", "!", "ok"}},
		{"long then eof", "ok\n" + strings.Repeat("z", 30), []string{"ok", "!"}},
		{"long line of blanks", strings.Repeat(" ", 30) + "\nok\n", []string{"!", "ok"}},
	} {
		for _, slow := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tc.in)
			if slow {
				r = iotest.OneByteReader(r)
			}
			lr := NewLineReader(r, max)
			var got []string
			for {
				b, err := lr.ReadLine()
				if err == io.EOF {
					break
				}
				if errors.Is(err, ErrLineTooLong) {
					var pe *Error
					if !errors.As(err, &pe) || pe.Code != CodeLineTooLong || !strings.Contains(pe.Message, "8 bytes") {
						t.Fatalf("%s: error %v should be a line_too_long *Error naming the limit", tc.name, err)
					}
					got = append(got, "!")
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				got = append(got, string(b))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("%s (one byte reads %v): got %q, want %q", tc.name, slow, got, tc.want)
			}
		}
	}
}

func TestLineReaderDefaultLimit(t *testing.T) {
	if got := NewLineReader(strings.NewReader(""), 0).MaxLine(); got != DefaultMaxLine {
		t.Fatalf("MaxLine = %d, want %d", got, DefaultMaxLine)
	}
	in := strings.Repeat("a", DefaultMaxLine) + "\n" + strings.Repeat("b", DefaultMaxLine+1) + "\nc\n"
	lr := NewLineReader(strings.NewReader(in), -1)
	if b, err := lr.ReadLine(); err != nil || len(b) != DefaultMaxLine {
		t.Fatalf("max line: %d bytes, %v", len(b), err)
	}
	if _, err := lr.ReadLine(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("over max: %v", err)
	}
	if b, err := lr.ReadLine(); err != nil || string(b) != "c" {
		t.Fatalf("after: %q, %v", b, err)
	}
}

// TestLineReaderHugeLineBoundedMemory skips a 1 MiB line and reads the next
// one while allocating less than 2×maxLine bytes in total.
func TestLineReaderHugeLineBoundedMemory(t *testing.T) {
	const max = DefaultMaxLine
	src := &patternReader{parts: []part{{'a', 1 << 20}, {'\n', 1}, {'{', 1}, {'}', 1}, {'\n', 1}}}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	lr := NewLineReader(src, max)
	_, err1 := lr.ReadLine()
	line, err2 := lr.ReadLine()
	_, err3 := lr.ReadLine()
	runtime.ReadMemStats(&after)

	if !errors.Is(err1, ErrLineTooLong) {
		t.Fatalf("first ReadLine: %v, want ErrLineTooLong", err1)
	}
	if err2 != nil || string(line) != "{}" {
		t.Fatalf("second ReadLine: %q, %v; want {}", line, err2)
	}
	if err3 != io.EOF {
		t.Fatalf("third ReadLine: %v, want io.EOF", err3)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n >= 2*max {
		t.Fatalf("allocated %d bytes skipping a 1 MiB line, want < %d", n, 2*max)
	}
}

func TestLineReaderSteadyStateAllocs(t *testing.T) {
	src := &patternReader{loop: true, parts: []part{{'x', 100}, {'\r', 1}, {'\n', 1}}}
	lr := NewLineReader(src, 0)
	allocs := testing.AllocsPerRun(1000, func() {
		if b, err := lr.ReadLine(); err != nil || len(b) != 100 {
			t.Fatalf("%d bytes, %v", len(b), err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per line, want 0", allocs)
	}
}

// TestLineReaderResumesAfterError checks that a Read error such as a
// deadline keeps the partial line, in plain and in discard mode.
func TestLineReaderResumesAfterError(t *testing.T) {
	timeout := os.ErrDeadlineExceeded
	r := &scriptReader{steps: []step{
		{data: `{"type":`}, {err: timeout}, {data: "\"ping\"}\nlo"}, {err: timeout},
		{data: "ooooooooooooooooooooong"}, {err: timeout}, {data: "ooong\r\nnext\n"},
	}}
	lr := NewLineReader(r, 20)
	var got []string
	for {
		b, err := lr.ReadLine()
		switch {
		case err == io.EOF:
			want := `T|{"type":"ping"}|T|T|!|next`
			if s := strings.Join(got, "|"); s != want {
				t.Fatalf("got %s, want %s", s, want)
			}
			return
		case errors.Is(err, timeout):
			got = append(got, "T")
		case errors.Is(err, ErrLineTooLong):
			got = append(got, "!")
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, string(b))
		}
	}
}

func TestLineReaderNoProgress(t *testing.T) {
	lr := NewLineReader(zeroReader{}, 0)
	if _, err := lr.ReadLine(); err != io.ErrNoProgress {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}

// patternReader produces runs of bytes without holding them in memory.
type patternReader struct {
	parts []part
	loop  bool
	i, n  int // current part and bytes of it already produced
}

type part struct {
	b     byte
	count int
}

func (r *patternReader) Read(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		if r.i == len(r.parts) {
			if !r.loop {
				break
			}
			r.i = 0
		}
		pt := r.parts[r.i]
		k := min(pt.count-r.n, len(p)-written)
		for j := range k {
			p[written+j] = pt.b
		}
		written += k
		r.n += k
		if r.n == pt.count {
			r.i, r.n = r.i+1, 0
		}
	}
	if written == 0 {
		return 0, io.EOF
	}
	return written, nil
}

// scriptReader returns the scripted data and errors in order, then io.EOF.
type scriptReader struct{ steps []step }

type step struct {
	data string
	err  error
}

func (r *scriptReader) Read(p []byte) (int, error) {
	if len(r.steps) == 0 {
		return 0, io.EOF
	}
	s := &r.steps[0]
	if s.err != nil {
		r.steps = r.steps[1:]
		return 0, s.err
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	if s.data == "" {
		r.steps = r.steps[1:]
	}
	return n, nil
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }
