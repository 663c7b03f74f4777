package fakesmtp_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"

	"github.com/emersion/go-smtp"

	"alertsim/fakesmtp"
	"alertsim/netem"
)

// sendN sends n messages of about 100 KB over one session.
func sendN(b *testing.B, conn net.Conn, n int) {
	c := smtp.NewClient(conn)
	defer c.Close()
	msg := attachmentMessage(1, 1)
	for range n {
		if err := c.SendMail("cam@example.com", []string{"owner@example.com"}, bytes.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
	c.Quit()
}

// BenchmarkAcceptInMemory measures messages accepted per second over the
// emulated network, in virtual time, with a 100 KB attachment each.
func BenchmarkAcceptInMemory(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(attachmentMessage(1, 1))))
	// synctest.Test wants a *testing.T, which a benchmark has not: a bare
	// one will do, as nothing here reports through it. The benchmark's
	// clock is real: it must not be touched inside the bubble, where time
	// is virtual, so the network's set-up counts too (it is small beside
	// thousands of messages).
	synctest.Test(&testing.T{}, func(*testing.T) {
		n := netem.New(netem.Config{})
		defer n.Close()
		client, _ := n.AddHost(netem.HostConfig{Name: "c", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}})
		host, _ := n.AddHost(netem.HostConfig{Name: "s", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})
		srv := fakesmtp.NewServer()
		srv.Keep = 1
		l, _ := host.Listen("tcp", ":25")
		go srv.Serve(l, fakesmtp.Plain)
		defer srv.Close()
		conn, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			b.Fatal(err)
		}
		sendN(b, conn, b.N)
	})
}

// BenchmarkAcceptLoopback is the same on real loopback sockets.
func BenchmarkAcceptLoopback(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(attachmentMessage(1, 1))))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := fakesmtp.NewServer()
	srv.Keep = 1
	go srv.Serve(l, fakesmtp.Plain)
	defer srv.Close()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	sendN(b, conn, b.N)
}

// BenchmarkAcceptLoopbackGoSMTP is the reference for BenchmarkAcceptLoopback:
// go-smtp's own server on the same sockets, with a backend that reads each
// message and throws it away, and no transcript, capture or parsing.
func BenchmarkAcceptLoopbackGoSMTP(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(attachmentMessage(1, 1))))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := smtp.NewServer(discardBackend{})
	srv.Domain = "localhost"
	go srv.Serve(l)
	defer srv.Close()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	sendN(b, conn, b.N)
}

type discardBackend struct{}

func (discardBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return discardSession{}, nil }

type discardSession struct{}

func (discardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (discardSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset()        {}
func (discardSession) Logout() error { return nil }
