// Command aether_tlscert makes the self-signed certificate and key that
// aether_controller --tls-cert/--tls-key serve, and prints the fingerprint
// the bridge pins with link.tls_fingerprint (or give the bridge the
// certificate file as link.tls_ca_file). Run with --help for the flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aether-lab/aether-bridge/pkg/tlsutil"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "aether_tlscert: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aether_tlscert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hosts := fs.String("host", "", "comma-separated `names` and addresses the bridge uses to reach the controller, e.g. pi.lab,192.168.1.20 (localhost, 127.0.0.1 and ::1 are always in)")
	certFile := fs.String("cert", "controller.crt", "certificate `file` to write (PEM; also the bridge's link.tls_ca_file)")
	keyFile := fs.String("key", "controller.key", "private key `file` to write (PEM, mode 0600; stays on the controller)")
	days := fs.Int("days", int(tlsutil.DefaultValidity/(24*time.Hour)), "validity in `days`")
	force := fs.Bool("force", false, "overwrite existing files")
	fpOf := fs.String("fingerprint", "", "only print the fingerprint of this certificate `file`")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: aether_tlscert [flags]\n\nMakes a self-signed certificate and key for aether_controller --tls-cert/--tls-key and\nprints the fingerprint for the bridge's link.tls_fingerprint.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: all settings are flags, see --help", fs.Arg(0))
	}
	if *fpOf != "" {
		fp, err := tlsutil.FileFingerprint(*fpOf)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, fp)
		return nil
	}
	if *days < 1 {
		return fmt.Errorf("--days %d: use at least 1", *days)
	}
	certPEM, keyPEM, err := tlsutil.SelfSigned(strings.Split(*hosts, ","), time.Now(), time.Duration(*days)*24*time.Hour)
	if err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if *force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	} else if err := refuseExisting(*keyFile, *certFile); err != nil {
		return err // before writing either: never a new key beside an old certificate
	}
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{*keyFile, keyPEM, 0o600}, {*certFile, certPEM, 0o644}} {
		if err := writeFile(f.path, f.data, flags, f.mode); err != nil {
			return err
		}
	}
	fp, err := tlsutil.FileFingerprint(*certFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n%s\n", *certFile, *keyFile, fp)
	return nil
}

// refuseExisting says which of paths exists, to be removed or --force'd.
func refuseExisting(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return existsErr(p)
		}
	}
	return nil
}

func existsErr(path string) error {
	return fmt.Errorf("%s exists: remove it or add --force (the bridge's pinned fingerprint then changes)", path)
}

// writeFile writes data to path with mode, also when --force reuses a
// file that had another mode (a key left readable by all).
func writeFile(path string, data []byte, flags int, mode os.FileMode) error {
	f, err := os.OpenFile(path, flags, mode)
	if errors.Is(err, os.ErrExist) {
		return existsErr(path)
	}
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
