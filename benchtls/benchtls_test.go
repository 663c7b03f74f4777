package benchtls_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"alertsim/benchtls"
	"alertsim/fakesmtp"
)

// TestCAKeptAcrossRestarts: a second Load with the same directory keeps
// the CA (a device told to trust it once still does) and the certificate,
// and issues a new certificate from the same CA when the hosts change.
func TestCAKeptAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	first, err := benchtls.Load(benchtls.Options{Dir: dir, Hosts: []string{"localhost", "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if first.Reused {
		t.Error("a CA reused from an empty directory")
	}
	again, err := benchtls.Load(benchtls.Options{Dir: dir, Hosts: []string{"localhost", "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Reused || !bytes.Equal(again.CAPEM, first.CAPEM) || !bytes.Equal(again.Certificate.Certificate[0], first.Certificate.Certificate[0]) {
		t.Error("the restart made a new CA or certificate")
	}
	moved, err := benchtls.Load(benchtls.Options{Dir: dir, Hosts: []string{"localhost", "192.0.2.7"}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(moved.CAPEM, first.CAPEM) || bytes.Equal(moved.Certificate.Certificate[0], first.Certificate.Certificate[0]) {
		t.Error("new hosts: want the same CA, a new certificate")
	}
	if err := moved.Certificate.Leaf.VerifyHostname("192.0.2.7"); err != nil {
		t.Error(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(first.CAPEM)
	if _, err := moved.Certificate.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Errorf("the new certificate does not chain to the kept CA: %v", err)
	}
	if info, _ := os.Stat(filepath.Join(dir, "ca-key.pem")); info.Mode().Perm() != 0o600 {
		t.Errorf("ca-key.pem is %v", info.Mode().Perm())
	}
	if info, _ := os.Stat(filepath.Join(dir, "ca.pem")); info.Mode().Perm() != 0o644 {
		t.Errorf("ca.pem is %v", info.Mode().Perm())
	}
}

func TestRSA(t *testing.T) {
	id, err := benchtls.Load(benchtls.Options{Dir: t.TempDir(), Hosts: []string{"localhost"}, KeyType: benchtls.RSA})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := id.Certificate.Leaf.PublicKey.(*rsa.PublicKey); !ok {
		t.Errorf("key %T", id.Certificate.Leaf.PublicKey)
	}
	if _, ok := id.CA.Cert.PublicKey.(*rsa.PublicKey); !ok {
		t.Errorf("CA key %T: an RSA-only device cannot verify it", id.CA.Cert.PublicKey)
	}
}

// TestHostsOfEveryInterface: listening on 0.0.0.0, every interface
// address is a name of the certificate, each once.
func TestHostsOfEveryInterface(t *testing.T) {
	hosts := benchtls.Hosts("bench.example", "0.0.0.0")
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		ip, _, _ := net.ParseCIDR(a.String())
		if ip.IsLinkLocalUnicast() {
			continue
		}
		if !slices.Contains(hosts, ip.String()) {
			t.Errorf("%s missing from %q", ip, hosts)
		}
	}
	id, err := benchtls.Load(benchtls.Options{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	leaf := id.Certificate.Leaf
	seen := map[string]bool{}
	for _, ip := range leaf.IPAddresses {
		if seen[ip.String()] {
			t.Errorf("duplicate SAN %s", ip)
		}
		seen[ip.String()] = true
	}
	if got := benchtls.Hosts("localhost", "127.0.0.1"); !slices.Equal(got, []string{"localhost", "127.0.0.1", "::1"}) {
		t.Errorf("hosts %q", got)
	}
}

// TestNoDuplicateNames: a host given twice, or in another case, is one
// name of the certificate.
func TestNoDuplicateNames(t *testing.T) {
	ca, err := fakesmtp.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(fakesmtp.CertOptions{Hosts: []string{"localhost", "LOCALHOST", "127.0.0.1", "127.0.0.1", "::1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Leaf.DNSNames) != 1 || len(cert.Leaf.IPAddresses) != 2 {
		t.Errorf("names %q, addresses %v", cert.Leaf.DNSNames, cert.Leaf.IPAddresses)
	}
}
