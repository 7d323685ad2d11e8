package tokenfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadTakesTheOneNonEmptyLineTrimmed(t *testing.T) {
	for _, text := range []string{"s3cret", "s3cret\n", "  s3cret \r\n", "\n\n s3cret\n\n", "\ts3cret\t"} {
		got, err := Read(write(t, text))
		if err != nil || got != "s3cret" {
			t.Errorf("Read(%q) = %q, %v; want s3cret", text, got, err)
		}
	}
}

func TestReadKeepsInnerSpace(t *testing.T) {
	if got, err := Read(write(t, " two words \n")); err != nil || got != "two words" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestReadRefusesSeveralLinesNamingFileAndLines(t *testing.T) {
	p := write(t, "s3cret\n\nignored\n")
	_, err := Read(p)
	if err == nil {
		t.Fatal("a two-line token file was accepted")
	}
	for _, want := range []string{p, "2 non-empty lines", "lines 1 and 3", "on one line"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestReadEmpty(t *testing.T) {
	p := write(t, " \n\t\n")
	_, err := Read(p)
	if !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v; want ErrEmpty naming %s", err, p)
	}
}

func TestReadMissingNamesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope")
	_, err := Read(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "no such file") || strings.Contains(err.Error(), "open ") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseListsManyLines(t *testing.T) {
	_, err := Parse("f", "a\nb\nc\n")
	if err == nil || !strings.Contains(err.Error(), "lines 1, 2 and 3") {
		t.Fatalf("err = %v", err)
	}
}
