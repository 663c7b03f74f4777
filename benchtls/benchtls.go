// Package benchtls gives `alertsim serve` a TLS identity a device on the
// bench can be set to verify once: a CA kept in the directory across
// restarts (ca.pem, its key in ca-key.pem, 0600), and a server certificate
// from it for every name and address the server answers on, reissued only
// when those change or it nears its end. Or the bench tester's own
// certificate and key.
package benchtls

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"alertsim/fakesmtp"
)

// KeyType is the kind of key the CA and the certificate have.
type KeyType string

const (
	ECDSA KeyType = "ecdsa" // P-256: small and fast, what current devices speak
	RSA   KeyType = "rsa"   // 2048 bits: for firmware whose TLS knows no ECDSA
)

// Options say which identity to use.
type Options struct {
	// Dir keeps the CA and the certificate; empty keeps nothing (a new CA
	// each run).
	Dir string
	// Hosts are the names and addresses the certificate must cover.
	Hosts []string
	// KeyType defaults to ECDSA.
	KeyType KeyType
	// CertFile and KeyFile, when set, are the bench tester's own
	// certificate (with its chain) and key: no CA is made.
	CertFile, KeyFile string
}

// Identity is the server's TLS identity.
type Identity struct {
	Certificate tls.Certificate
	// CA issued it; nil for one's own certificate.
	CA *fakesmtp.CA
	// CAPEM is what a device must trust: the CA's certificate, or the
	// last certificate of one's own chain.
	CAPEM []byte
	// Reused says that the CA came from Dir rather than being made now.
	Reused bool
}

// Load returns the identity the options describe, creating and keeping
// what is missing.
func Load(o Options) (*Identity, error) {
	if o.KeyType == "" {
		o.KeyType = ECDSA
	}
	if o.KeyType != ECDSA && o.KeyType != RSA {
		return nil, fmt.Errorf("benchtls: key type %q: use ecdsa or rsa", o.KeyType)
	}
	if o.CertFile != "" || o.KeyFile != "" {
		return own(o)
	}
	ca, reused, err := loadCA(o)
	if err != nil {
		return nil, err
	}
	id := &Identity{CA: ca, Reused: reused}
	id.CAPEM, _, _ = ca.PEM()
	if cert, ok := reusable(o, ca); ok {
		id.Certificate = cert
		return id, nil
	}
	cert, err := ca.Issue(fakesmtp.CertOptions{Hosts: o.Hosts, RSA: o.KeyType == RSA, NotAfter: time.Now().AddDate(2, 0, 0)})
	if err != nil {
		return nil, err
	}
	id.Certificate = cert
	if o.Dir != "" {
		if err := saveCert(o.Dir, cert); err != nil {
			return nil, err
		}
	}
	return id, nil
}

func own(o Options) (*Identity, error) {
	if o.CertFile == "" || o.KeyFile == "" {
		return nil, errors.New("benchtls: a certificate needs both its file and its key's")
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("benchtls: %w", err)
	}
	last := cert.Certificate[len(cert.Certificate)-1]
	return &Identity{Certificate: cert, CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: last})}, nil
}

func loadCA(o Options) (*fakesmtp.CA, bool, error) {
	newCA := fakesmtp.NewCA
	if o.KeyType == RSA {
		newCA = fakesmtp.NewRSACA
	}
	if o.Dir == "" {
		ca, err := newCA("alertsim serve CA")
		return ca, false, err
	}
	certFile, keyFile := filepath.Join(o.Dir, "ca.pem"), filepath.Join(o.Dir, "ca-key.pem")
	certPEM, cerr := os.ReadFile(certFile)
	keyPEM, kerr := os.ReadFile(keyFile)
	switch {
	case cerr == nil && kerr == nil:
		ca, err := fakesmtp.LoadCA(certPEM, keyPEM)
		if err != nil {
			return nil, false, fmt.Errorf("benchtls: %s: %w (remove ca.pem and ca-key.pem to make a new CA)", o.Dir, err)
		}
		if keyTypeOf(ca.Cert.PublicKey) == o.KeyType {
			return ca, true, nil
		}
		// Another key type is asked for: a new CA replaces this one, as a
		// device is given one ca.pem.
	case !errors.Is(cerr, os.ErrNotExist) || !errors.Is(kerr, os.ErrNotExist):
		return nil, false, fmt.Errorf("benchtls: %s: ca.pem and ca-key.pem go together: %v, %v", o.Dir, cerr, kerr)
	}
	ca, err := newCA("alertsim serve CA")
	if err != nil {
		return nil, false, err
	}
	c, k, err := ca.PEM()
	if err == nil {
		err = writeFile(keyFile, k, 0o600)
	}
	if err == nil {
		err = writeFile(certFile, c, 0o644)
	}
	// A new CA makes any old server certificate useless.
	os.Remove(filepath.Join(o.Dir, "server.pem"))
	os.Remove(filepath.Join(o.Dir, "server-key.pem"))
	return ca, false, err
}

func keyTypeOf(pub any) KeyType {
	switch pub.(type) {
	case *rsa.PublicKey:
		return RSA
	case *ecdsa.PublicKey:
		return ECDSA
	}
	return ""
}

// reusable returns the kept server certificate if it is the CA's, of the
// key type asked for, covers every host and has a month to go.
func reusable(o Options, ca *fakesmtp.CA) (tls.Certificate, bool) {
	if o.Dir == "" {
		return tls.Certificate{}, false
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(o.Dir, "server.pem"), filepath.Join(o.Dir, "server-key.pem"))
	if err != nil {
		return tls.Certificate{}, false
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil || leaf.CheckSignatureFrom(ca.Cert) != nil || keyTypeOf(leaf.PublicKey) != o.KeyType || time.Until(leaf.NotAfter) < 30*24*time.Hour {
		return tls.Certificate{}, false
	}
	for _, h := range o.Hosts {
		if leaf.VerifyHostname(h) != nil {
			return tls.Certificate{}, false
		}
	}
	cert.Leaf = leaf
	return cert, true
}

func saveCert(dir string, cert tls.Certificate) error {
	var chain bytes.Buffer
	for _, der := range cert.Certificate {
		pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "server-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "server.pem"), chain.Bytes(), 0o644)
}

// writeFile writes through a temporary file, so that a crash never leaves
// half a key.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	os.Chmod(tmp, mode)
	return os.Rename(tmp, path)
}

// Hosts returns the names and addresses a server listening on listen
// answers to: its domain, localhost, the loopback addresses, and the
// listen address, or every address of every interface when listen is
// unspecified (0.0.0.0, ::), without duplicates.
func Hosts(domain, listen string) []string {
	hosts := []string{domain, "localhost", "127.0.0.1", "::1"}
	a, err := netip.ParseAddr(strings.Trim(listen, "[]"))
	switch {
	case err == nil && a.IsUnspecified():
		addrs, _ := net.InterfaceAddrs()
		for _, ia := range addrs {
			if p, err := netip.ParsePrefix(ia.String()); err == nil && !p.Addr().IsLinkLocalUnicast() {
				hosts = append(hosts, p.Addr().String())
			}
		}
	case listen != "":
		hosts = append(hosts, strings.Trim(listen, "[]"))
	}
	var out []string
	for _, h := range hosts {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, h) }) {
			out = append(out, h)
		}
	}
	return out
}
