package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"strings"
	"testing"
	"time"
)

func TestSelfSignedVerifiesForItsHosts(t *testing.T) {
	certPEM, keyPEM, err := SelfSigned([]string{"pi.lab", " 192.168.1.20", ""}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatalf("the pair does not match: %v", err)
	}
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	for _, host := range []string{"pi.lab", "192.168.1.20", "localhost", "127.0.0.1", "::1"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: pool}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "evil.example", Roots: pool}); err == nil {
		t.Error("verifies for a host it was not made for")
	}
	if ip := net.ParseIP("192.168.1.20"); !cert.IPAddresses[len(cert.IPAddresses)-1].Equal(ip) {
		t.Errorf("IP addresses %v", cert.IPAddresses)
	}
}

func TestParseFingerprint(t *testing.T) {
	fp := Fingerprint([]byte("x"))
	hexPart := strings.TrimPrefix(fp, "sha256:")
	var colons []string
	for i := 0; i < len(hexPart); i += 2 {
		colons = append(colons, strings.ToUpper(hexPart[i:i+2]))
	}
	for _, in := range []string{fp, hexPart, strings.ToUpper(hexPart), strings.Join(colons, ":"), " " + fp + "\n"} {
		if got, err := ParseFingerprint(in); err != nil || got != fp {
			t.Errorf("ParseFingerprint(%q) = %q, %v; want %q", in, got, err, fp)
		}
	}
	for _, bad := range []string{"", "sha256:", "abc", fp + "00", "sha256:" + strings.Repeat("zz", 32)} {
		if _, err := ParseFingerprint(bad); err == nil || !strings.Contains(err.Error(), "aether_tlscert") {
			t.Errorf("ParseFingerprint(%q): %v, want an error saying where to get one", bad, err)
		}
	}
}
