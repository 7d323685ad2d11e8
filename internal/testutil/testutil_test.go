package testutil

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEventuallyWaitsForTheCondition(t *testing.T) {
	var n atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			n.Add(1)
		}
	}()
	Eventually(t, 5*time.Second, "n to reach 5", func() bool { return n.Load() == 5 })
	<-done
}

// failRecorder records Fatalf instead of stopping the goroutine's test.
type failRecorder struct {
	testing.TB
	failed string
}

func (f *failRecorder) Helper() {}
func (f *failRecorder) Fatalf(format string, args ...any) {
	f.failed = format
	panic(f) // stop Eventually like runtime.Goexit would
}

func TestEventuallyFailsAfterTheDeadline(t *testing.T) {
	r := &failRecorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		Eventually(r, 20*time.Millisecond, "never", func() bool { return false })
	}()
	if r.failed == "" {
		t.Fatal("Eventually returned for a condition that never held")
	}
}

func TestSyncBufferConcurrentWrites(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { _, _ = b.Write([]byte("x")) })
	}
	wg.Wait()
	if got := b.String(); got != "xxxxxxxx" {
		t.Fatalf("got %q", got)
	}
}
