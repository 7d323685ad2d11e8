package controller

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"strconv"
	"time"
)

// tokenMatches compares in constant time; hashing first hides the length.
func tokenMatches(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// maxLogLine caps how much of a line verbose logging shows.
const maxLogLine = 1024

// redact returns line for a log, unless it may carry a token: a decoded
// token, the server's token, a "token" key (any case) or a \u escape that
// could spell one. Those lines are summarised instead.
func redact(line []byte, reqToken, serverToken string) string {
	switch {
	case reqToken != "",
		serverToken != "" && bytes.Contains(line, []byte(serverToken)),
		bytes.Contains(bytes.ToLower(line), []byte("oken")),
		bytes.Contains(line, []byte(`\u`)):
		return "(" + strconv.Itoa(len(line)) + " bytes not shown: may hold a token)"
	case len(line) > maxLogLine:
		return string(line[:maxLogLine]) + "… (" + strconv.Itoa(len(line)) + " bytes)"
	}
	return string(line)
}

// bucket is a token bucket on the controller's clock: burst n, refilled at
// n per second.
type bucket struct {
	tokens, rate float64
	last         time.Time
}

func newBucket(perSecond float64, now time.Time) bucket {
	return bucket{tokens: perSecond, rate: perSecond, last: now}
}

// take spends one token; false when none is left.
func (b *bucket) take(now time.Time) bool {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.rate, b.tokens+dt*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
