package protocol

import (
	"bytes"
	"fmt"
	"io"
)

// ErrLineTooLong is the error kind returned by LineReader.ReadLine for a line
// longer than its limit. Match it with errors.Is (the returned *Error names
// the actual limit).
var ErrLineTooLong = &Error{Code: CodeLineTooLong, Message: "line too long"}

// LineReader splits a byte stream into lines with bounded memory: it never
// holds more than maxLine+2 bytes, however long a line is.
//
// It is resumable: when the underlying Read fails with a non-EOF error (e.g. a
// deadline), the partial line is kept and the next ReadLine continues it.
// A LineReader is not safe for concurrent use.
type LineReader struct {
	r       io.Reader
	maxLine int
	buf     []byte // len(buf) = maxLine+2: a full line plus "\r\n"
	start   int    // unread data is buf[start:end]
	end     int
	scanned int    // bytes of buf[start:end] already known to hold no '\n'
	discard bool   // dropping the rest of an overlong line
	eof     bool   // the reader returned io.EOF
	tooLong *Error // returned for overlong lines
}

// NewLineReader returns a LineReader over r. maxLine is the longest line in
// bytes, not counting its terminator; <= 0 means DefaultMaxLine.
func NewLineReader(r io.Reader, maxLine int) *LineReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &LineReader{
		r:       r,
		maxLine: maxLine,
		buf:     make([]byte, maxLine+2),
		tooLong: &Error{Code: CodeLineTooLong, Message: fmt.Sprintf("line longer than %d bytes: send one JSON object per line, each shorter than that", maxLine)},
	}
}

// MaxLine returns the line limit in bytes.
func (lr *LineReader) MaxLine() int { return lr.maxLine }

// ReadLine returns the next non-blank line without its "\n" or "\r\n". The
// slice is valid until the next call. Errors:
//   - an *Error matching ErrLineTooLong for a line over the limit, returned
//     once the rest of that line has been skipped; the next call reads on;
//   - io.EOF at a clean end of stream;
//   - io.ErrUnexpectedEOF when the stream ends in the middle of a line;
//   - any other Read error as is; the partial line is kept for the next call.
func (lr *LineReader) ReadLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.start+lr.scanned:lr.end], '\n'); i >= 0 {
			nl := lr.start + lr.scanned + i
			line := lr.buf[lr.start:nl]
			lr.start, lr.scanned = nl+1, 0
			if lr.discard {
				lr.discard = false
				return nil, lr.tooLong
			}
			line = bytes.TrimSuffix(line, []byte{'\r'})
			if len(line) > lr.maxLine {
				return nil, lr.tooLong
			}
			if isBlank(line) {
				continue
			}
			return line, nil
		}
		lr.scanned = lr.end - lr.start
		if lr.discard || lr.scanned >= lr.maxLine+2 {
			// No terminator within maxLine+2 bytes: the line is too long
			// whatever follows. Drop what we hold and skip to its '\n'.
			lr.discard = true
			lr.start, lr.end, lr.scanned = 0, 0, 0
		}
		if lr.eof {
			return nil, lr.finish()
		}
		if lr.start > 0 {
			lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
			lr.start = 0
		}
		if err := lr.fill(); err != nil {
			if err != io.EOF {
				return nil, err
			}
			lr.eof = true
		}
	}
}

// finish reports the end of stream once all complete lines are consumed.
func (lr *LineReader) finish() error {
	rest := lr.buf[lr.start:lr.end]
	lr.start, lr.end, lr.scanned = 0, 0, 0
	if lr.discard {
		lr.discard = false
		return lr.tooLong
	}
	if !isBlank(rest) {
		return io.ErrUnexpectedEOF
	}
	return io.EOF
}

// fill reads at least one byte into buf[end:], or returns an error.
func (lr *LineReader) fill() error {
	for range 100 {
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
