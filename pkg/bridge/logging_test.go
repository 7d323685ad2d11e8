package bridge

import (
	"log/slog"
	"testing"
	"time"
)

func TestRosSeverity(t *testing.T) {
	for l, want := range map[slog.Level]int{
		slog.LevelDebug - 4: SeverityDebug, slog.LevelDebug: SeverityDebug, slog.LevelInfo: SeverityInfo,
		slog.LevelInfo + 2: SeverityInfo, slog.LevelWarn: SeverityWarn, slog.LevelError: SeverityError,
		slog.LevelError + 8: SeverityError,
	} {
		if got := RosSeverity(l); got != want {
			t.Errorf("RosSeverity(%v) = %d, want %d", l, got, want)
		}
	}
}

func TestLogText(t *testing.T) {
	r := slog.NewRecord(time.Now(), slog.LevelWarn, "command refused", 0)
	r.AddAttrs(slog.String("code", "unreachable"), slog.String("message", "too far away"), slog.Int("id", 7))
	got := LogText(r, []slog.Attr{slog.String("node", "/arm2/aether_bridge")})
	want := `command refused node=/arm2/aether_bridge code=unreachable message="too far away" id=7`
	if got != want {
		t.Fatalf("LogText = %q\nwant      %q", got, want)
	}
}
