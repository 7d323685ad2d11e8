package protocol

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestDocExamples decodes every example line of docs/protocol.md: lines
// starting with "→ " (requests) or "← " (replies and events) inside fenced
// blocks. A reply right after a request must echo its id; when the request
// fails to decode, the reply must be exactly the error reply DecodeRequest
// produces. Every reply must re-encode to exactly the documented bytes.
func TestDocExamples(t *testing.T) {
	f, err := os.Open("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var (
		fenced    bool
		requests  int
		replies   int
		lastReq   *Request
		lastErr   *Error
		lastLine  string
		sawSeed   bool
		sawPushed bool
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if strings.HasPrefix(text, "```") {
			fenced = !fenced
			lastReq = nil
			continue
		}
		if !fenced {
			continue
		}
		switch {
		case strings.HasPrefix(text, "→ "):
			requests++
			line := strings.TrimPrefix(text, "→ ")
			req, derr := DecodeRequest([]byte(line))
			lastReq, lastErr, lastLine = &req, derr, line
			if line == `{"type":"command","x":120.0,"y":35.5,"z":210.0,"gripper":"open"}` {
				sawSeed = derr == nil
			}
		case strings.HasPrefix(text, "← "):
			replies++
			line := strings.TrimPrefix(text, "← ")
			resp, err := DecodeResponse([]byte(line))
			if err != nil {
				t.Errorf("docs line %d: reply does not decode: %v\n%s", n, err, line)
				continue
			}
			var w countingWriter
			if err := EncodeResponse(&w, &resp); err != nil {
				t.Errorf("docs line %d: %v", n, err)
			} else if got := string(w.line(t)); got != line {
				t.Errorf("docs line %d: reply is not what the encoder writes:\n doc %s\n enc %s", n, line, got)
			}
			if resp.Type == TypeEvent {
				sawPushed = true
				if !resp.ID.IsZero() {
					t.Errorf("docs line %d: an event carries an id", n)
				}
				continue
			}
			if lastReq == nil {
				t.Errorf("docs line %d: reply without a request before it", n)
				continue
			}
			if lastErr != nil {
				want := lastErr.Response(lastReq.ID)
				if resp != want {
					t.Errorf("docs line %d: request %s fails to decode, so the reply must be\n%+v\ngot\n%+v", n, lastLine, want, resp)
				}
			} else if resp.ID != lastReq.ID {
				t.Errorf("docs line %d: reply id %q, request id %q", n, resp.ID, lastReq.ID)
			}
			lastReq = nil
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if fenced {
		t.Error("unterminated fenced block")
	}
	if requests < 20 || replies < 20 || !sawSeed || !sawPushed {
		t.Errorf("found %d requests, %d replies, seed %v, event %v: examples missing or unmarked", requests, replies, sawSeed, sawPushed)
	}
}
