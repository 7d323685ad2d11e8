package controller

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestServoDocExamples: the §12 examples of docs/protocol.md (marked with
// ">" and "<", since pkg/protocol cannot decode them) are exactly what the
// server sends, in order, on one connection after a hello.
func TestServoDocExamples(t *testing.T) {
	f, err := os.Open("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type pair struct{ req, reply string }
	var pairs []pair
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	fenced := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			continue
		}
		if r, ok := strings.CutPrefix(line, "> "); ok {
			pairs = append(pairs, pair{req: r})
		} else if r, ok := strings.CutPrefix(line, "< "); ok {
			if len(pairs) == 0 || pairs[len(pairs)-1].reply != "" {
				t.Fatalf("docs: reply %s without a request before it", r)
			}
			pairs[len(pairs)-1].reply = r
		}
	}
	if len(pairs) < 8 {
		t.Fatalf("found %d servo examples in docs/protocol.md, want at least 8", len(pairs))
	}
	h := newHarness(t, Config{Watchdog: 1 << 40})
	c := h.dial()
	wantOK(t, c.do(`{"type":"hello","version":1}`), "hello "+c.conn.LocalAddr().String()+", role control")
	for _, p := range pairs {
		c.send(p.req)
		if got := c.recvRaw(); got != p.reply {
			t.Errorf("%s\n server %s\n   docs %s", p.req, got, p.reply)
		}
	}
}
