package fidelity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"time"

	"alertsim/netem"
)

// Both sides of every experiment run the same crypto/tls, so the first
// flight (Go's ClientHello with its X25519MLKEM768 key share, about 1.8 KB)
// has the same size on the kernel and on netem.

var (
	certOnce sync.Once
	cert     tls.Certificate
)

func serverTLS() *tls.Config {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: "server.test"},
			DNSNames:     []string{"server.test"},
			NotBefore:    time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC),
			NotAfter:     time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

func clientTLS() *tls.Config {
	return &tls.Config{ServerName: "server.test", InsecureSkipVerify: true}
}

// baseMSS is tcp_base_mss, where MTU probing falls back to.
const baseMSS = 1024

func synRetries(k netem.Kernel) int {
	if k.SYNRetries > 0 {
		return k.SYNRetries
	}
	return 6
}
