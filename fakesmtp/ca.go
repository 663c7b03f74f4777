package fakesmtp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// CA is a certificate authority for one scenario. Devices trust its Pool the
// way real ones trust the public roots, so a certificate it issues is a valid
// chain, and one it did not issue is not.
//
// Keys and serial numbers come from crypto/rand; under
// testing/cryptotest.SetGlobalRandom they are the same on every run.
type CA struct {
	Cert *x509.Certificate
	key  crypto.Signer
	Pool *x509.CertPool
}

// NewCA creates a root certificate called name, valid from an hour before
// now for ten years.
func NewCA(name string) (*CA, error) { return newCA(name, false, time.Now()) }

// NewRSACA is NewCA with an RSA key (2048 bits), for devices whose TLS
// library verifies no ECDSA signature.
func NewRSACA(name string) (*CA, error) { return newCA(name, true, time.Now()) }

// NewCAAt is NewCA in a world whose clock shows now: a scenario set in 2009
// needs a root that was valid then, whatever the clock of the test binary
// says.
func NewCAAt(name string, now time.Time) (*CA, error) { return newCA(name, false, now) }

func newCA(name string, useRSA bool, now time.Time) (*CA, error) {
	key, err := newKey(useRSA)
	if err != nil {
		return nil, fmt.Errorf("fakesmtp: CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"alertsim"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("fakesmtp: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, key: key, Pool: pool}, nil
}

// CertOptions describes a server certificate to issue.
type CertOptions struct {
	// Hosts are the DNS names and IP addresses the certificate is valid
	// for; the first is also its common name.
	Hosts []string
	// NotBefore and NotAfter default to an hour ago and a year from now.
	NotBefore, NotAfter time.Time
	// SelfSigned makes the certificate sign itself instead of chaining to
	// the CA, as on a server whose administrator never bought one.
	SelfSigned bool
	// RSA gives the certificate an RSA key (2048 bits) instead of ECDSA
	// P-256, for old TLS libraries that know no ECDSA.
	RSA bool
}

func newKey(useRSA bool) (crypto.Signer, error) {
	if useRSA {
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// PEM returns the CA's certificate and private key, PEM-encoded (PKCS #8),
// to keep it across restarts (LoadCA).
func (ca *CA) PEM() (cert, key []byte, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// LoadCA reads a CA written by PEM.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("fakesmtp: CA: %w", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok || !cert.IsCA {
		return nil, fmt.Errorf("fakesmtp: CA: not a CA certificate and key")
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, key: signer, Pool: pool}, nil
}

// Issue creates a server certificate.
func (ca *CA) Issue(opts CertOptions) (tls.Certificate, error) {
	if len(opts.Hosts) == 0 {
		return tls.Certificate{}, fmt.Errorf("fakesmtp: a certificate needs at least one host name")
	}
	now := time.Now()
	if opts.NotBefore.IsZero() {
		opts.NotBefore = now.Add(-time.Hour)
	}
	if opts.NotAfter.IsZero() {
		opts.NotAfter = now.AddDate(1, 0, 0)
	}
	key, err := newKey(opts.RSA)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("fakesmtp: server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: opts.Hosts[0]},
		NotBefore:    opts.NotBefore,
		NotAfter:     opts.NotAfter,
		KeyUsage:     keyUsage(opts.RSA),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	seen := map[string]bool{}
	for _, h := range opts.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			if seen[ip.String()] {
				continue
			}
			seen[ip.String()] = true
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if !seen[strings.ToLower(h)] {
			seen[strings.ToLower(h)] = true
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	parent, signer := ca.Cert, ca.key
	if opts.SelfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("fakesmtp: server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	chain := [][]byte{der}
	if !opts.SelfSigned {
		chain = append(chain, ca.Cert.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

// keyUsage: an RSA key also enciphers, for TLS 1.0-1.2's RSA key
// exchange, which old firmware may offer alone.
func keyUsage(useRSA bool) x509.KeyUsage {
	if useRSA {
		return x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	}
	return x509.KeyUsageDigitalSignature
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n
}
