package protocol

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode checks that DecodeRequest never panics, that its errors carry a
// decode-level code, a message and an echoable ID, and that a request that
// decodes survives EncodeRequest → DecodeRequest unchanged.
func FuzzDecode(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.line))
	}
	decodeCodes := map[Code]bool{
		CodeInvalidJSON: true, CodeInvalidCommand: true, CodeMissingField: true,
		CodeBadType: true, CodeOutOfRange: true, CodeUnsupportedVersion: true,
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := DecodeRequest(line)
		if err != nil {
			if !decodeCodes[err.Code] || err.Message == "" {
				t.Fatalf("DecodeRequest(%q): bad error %+v", line, err)
			}
			if !req.ID.IsZero() {
				if cerr := checkID([]byte(req.ID)); cerr != nil {
					t.Fatalf("DecodeRequest(%q) returned unechoable ID %q", line, req.ID)
				}
			}
			return
		}
		var w countingWriter
		if err := EncodeRequest(&w, &req); err != nil {
			t.Fatalf("EncodeRequest of %q (from %q): %v", dump(req), line, err)
		}
		back, derr := DecodeRequest(w.line(t))
		if derr != nil {
			t.Fatalf("re-decode of %q (from %q): %v", w.buf.Bytes(), line, derr)
		}
		if !reflect.DeepEqual(back, req) {
			t.Fatalf("round trip of %q via %q\n got %s\nwant %s", line, w.buf.Bytes(), dump(back), dump(req))
		}
	})
}

// responseSeeds are reply and event lines for FuzzDecodeResponse's seed
// corpus: one of each shape the controller sends, and near misses.
var responseSeeds = []string{
	`{"status":"ok","message":"Command received"}`,
	`{"status":"error","message":"target unreachable","id":7,"code":"unreachable"}`,
	`{"status":"ok","message":"hello b, role control","type":"hello","id":"h","server":{"protocol":1,"name":"n","arm":"a","joints":[{"name":"base","min_deg":-90,"max_deg":90}],"arm_hash":"sha256:1","capabilities":["subscribe","ttl_ms"]}}`,
	`{"status":"ok","message":"state","type":"event","state":{"joints":[{"name":"base","deg":12.5}],"gripper":0.5,"pose":{"x":150,"y":-20,"z":180},"moving":true,"estopped":false,"last_id":7,"watchdog":"ok","control":"aether_bridge","time_ms":1767225600100}}`,
	`{"status":"ok","message":"Command received","id":3,"clamped":{"x":212.5,"y":0,"z":-0.5}}`,
	`{"status":"ok","message":"pong","type":"pong","id":18446744073709551615}`,
	`{"status":"maybe","message":"m"}`,
	`{"status":"ok","id":1.5}`,
	`{"status":"ok","state":{"last_id":true}}`,
	`{"status":"ok","message":"\u00e9\ud83d\ude00","id":"\u0041"}`,
	`[]`, `null`, `{`,
}

// FuzzDecodeResponse checks that DecodeResponse never panics, that what
// it accepts has a valid status, and that an accepted reply survives
// EncodeResponse → DecodeResponse unchanged (what the bridge reads is
// what the controller meant).
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range responseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := DecodeResponse(line)
		if err != nil {
			return
		}
		if r.Status != StatusOK && r.Status != StatusError {
			t.Fatalf("DecodeResponse(%q) accepted status %q", line, r.Status)
		}
		var w countingWriter
		if err := EncodeResponse(&w, &r); err != nil {
			t.Fatalf("EncodeResponse of %+v (from %q): %v", r, line, err)
		}
		back, err := DecodeResponse(w.line(t))
		if err != nil {
			t.Fatalf("re-decode of %q (from %q): %v", w.buf.Bytes(), line, err)
		}
		if !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip of %q via %q\n got %+v\nwant %+v", line, w.buf.Bytes(), back, r)
		}
	})
}

// chunkReader returns data in the chunk sizes sizes gives (cycling; 0 is
// a read of nothing with errAgain, like a deadline that passed, and the
// read after it makes progress), then io.EOF.
type chunkReader struct {
	data  []byte
	sizes []byte
	n     int
	again bool // the last read returned errAgain
}

var errAgain = errors.New("deadline passed; read again")

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	size := 1
	if len(r.sizes) > 0 {
		size = int(r.sizes[r.n%len(r.sizes)])
		r.n++
	}
	if size == 0 && !r.again {
		r.again = true
		return 0, errAgain
	}
	r.again = false
	size = max(size, 1)
	n := copy(p[:min(size, len(p))], r.data)
	r.data = r.data[n:]
	return n, nil
}

// splitLines is the reference LineReader: every line the stream holds,
// "" for one over maxLine (line_too_long), and how the stream ends.
func splitLines(data []byte, maxLine int) (lines []string, end error) {
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			switch {
			case len(data) >= maxLine+2:
				return append(lines, ""), io.EOF
			case !isBlank(data):
				return lines, io.ErrUnexpectedEOF
			}
			return lines, io.EOF
		}
		line := bytes.TrimSuffix(data[:i], []byte{'\r'})
		data = data[i+1:]
		switch {
		case len(line) > maxLine:
			lines = append(lines, "")
		case !isBlank(line):
			lines = append(lines, string(line))
		}
	}
}

// FuzzLineReader feeds a stream in arbitrary chunks, with reads that fail
// and must be resumed, and checks the lines against splitLines: nothing
// lost, split, merged or invented, overlong lines reported once each,
// and the stream's end told right.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("{\"type\":\"ping\"}\n\r\n  \t\n{\"a\":1}\r\n"), []byte{1, 0, 7}, uint8(0))
	f.Add([]byte(strings.Repeat("x", 300)+"\nok\n"+strings.Repeat("y", 257)+"\r\n"), []byte{255, 0, 3}, uint8(0))
	f.Add([]byte("partial"), []byte{2}, uint8(4))
	f.Add([]byte("abcd\r\nabcde\r\nabcdef\r\n"), []byte{5}, uint8(4))
	f.Fuzz(func(t *testing.T, data, sizes []byte, small uint8) {
		maxLine := 256 // NewLineReader's smallest useful limit is the caller's; test small ones too
		if small > 0 {
			maxLine = int(small % 16)
			if maxLine == 0 {
				maxLine = 1
			}
		}
		want, wantEnd := splitLines(data, maxLine)
		lr := NewLineReader(&chunkReader{data: data, sizes: sizes}, maxLine)
		var got []string
		for again := 0; again < 10000; {
			line, err := lr.ReadLine()
			switch {
			case err == nil:
				if len(line) > maxLine || isBlank(line) || bytes.IndexByte(line, '\n') >= 0 {
					t.Fatalf("bad line %q (max %d)", line, maxLine)
				}
				got = append(got, string(line))
			case errors.Is(err, ErrLineTooLong):
				got = append(got, "")
			case errors.Is(err, errAgain):
				again++
			default:
				if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Fatalf("lines of %q (max %d, chunks %v)\n got %q\nwant %q", data, maxLine, sizes, got, want)
				}
				if err != wantEnd {
					t.Fatalf("end of %q: %v, want %v", data, err, wantEnd)
				}
				return
			}
		}
		t.Fatalf("ReadLine never ended on %q", data)
	})
}
