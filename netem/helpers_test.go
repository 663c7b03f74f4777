package netem

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// selfSigned returns a server certificate for "server.test".
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "server.test"},
		DNSNames:     []string{"server.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// world is a network with a client host on the given link and MTU and a
// server host on an ideal link; it closes when the test ends.
func world(t *testing.T, link Link, clientMTU int) (n *Network, client, server *Host) {
	t.Helper()
	n = New(Config{Seed: 1})
	t.Cleanup(func() { n.Close() })
	var err error
	client, err = n.AddHost(HostConfig{Name: "client", Addrs: []netip.Addr{clientAddr}, Link: link, MTU: clientMTU})
	if err != nil {
		t.Fatal(err)
	}
	server, err = n.AddHost(HostConfig{Name: "server", Addrs: []netip.Addr{serverAddr}})
	if err != nil {
		t.Fatal(err)
	}
	return n, client, server
}

// traceLines returns the trace lines containing text.
func traceLines(n *Network, text string) []string {
	var out []string
	for _, e := range n.Trace() {
		if strings.Contains(e.Text(), text) {
			out = append(out, e.String())
		}
	}
	return out
}

func addrs(a ...netip.Addr) []netip.Addr { return a }

func traceText(n *Network) string {
	var b strings.Builder
	for _, e := range n.Trace() {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}

// wantTrace fails the test for each line fragment the network's trace
// lacks, showing the whole trace.
func wantTrace(t *testing.T, n *Network, wants ...string) {
	t.Helper()
	trace := traceText(n)
	for _, want := range wants {
		if !strings.Contains(trace, want) {
			t.Errorf("trace lacks %q:\n%s", want, trace)
		}
	}
}

// sink accepts one connection on port and reads size bytes from it; the
// channel gets the time the last one arrived, or the zero time if the
// connection ended first. The listener closes with the connection.
func sink(server *Host, port string, size int) <-chan time.Time {
	done := make(chan time.Time, 1)
	l, err := server.Listen("tcp", ":"+port)
	if err != nil {
		done <- time.Time{}
		return done
	}
	go func() {
		defer l.Close()
		c, err := l.Accept()
		if err != nil {
			done <- time.Time{}
			return
		}
		defer c.Close()
		if _, err := io.CopyN(io.Discard, c, int64(size)); err != nil {
			done <- time.Time{}
			return
		}
		done <- time.Now()
	}()
	return done
}
