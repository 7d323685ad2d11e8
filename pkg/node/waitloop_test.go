package node

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEverythingWaitsInTheWaitLoop keeps the node's wait loop complete: it
// serves only what subscribe and serve registered, so a subscription,
// service, timer or client made with an rclgo constructor anywhere else in
// the node would silently never be served.
func TestEverythingWaitsInTheWaitLoop(t *testing.T) {
	direct := regexp.MustCompile(`\bNew\w*(Subscription|Service|Timer|Client)\(`)
	allowed := map[string]bool{"waitloop.go": true, "serviceresp.go": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || allowed[f] {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if m := direct.FindString(line); m != "" {
				t.Errorf("%s:%d calls %s directly: create it with n.subscribe or serve (waitloop.go, serviceresp.go), or the wait loop never serves it", f, i+1, m)
			}
		}
	}
}
