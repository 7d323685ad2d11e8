package main

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aether-lab/aether-bridge/pkg/tlsutil"
)

func TestMakesAPairAndPrintsItsFingerprint(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	var out bytes.Buffer
	if err := run([]string{"-host", "pi.lab", "-cert", cert, "-key", key}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := tlsutil.ServerConfig(cert, key); err != nil {
		t.Fatalf("the written pair does not load: %v", err)
	}
	fp, err := tlsutil.FileFingerprint(cert)
	if err != nil || !strings.Contains(out.String(), fp) {
		t.Fatalf("output %q lacks the fingerprint %s (%v)", out.String(), fp, err)
	}
	out.Reset()
	if err := run([]string{"-fingerprint", cert}, &out, io.Discard); err != nil || out.String() != fp+"\n" {
		t.Fatalf("-fingerprint: %q, %v", out.String(), err)
	}
	if err := run([]string{"-cert", cert, "-key", key}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrite without --force: %v", err)
	}
	if err := run([]string{"-cert", cert, "-key", key, "-force"}, io.Discard, io.Discard); err != nil {
		t.Fatalf("--force: %v", err)
	}
	if fp2, _ := tlsutil.FileFingerprint(cert); fp2 == fp {
		t.Fatal("--force kept the old certificate")
	}
}
