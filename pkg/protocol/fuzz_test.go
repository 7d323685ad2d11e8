package protocol

import (
	"reflect"
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
