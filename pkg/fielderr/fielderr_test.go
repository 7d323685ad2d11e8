package fielderr

import (
	"errors"
	"fmt"
	"testing"
)

func TestRenameJoinedErrors(t *testing.T) {
	other := errors.New("arm file: bad")
	err := errors.Join(New("MaxLine", "%d bytes is too short", 12), New("Unmapped", "bad"), other)
	got := Rename(err, map[string]string{"MaxLine": "--max-line"}).Error()
	want := "--max-line: 12 bytes is too short\nUnmapped: bad\narm file: bad"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestRenameSingleAndNil(t *testing.T) {
	if Rename(nil, nil) != nil {
		t.Fatal("Rename(nil) is not nil")
	}
	if got := Rename(New("Token", "has spaces"), map[string]string{"Token": "--token-file"}).Error(); got != "--token-file: has spaces" {
		t.Fatalf("got %q", got)
	}
	// A wrapped *Error keeps its wrapping text, so it is not re-worded.
	wrapped := fmt.Errorf("config: %w", New("Token", "x"))
	if Rename(wrapped, map[string]string{"Token": "t"}) != wrapped {
		t.Fatal("a wrapped error was rebuilt")
	}
}
