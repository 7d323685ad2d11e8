package bridge

import (
	"fmt"
	"log/slog"
	"strings"
)

// ROS log severities (rcutils), as /rosout's rcl_interfaces/msg/Log levels
// are derived from them.
const (
	SeverityDebug = 10
	SeverityInfo  = 20
	SeverityWarn  = 30
	SeverityError = 40
)

// RosSeverity maps a slog level onto the ROS severity of the same meaning:
// below Info is debug, below Warn info, below Error warn, the rest error.
func RosSeverity(l slog.Level) int {
	switch {
	case l < slog.LevelInfo:
		return SeverityDebug
	case l < slog.LevelWarn:
		return SeverityInfo
	case l < slog.LevelError:
		return SeverityWarn
	}
	return SeverityError
}

// LogText is a log record as one /rosout line: the message, then the
// handler's attributes (from Logger.With) and the record's, as key=value
// (values with spaces quoted), the way slog's text handler writes them.
func LogText(r slog.Record, with []slog.Attr) string {
	var b strings.Builder
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		if a.Equal(slog.Attr{}) {
			return true
		}
		v := a.Value.Resolve().String()
		if strings.ContainsAny(v, " \t\"=") || v == "" {
			v = fmt.Sprintf("%q", v)
		}
		b.WriteString(" " + a.Key + "=" + v)
		return true
	}
	for _, a := range with {
		add(a)
	}
	r.Attrs(add)
	return b.String()
}
