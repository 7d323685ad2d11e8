package controller

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// docReply returns the reply line docs/protocol.md shows right after the
// request line req (nth occurrence, from 0).
func docReply(t *testing.T, req string, nth int) string {
	t.Helper()
	f, err := os.Open("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	found := false
	for sc.Scan() {
		line := sc.Text()
		if found {
			if r, ok := strings.CutPrefix(line, "← "); ok {
				return r
			}
			t.Fatalf("docs: %s is not followed by a reply", req)
		}
		if line == "→ "+req {
			if nth == 0 {
				found = true
			}
			nth--
		}
	}
	t.Fatalf("docs/protocol.md has no example %s", req)
	return ""
}

// TestDocExamplesMatchServer: the examples in docs/protocol.md whose text
// comes from this server are exactly what it sends.
func TestDocExamplesMatchServer(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial()
	steps := []struct {
		req string
		nth int
	}{
		{seedLine, 0},
		{`{"type":"command","id":9,"x":280,"y":250,"z":320}`, 0},
		{`{"type":"command","id":10,"x":900,"y":0,"z":0}`, 0},
		{`{"type":"ping","id":42}`, 0},
		{`{"type":"stop","id":"estop-1"}`, 0},
		{`{"type":"command","id":12,"x":120,"y":35.5,"z":210}`, 0},
		{`{"type":"reset","id":3}`, 0},
		{`{"type":"home"}`, 0},
		{`{"type":"subscribe","id":6}`, 0},
		{`{"type":"subscribe","id":8,"rate_hz":100}`, 0},
		{`{"type":"subscribe","id":9,"rate_hz":0}`, 0},
	}
	for _, s := range steps {
		c.send(s.req)
		got := c.recvRaw()
		for strings.Contains(got, `"type":"event"`) { // after subscribing
			got = c.recvRaw()
		}
		if want := docReply(t, s.req, s.nth); got != want {
			t.Errorf("%s\n server %s\n   docs %s", s.req, got, want)
		}
	}

	d := h.dial()
	wantOK(t, d.do(`{"type":"stop"}`), "Stopped")
	wantOK(t, d.do(`{"type":"hello","version":1,"client":"aether_bridge"}`), "hello aether_bridge, role control")
	c.conn.Close() // frees the lease
	eventually(t, "lease freed", func() bool { return h.srv.State().Control == "" })
	wantOK(t, d.do(`{"type":"reset"}`), "Reset")
	dup := `{"type":"command","id":21,"x":150,"y":-20,"z":180}`
	for i, req := range []string{dup, dup, `{"type":"command","id":21,"x":200,"y":0,"z":100}`} {
		d.send(req)
		if got, want := d.recvRaw(), docReply(t, req, []int{0, 1, 0}[i]); got != want {
			t.Errorf("%s\n server %s\n   docs %s", req, got, want)
		}
	}
}
