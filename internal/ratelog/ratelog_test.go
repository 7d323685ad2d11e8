package ratelog

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aether-lab/aether-bridge/internal/testutil"
	"github.com/aether-lab/aether-bridge/pkg/clock"
)

func newLimiter(every time.Duration) (*Limiter, *testutil.SyncBuffer, *clock.Fake) {
	var buf testutil.SyncBuffer
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(&buf, nil))
	return New(log, slog.LevelWarn, every, clk), &buf, clk
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestOneLineThenOneSummaryPerInterval(t *testing.T) {
	l, buf, clk := newLimiter(time.Minute)
	for i := range 1000 {
		l.Log("a", "refused", "n", i)
	}
	l.Log("b", "refused", "n", -1)
	if got := lines(buf.String()); len(got) != 2 || !strings.Contains(got[0], "n=0") || !strings.Contains(got[1], "n=-1") {
		t.Fatalf("before the interval ends: %q, want the first event of each key", got)
	}
	clk.Advance(time.Minute)
	got := lines(buf.String())
	if len(got) != 3 || !strings.Contains(got[2], "n=999") || !strings.Contains(got[2], "repeated=999") || !strings.Contains(got[2], "within=1m0s") {
		t.Fatalf("after the interval: %q, want one summary of key a with the newest event and the count", got)
	}
	l.Log("a", "refused", "n", 1000) // a new interval: logged at once
	if got := lines(buf.String()); len(got) != 4 || strings.Contains(got[3], "repeated") {
		t.Fatalf("next interval: %q", got)
	}
	l.Close()
}

func TestQuietKeyLogsAgainAfterTheInterval(t *testing.T) {
	l, buf, clk := newLimiter(time.Second)
	l.Log("a", "x")
	clk.Advance(time.Second)
	l.Log("a", "x")
	if got := lines(buf.String()); len(got) != 2 {
		t.Fatalf("%q: an event after a quiet interval is logged at once", got)
	}
	if clk.Waiters() != 0 {
		t.Fatal("a timer was scheduled although nothing was suppressed")
	}
}

func TestCloseWritesPendingSummaries(t *testing.T) {
	l, buf, _ := newLimiter(time.Hour)
	l.Log("a", "x")
	l.Log("a", "x")
	l.Log("a", "x")
	l.Close()
	got := lines(buf.String())
	if len(got) != 2 || !strings.Contains(got[1], "repeated=2") {
		t.Fatalf("%q: Close writes the summary", got)
	}
}

func TestKeysAreBounded(t *testing.T) {
	l, buf, clk := newLimiter(time.Minute)
	for i := range 3 * MaxKeys {
		l.Log(strings.Repeat("k", 1+i%7)+string(rune(i)), "x")
	}
	if n := len(l.keys); n > MaxKeys {
		t.Fatalf("%d keys tracked, want at most %d", n, MaxKeys)
	}
	before := len(lines(buf.String()))
	clk.Advance(time.Minute)
	if got := len(lines(buf.String())) - before; got != 1 {
		t.Fatalf("%d summaries, want the one overflow summary", got)
	}
	l.Close()
}
