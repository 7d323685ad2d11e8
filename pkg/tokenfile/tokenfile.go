// Package tokenfile reads the shared-token file that aether_controller
// (--token-file) and aether_bridge (token_file) both take, so the two sides
// always agree on the token a file holds.
//
// The token is the file's one non-empty line with surrounding white space
// removed: a trailing newline, a CRLF line end or blank lines around it do
// not matter. A file with two or more non-empty lines is refused, because
// one side taking the first line and the other the whole file is how they
// used to disagree.
package tokenfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// ErrEmpty is wrapped by Read's error when the file holds only white space.
var ErrEmpty = errors.New("is empty")

// Read returns the token in the file at path. Its errors name the file and,
// for a file with several non-empty lines, say which lines and what to do;
// callers prefix the flag or parameter the path came from and, for
// ErrEmpty, their own fix.
func Read(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named below; drop "open"
		}
		return "", fmt.Errorf("token file %s cannot be read (%v)", path, err)
	}
	return Parse(path, string(b))
}

// Parse returns the token in text, the contents of the file named name (used
// only in errors). It is Read without the file system.
func Parse(name, text string) (string, error) {
	var token string
	var lines []int
	for i, line := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(line); t != "" {
			token = t
			lines = append(lines, i+1)
		}
	}
	switch {
	case len(lines) == 0:
		return "", fmt.Errorf("token file %s %w", name, ErrEmpty)
	case len(lines) > 1:
		return "", fmt.Errorf("token file %s has %d non-empty lines (lines %s): a token file holds the token alone, on one line; remove the others",
			name, len(lines), joinInts(lines))
	}
	return token, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	if len(s) > 1 {
		return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
	}
	return s[0]
}
