package fakesmtp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
	"alertsim/netem"
)

// TestTLSIdentities: each kind of certificate a scenario can give a server
// fails a verifying client the way it does in the field, and a server with
// a minimum TLS version refuses an older client's handshake.
func TestTLSIdentities(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     func(fakesmtp.CertOptions) fakesmtp.CertOptions
		minTLS   uint16
		maxTLS   uint16 // the client's
		wantFail string
	}{
		{name: "valid", opts: func(o fakesmtp.CertOptions) fakesmtp.CertOptions { return o }},
		{name: "self-signed", opts: func(o fakesmtp.CertOptions) fakesmtp.CertOptions { o.SelfSigned = true; return o }, wantFail: "certificate signed by unknown authority"},
		{name: "expired", opts: func(o fakesmtp.CertOptions) fakesmtp.CertOptions {
			o.NotBefore, o.NotAfter = time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0)
			return o
		}, wantFail: "certificate has expired or is not yet valid"},
		{name: "wrong host name", opts: func(o fakesmtp.CertOptions) fakesmtp.CertOptions { o.Hosts = []string{"other.example"}; return o }, wantFail: "certificate is valid for other.example, not mail.example.com"},
		{name: "TLS 1.1 client, TLS 1.2 minimum", opts: func(o fakesmtp.CertOptions) fakesmtp.CertOptions { return o }, minTLS: tls.VersionTLS12, maxTLS: tls.VersionTLS11, wantFail: "protocol version not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cryptotest.SetGlobalRandom(t, 1)
				n := netem.New(netem.Config{})
				defer n.Close()
				client, _ := n.AddHost(netem.HostConfig{Name: "c", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}})
				host, _ := n.AddHost(netem.HostConfig{Name: "s", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})
				ca, _ := fakesmtp.NewCA("root")
				cert, err := ca.Issue(tc.opts(fakesmtp.CertOptions{Hosts: []string{"mail.example.com"}}))
				if err != nil {
					t.Fatal(err)
				}
				srv := fakesmtp.NewServer()
				srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tc.minTLS}
				l, _ := host.Listen("tcp", ":465")
				srv.Start(t, l, fakesmtp.ImplicitTLS)

				conn, _ := client.Dial(context.Background(), "tcp", "203.0.113.25:465")
				cfg := &tls.Config{RootCAs: ca.Pool, ServerName: "mail.example.com", MaxVersion: tc.maxTLS}
				if tc.maxTLS != 0 {
					cfg.MinVersion = tls.VersionTLS10
				}
				err = tls.Client(conn, cfg).HandshakeContext(context.Background())
				conn.Close()
				switch {
				case tc.wantFail == "" && err != nil:
					t.Fatalf("handshake: %v", err)
				case tc.wantFail != "" && (err == nil || !strings.Contains(err.Error(), tc.wantFail)):
					t.Fatalf("handshake error %v, want %q", err, tc.wantFail)
				}
				if tc.wantFail != "" {
					var ce *tls.CertificateVerificationError
					if strings.Contains(tc.wantFail, "certificate") && !errors.As(err, &ce) {
						t.Errorf("error %T is not a certificate verification error", err)
					}
				}
			})
		})
	}
}
