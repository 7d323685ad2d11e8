// Package tlsutil holds what both ends of an optional TLS link share: a
// self-signed certificate maker for the controller, the certificate
// fingerprint the bridge can pin, and the server and client tls.Configs
// (docs/protocol.md §14).
package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"
)

// DefaultValidity is how long SelfSigned certificates are valid.
const DefaultValidity = 5 * 365 * 24 * time.Hour

// SelfSigned makes an ECDSA P-256 certificate and key, PEM-encoded, valid
// from now for validFor, for the given host names and IP addresses plus
// localhost, 127.0.0.1 and ::1. The certificate is its own CA, so the file
// serves as the bridge's link.tls_ca_file as it is.
func SelfSigned(hosts []string, now time.Time, validFor time.Duration) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "aether_controller", Organization: []string{"Aether bridge"}},
		NotBefore:             now.Add(-time.Hour), // a Pi whose clock lags a little still accepts it
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		switch ip := net.ParseIP(h); {
		case h == "" || h == "localhost":
		case ip != nil:
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		default:
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// Fingerprint is the pinnable fingerprint of a DER certificate:
// "sha256:" and the lower-case hex SHA-256 of it.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// FileFingerprint returns the Fingerprint of the first certificate in a
// PEM file.
func FileFingerprint(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", fmt.Errorf("%s holds no PEM certificate", path)
	}
	return Fingerprint(block.Bytes), nil
}

// ParseFingerprint accepts a Fingerprint as written, also without the
// "sha256:" prefix, in upper case or with colons between the bytes (as
// other tools print them), and returns it as Fingerprint writes it.
func ParseFingerprint(s string) (string, error) {
	h := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(strings.TrimSpace(s), "sha256:"), ":", ""))
	if b, err := hex.DecodeString(h); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("%q is not a SHA-256 certificate fingerprint: use the sha256:… line aether_tlscert prints (64 hex digits)", s)
	}
	return "sha256:" + h, nil
}

// SelfSignedConfig returns a server configuration with a fresh SelfSigned
// certificate for hosts, valid for validFor from now, and that
// certificate's PEM (for a client to trust): TLS without files, for tests
// and trials.
func SelfSignedConfig(hosts []string, validFor time.Duration) (*tls.Config, []byte, error) {
	certPEM, keyPEM, err := SelfSigned(hosts, time.Now(), validFor)
	if err != nil {
		return nil, nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, certPEM, nil
}

// ServerConfig loads the controller's certificate and key (PEM files).
func ServerConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// ClientConfig is the bridge's TLS configuration for a controller at host:
// with fingerprint set, the controller's certificate must have exactly
// that fingerprint (names and CAs are not checked); else with caFile set,
// it must be signed by a certificate in that PEM file and name host; else
// the system's roots apply.
func ClientConfig(host, caFile, fingerprint string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if fingerprint != "" {
		want, err := ParseFingerprint(fingerprint)
		if err != nil {
			return nil, err
		}
		// Pinning replaces the chain and name checks, which a
		// self-signed certificate reached by address would fail.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the controller sent no certificate")
			}
			if got := Fingerprint(cs.PeerCertificates[0].Raw); got != want {
				return &FingerprintError{Got: got, Want: want}
			}
			return nil
		}
		return cfg, nil
	}
	if caFile != "" {
		pemBytes, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("%s holds no PEM certificate: use the controller's certificate file (or its CA's)", caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// FingerprintError is a controller certificate that is not the pinned one.
type FingerprintError struct {
	Got, Want string
}

// Error says both fingerprints and how to fix the pin.
func (e *FingerprintError) Error() string {
	return fmt.Sprintf("the controller's certificate has fingerprint %s, but link.tls_fingerprint pins %s: "+
		"check that controller_host points at the right controller; if its certificate was made anew, "+
		"pin the new one (aether_tlscert -fingerprint CERT_FILE prints it)", e.Got, e.Want)
}
