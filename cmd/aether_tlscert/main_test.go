package main

import (
	"bytes"
	"io"
	"os"
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

// --force writes the key readable by its owner only, also over a key file
// that was readable by all; without --force an existing certificate stops
// the run before a new key is written beside it.
func TestForceKeepsTheKeyPrivateAndNothingIsHalfWritten(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	if err := os.WriteFile(cert, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-cert", cert, "-key", key}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), cert) {
		t.Fatalf("existing certificate: %v, want it named", err)
	}
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Fatalf("a key was written beside the old certificate (%v)", err)
	}
	if err := os.WriteFile(key, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-cert", cert, "-key", key, "-force"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode after --force: %v (%v), want 0600", st.Mode().Perm(), err)
	}
}
