package fakesmtp_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
	"alertsim/netem"
)

// rawWorld is a plain fake server on an emulated network, for clients that
// speak raw bytes.
func rawWorld(t *testing.T, configure func(*fakesmtp.Server)) (*fakesmtp.Server, func() net.Conn) {
	t.Helper()
	return rawWorldMode(t, fakesmtp.Plain, configure)
}

// rawWorldMode is rawWorld with a listener in mode (TLS modes want
// Server.TLSConfig from configure).
func rawWorldMode(t *testing.T, mode fakesmtp.Mode, configure func(*fakesmtp.Server)) (*fakesmtp.Server, func() net.Conn) {
	t.Helper()
	n := netem.New(netem.Config{})
	t.Cleanup(func() { n.Close() })
	client, _ := n.AddHost(netem.HostConfig{Name: "client", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}})
	host, _ := n.AddHost(netem.HostConfig{Name: "mail", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})
	srv := fakesmtp.NewServer()
	srv.Domain = "mail.example.com"
	srv.ReadTimeout = time.Minute
	if configure != nil {
		configure(srv)
	}
	l, _ := host.Listen("tcp", ":25")
	srv.Start(t, l, mode)
	return srv, func() net.Conn {
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// exchange sends lines and returns the reply to each, one line a reply
// (the last line of a multi-line one).
func exchange(t *testing.T, c net.Conn, r *bufio.Reader, line string) string {
	t.Helper()
	if _, err := io.WriteString(c, line); err != nil {
		return "write: " + err.Error()
	}
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return "read: " + err.Error()
		}
		if len(l) < 4 || l[3] != '-' {
			return strings.TrimRight(l, "\r\n")
		}
	}
}

func TestBadInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial := rawWorld(t, func(s *fakesmtp.Server) { s.MaxMessageBytes = 10_000 })
		c := dial()
		r := bufio.NewReader(c)
		r.ReadString('\n') // greeting
		for _, tc := range []struct{ send, want string }{
			{"EHLO client\r\n", "250 SIZE 10000"},
			{"XYZZ\r\n", "500 5.5.2 Syntax errors, XYZZ command unrecognized"},
			{"FROBNICATE now\r\n", "501 5.5.2 Bad command"},
			{"RCPT TO:<owner@example.com>\r\n", "502 5.5.1 Missing MAIL FROM command."},
			{"DATA\r\n", "502 5.5.1 Missing RCPT TO command."},
			{"MAIL FROM:<a\x00b@example.com>\r\n", "501 5.1.7 Bad sender address syntax"},
			{"MAIL FROM:<cam@example.com>\r\n", "250 2.0.0 Roger, accepting mail from <cam@example.com>"},
			{"RCPT TO:<own\x00er@example.com>\r\n", "501 5.1.3 Bad recipient address syntax"},
			{"RSET\r\n", "250 2.0.0 Session reset"},
			{"MAIL FROM:<" + strings.Repeat("a", 1200) + "@example.com>\r\n", "250 2.0.0 Roger, accepting mail from <" + strings.Repeat("a", 1200) + "@example.com>"},
			{"RSET\r\n", "250 2.0.0 Session reset"},
			{"MAIL FROM:<cam@example.com>\r\n", "250 2.0.0 Roger, accepting mail from <cam@example.com>"},
			{"RCPT TO:<owner@example.com>\r\n", "250 2.0.0 I'll make sure <owner@example.com> gets this"},
			{"DATA\r\n", "354 Go ahead. End your data with <CR><LF>.<CR><LF>"},
			{strings.Repeat(strings.Repeat("x", 76)+"\r\n", 200) + ".\r\n", "552 5.3.4 Message size exceeds fixed limit"},
			{"MAIL FROM:<cam@example.com>\r\n", "250 2.0.0 Roger, accepting mail from <cam@example.com>"},
			{"RCPT TO:<owner@example.com>\r\n", "250 2.0.0 I'll make sure <owner@example.com> gets this"},
			{"DATA\r\n", "354 Go ahead. End your data with <CR><LF>.<CR><LF>"},
			{"Subject: nul\r\n\r\na\x00b\r\n.\r\n", "250 2.0.0 OK: queued"},
			{strings.Repeat("y", 3000) + "\r\n", "500 5.4.0 Too long line, closing connection"},
		} {
			if got := exchange(t, c, r, tc.send); got != tc.want {
				t.Errorf("sent %.40q: got %q, want %q", tc.send, got, tc.want)
			}
		}
		if _, err := r.ReadString('\n'); err != io.EOF {
			t.Errorf("connection still open after a line too long: %v", err)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || string(msgs[0].Raw) != "Subject: nul\r\n\r\na\x00b\r\n" {
			t.Errorf("stored %d messages: %q; want only the one with the NUL byte, as sent", len(msgs), raws(msgs))
		}
	})
}

// TestVanishingClients: clients that disappear mid-command or mid-DATA
// leave nothing stored, and another session carries on meanwhile.
func TestVanishingClients(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial := rawWorld(t, nil)
		good := dial()
		gr := bufio.NewReader(good)
		gr.ReadString('\n')
		exchange(t, good, gr, "EHLO good\r\n")
		exchange(t, good, gr, "MAIL FROM:<cam@example.com>\r\n")

		midCommand := dial()
		io.WriteString(midCommand, "EHLO gone\r\nMAIL FR")
		midCommand.Close()

		midData := dial()
		mr := bufio.NewReader(midData)
		mr.ReadString('\n')
		for _, l := range []string{"EHLO gone\r\n", "MAIL FROM:<cam@example.com>\r\n", "RCPT TO:<owner@example.com>\r\n", "DATA\r\n"} {
			exchange(t, midData, mr, l)
		}
		io.WriteString(midData, "Subject: half\r\n\r\nthe first half of")
		midData.Close()

		time.Sleep(time.Second)
		exchange(t, good, gr, "RCPT TO:<owner@example.com>\r\n")
		exchange(t, good, gr, "DATA\r\n")
		if got := exchange(t, good, gr, "Subject: whole\r\n\r\nall of it\r\n.\r\n"); got != "250 2.0.0 OK: queued" {
			t.Errorf("the good session after the others vanished: %q", got)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || !strings.Contains(string(msgs[0].Raw), "whole") {
			t.Errorf("stored %q, want only the whole message", raws(msgs))
		}
		if n := len(srv.Sessions()); n != 3 {
			t.Errorf("%d sessions, want 3", n)
		}
	})
}

// FuzzSession feeds a session arbitrary client bytes: the server must
// answer or hang up, never crash, store only whole messages, and still
// serve the next client.
func FuzzSession(f *testing.F) { fuzzSession(f, fakesmtp.Plain) }

// FuzzSessionStartTLS is FuzzSession on a STARTTLS port, where the
// server's own connection layer answers STARTTLS and attempts the
// handshake on whatever bytes follow.
func FuzzSessionStartTLS(f *testing.F) { fuzzSession(f, fakesmtp.StartTLS) }

func fuzzSession(f *testing.F, mode fakesmtp.Mode) {
	for _, seed := range []string{
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: s\r\n\r\nbody\r\n.\r\nQUIT\r\n",
		"HELO x\r\nAUTH PLAIN AGEAYg==\r\nAUTH LOGIN\r\n*\r\n",
		"EHLO x\r\nBDAT 5 LAST\r\nhelloQUIT\r\n",
		"EHLO x\r\nSTARTTLS\r\n\x16\x03\x01\x00\x05hello",
		"\x00\xff\r\n\r\n.\r\nMAIL FROM:<>\r\n",
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSTARTTLS\r\n.\r\nSTARTTLS\r\nMAIL FROM:<a@b>\r\n",
	} {
		f.Add([]byte(seed))
	}
	var tlsConfig *tls.Config
	if mode != fakesmtp.Plain {
		ca, err := fakesmtp.NewCA("fuzz root")
		if err != nil {
			f.Fatal(err)
		}
		cert, err := ca.Issue(fakesmtp.CertOptions{Hosts: []string{"mail.example.com"}})
		if err != nil {
			f.Fatal(err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		synctest.Test(t, func(t *testing.T) {
			srv, dial := rawWorldMode(t, mode, func(s *fakesmtp.Server) {
				s.TLSConfig = tlsConfig
				s.Accounts = []fakesmtp.Account{{Username: "u", Password: "p"}}
				s.AllowInsecureAuth = true
				s.MaxMessageBytes = 4096
			})
			c := dial()
			c.Write(data)
			c.SetReadDeadline(time.Now().Add(2 * time.Minute))
			io.Copy(io.Discard, c)
			c.Close()

			// A message comes whole, from DATA (where the receiver drops
			// the first dot of a line, RFC 5321 section 4.5.2) or BDAT (as
			// is).
			undotted := strings.ReplaceAll("\n"+string(data), "\n.", "\n")[1:]
			for _, m := range srv.Messages() {
				if !strings.Contains(undotted, string(m.Raw)) && !strings.Contains(string(data), string(m.Raw)) {
					t.Fatalf("stored a message the client did not send whole: %q", m.Raw)
				}
			}
			// The server still serves.
			next := dial()
			r := bufio.NewReader(next)
			if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "220 ") {
				t.Fatalf("next client's greeting: %q, %v", l, err)
			}
			next.Close()
		})
	})
}

func raws(msgs []*fakesmtp.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Raw)
	}
	return out
}
