package fakesmtp_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
)

// pipeListener serves net.Pipe connections: the server reads each of the
// client's writes in a read of its own, and only once written, which is
// how these tests choose where the server's reads begin and end.
type pipeListener struct {
	conns  chan net.Conn
	once   sync.Once
	closed chan struct{}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// pipeClient speaks raw SMTP to a fake server over a pipe.
type pipeClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// pipeServer starts a server in mode, configured by configure, and
// returns a function that connects to it and reads the greeting.
func pipeServer(t *testing.T, mode fakesmtp.Mode, configure func(*fakesmtp.Server)) (*fakesmtp.Server, func() *pipeClient, *tls.Config) {
	t.Helper()
	cryptotest.SetGlobalRandom(t, 1)
	ca, err := fakesmtp.NewCA("pipe test root")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(fakesmtp.CertOptions{Hosts: []string{"mail.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := fakesmtp.NewServer()
	srv.Domain = "mail.example.com"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	if configure != nil {
		configure(srv)
	}
	l := &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
	srv.Start(t, l, mode)
	roots := &tls.Config{RootCAs: ca.Pool, ServerName: "mail.example.com"}
	return srv, func() *pipeClient {
		client, server := net.Pipe()
		l.conns <- server
		t.Cleanup(func() { client.Close() })
		var conn net.Conn = client
		if mode == fakesmtp.ImplicitTLS {
			conn = tls.Client(client, roots)
		}
		c := &pipeClient{t: t, conn: conn, r: bufio.NewReader(conn)}
		if g := c.reply(); !strings.HasPrefix(g[0], "220 ") {
			t.Fatalf("greeting: %q", g)
		}
		return c
	}, roots
}

// send writes each piece in a write of its own.
func (c *pipeClient) send(pieces ...string) {
	c.t.Helper()
	for _, p := range pieces {
		if _, err := io.WriteString(c.conn, p); err != nil {
			c.t.Fatalf("writing %q: %v", p, err)
		}
	}
}

// reply reads one reply, all its lines.
func (c *pipeClient) reply() []string {
	c.t.Helper()
	var lines []string
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading a reply after %q: %v", lines, err)
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		if len(l) < 4 || l[3] != '-' {
			return lines
		}
	}
}

// expect reads one reply and checks its last line.
func (c *pipeClient) expect(want string) []string {
	c.t.Helper()
	got := c.reply()
	if got[len(got)-1] != want {
		c.t.Fatalf("reply %q, want %q", got, want)
	}
	return got
}

// startTLS switches the client to TLS, after the server's 220.
func (c *pipeClient) startTLS(roots *tls.Config) {
	c.t.Helper()
	tc := tls.Client(c.conn, roots)
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake after STARTTLS: %v", err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
}

func transcript(s fakesmtp.Session) []string {
	var out []string
	for _, l := range s.Transcript {
		out = append(out, l.String())
	}
	return out
}

// TestStartTLSWhateverTheReads: the server knows a STARTTLS command however
// the network cuts the stream, alone or after other commands in one read,
// whole or in pieces, and a fault on STARTTLS strikes all the same.
func TestStartTLSWhateverTheReads(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pieces []string
		before []string // replies to the commands before STARTTLS
	}{
		{"one read", []string{"STARTTLS\r\n"}, nil},
		{"in pieces", []string{"STA", "RTT", "LS\r", "\n"}, nil},
		{"after a command in one read", []string{"NOOP\r\nSTARTTLS\r\n"}, []string{"250 2.0.0 I have successfully done nothing"}},
		{"lower case, after two commands", []string{"NOOP\r\nRSET\r\nstarttls\r\n"}, []string{"250 2.0.0 I have successfully done nothing", "250 2.0.0 Session reset"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("upgrade", func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					srv, dial, roots := pipeServer(t, fakesmtp.StartTLS, nil)
					c := dial()
					c.send("EHLO camera\r\n")
					if ehlo := c.expect("250 SIZE"); !slices.Contains(ehlo, "250-STARTTLS") {
						t.Errorf("EHLO reply before TLS lacks STARTTLS: %q", ehlo)
					}
					c.send(tc.pieces...)
					for _, want := range tc.before {
						c.expect(want)
					}
					c.expect("220 2.0.0 Ready to start TLS")
					c.startTLS(roots)
					c.send("EHLO camera\r\n")
					if ehlo := c.expect("250 SIZE"); slices.Contains(ehlo, "250-STARTTLS") {
						t.Errorf("EHLO reply over TLS offers STARTTLS: %q", ehlo)
					}
					c.send("QUIT\r\n")
					c.expect("221 2.0.0 Bye")
					synctest.Wait()
					s := srv.Sessions()[0]
					if s.TLS == nil || s.TLS.Version != "TLS 1.3" {
						t.Errorf("session TLS = %v, want TLS 1.3", s.TLS)
					}
				})
			})
			t.Run("fault", func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					_, dial, _ := pipeServer(t, fakesmtp.StartTLS, func(s *fakesmtp.Server) {
						s.Faults = []fakesmtp.Fault{{Stage: fakesmtp.StageSTARTTLS, Reply: fakesmtp.NewReply(454, "4.7.0", "TLS not available due to local problem")}}
					})
					c := dial()
					c.send("EHLO camera\r\n")
					c.expect("250 SIZE")
					c.send(tc.pieces...)
					for _, want := range tc.before {
						c.expect(want)
					}
					c.expect("454 4.7.0 TLS not available due to local problem")
					// The session goes on in plain text.
					c.send("NOOP\r\n")
					c.expect("250 2.0.0 I have successfully done nothing")
				})
			})
		})
	}
}

// TestMessageDataIsNeverACommand: lines of a message that read as commands
// (STARTTLS, AUTH) stay message data, in DATA and in BDAT chunks, even when
// the network delivers them as reads of their own.
func TestMessageDataIsNeverACommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial, _ := pipeServer(t, fakesmtp.StartTLS, func(s *fakesmtp.Server) {
			// Were a line taken for STARTTLS, this would answer it.
			s.Faults = []fakesmtp.Fault{{Stage: fakesmtp.StageSTARTTLS, Reply: fakesmtp.NewReply(454, "4.7.0", "TLS not available due to local problem")}}
		})
		c := dial()
		c.send("EHLO camera\r\n")
		c.expect("250 SIZE")
		c.send("MAIL FROM:<cam@example.com>\r\n")
		c.expect("250 2.0.0 Roger, accepting mail from <cam@example.com>")
		c.send("RCPT TO:<owner@example.com>\r\n")
		c.expect("250 2.0.0 I'll make sure <owner@example.com> gets this")
		c.send("DATA\r\n")
		c.expect("354 Go ahead. End your data with <CR><LF>.<CR><LF>")
		body := []string{"Subject: commands\r\n\r\n", "STARTTLS\r\n", "AUTH PLAIN AGNhbQBzZWNyZXQ=\r\n", "..\r\n"}
		c.send(append(body, ".\r\n")...)
		c.expect("250 2.0.0 OK: queued")

		c.send("MAIL FROM:<cam@example.com>\r\n")
		c.expect("250 2.0.0 Roger, accepting mail from <cam@example.com>")
		c.send("RCPT TO:<owner@example.com>\r\n")
		c.expect("250 2.0.0 I'll make sure <owner@example.com> gets this")
		c.send("BDAT 10\r\n", "STARTTLS\r\n")
		c.expect("250 2.0.0 Continue")
		last := "QUIT\r\nSTARTTLS\r\nRSET\r\n"
		c.send(fmt.Sprintf("BDAT %d LAST\r\n%s", len(last), last))
		c.expect("250 2.0.0 OK: queued")
		c.send("QUIT\r\n")
		c.expect("221 2.0.0 Bye")
		synctest.Wait()

		msgs := srv.Messages()
		want := []string{"Subject: commands\r\n\r\nSTARTTLS\r\nAUTH PLAIN AGNhbQBzZWNyZXQ=\r\n.\r\n", "STARTTLS\r\n" + last}
		if !slices.Equal(raws(msgs), want) {
			t.Errorf("stored %q, want %q", raws(msgs), want)
		}
		got := strings.Join(transcript(srv.Sessions()[0]), "\n")
		for _, l := range []string{
			fmt.Sprintf("C: DATA\nS: 354 Go ahead. End your data with <CR><LF>.<CR><LF>\nC: [message data, %d bytes]\nS: 250 2.0.0 OK: queued", len(strings.Join(body, ""))),
			fmt.Sprintf("C: BDAT 10\nC: [chunk data, 10 bytes]\nS: 250 2.0.0 Continue\nC: BDAT %d LAST\nC: [chunk data, %d bytes]\nS: 250 2.0.0 OK: queued\nC: QUIT\nS: 221 2.0.0 Bye", len(last), len(last)),
		} {
			if !strings.Contains(got, l) {
				t.Errorf("transcript lacks\n%s\nin\n%s", l, got)
			}
		}
		if strings.Contains(got, "C: STARTTLS") || strings.Contains(got, "C: AUTH") || strings.Contains(got, "C: RSET") {
			t.Errorf("message data in the transcript as a command:\n%s", got)
		}
	})
}

// TestStartTLSCommandInjection: what a client sends in plain text after
// STARTTLS, before the handshake, is dropped, never run as if it had come
// over TLS (CVE-2011-0411).
func TestStartTLSCommandInjection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial, roots := pipeServer(t, fakesmtp.StartTLS, nil)
		c := dial()
		c.send("EHLO camera\r\n")
		c.expect("250 SIZE")
		injected := "EHLO attacker\r\nMAIL FROM:<attacker@example.net>\r\n"
		c.send("STARTTLS\r\n" + injected)
		c.expect("220 2.0.0 Ready to start TLS")
		c.startTLS(roots)
		c.send("EHLO camera\r\n")
		if got := c.reply(); got[0] != "250-Hello camera" {
			t.Fatalf("first reply over TLS: %q, want the EHLO reply", got)
		}
		c.send("RCPT TO:<owner@example.com>\r\n")
		c.expect("502 5.5.1 Missing MAIL FROM command.")
		synctest.Wait()
		got := strings.Join(transcript(srv.Sessions()[0]), "\n")
		if strings.Contains(got, "attacker") {
			t.Errorf("the injected command is in the transcript:\n%s", got)
		}
		if !strings.Contains(got, fmt.Sprintf("* discarded %d bytes the client sent after STARTTLS without waiting for the reply", len(injected))) {
			t.Errorf("transcript does not say what was discarded:\n%s", got)
		}
	})
}

// TestStartTLSAgain: STARTTLS over TLS is refused as go-smtp refuses it,
// and after an upgrade the session starts again (RFC 3207 section 4.2):
// the client must introduce itself anew, over TLS.
func TestStartTLSAgain(t *testing.T) {
	for _, tc := range []struct {
		mode fakesmtp.Mode
		want string
	}{
		{fakesmtp.Plain, "502 5.5.1 TLS not supported"},
		{fakesmtp.StartTLS, "502 5.5.1 Already running in TLS"},
		{fakesmtp.ImplicitTLS, "502 5.5.1 Already running in TLS"},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, dial, roots := pipeServer(t, tc.mode, nil)
				c := dial()
				c.send("EHLO camera\r\n")
				c.expect("250 SIZE")
				c.send("MAIL FROM:<cam@example.com>\r\n")
				c.expect("250 2.0.0 Roger, accepting mail from <cam@example.com>")
				if tc.mode == fakesmtp.StartTLS {
					c.send("STARTTLS\r\n")
					c.expect("220 2.0.0 Ready to start TLS")
					c.startTLS(roots)
					c.send("RCPT TO:<owner@example.com>\r\n")
					c.expect("502 5.5.1 Missing MAIL FROM command.")
					c.send("MAIL FROM:<cam@example.com>\r\n")
					c.expect("502 5.5.1 Please introduce yourself first.")
					c.send("EHLO camera\r\n")
					c.expect("250 SIZE")
				}
				c.send("STARTTLS\r\n")
				c.expect(tc.want)
				c.send("NOOP\r\n")
				c.expect("250 2.0.0 I have successfully done nothing")
			})
		})
	}
}

// TestHangUpAfterTheReply: a reply that ends the session reaches the client
// whole, then the connection closes, over TLS too.
func TestHangUpAfterTheReply(t *testing.T) {
	for _, mode := range []fakesmtp.Mode{fakesmtp.Plain, fakesmtp.StartTLS} {
		t.Run(mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, dial, roots := pipeServer(t, mode, func(s *fakesmtp.Server) {
					s.Faults = []fakesmtp.Fault{{Stage: fakesmtp.StageMail, Reply: fakesmtp.NewReply(421, "4.7.0", "Try again later,\nclosing connection."), Hangup: true}}
				})
				c := dial()
				if mode == fakesmtp.StartTLS {
					c.send("STARTTLS\r\n")
					c.expect("220 2.0.0 Ready to start TLS")
					c.startTLS(roots)
				}
				c.send("EHLO camera\r\n")
				c.expect("250 SIZE")
				c.send("MAIL FROM:<cam@example.com>\r\n")
				c.expect("421 4.7.0 closing connection.")
				// Without the hang-up, the server's idle timeout would come
				// first and say so.
				c.conn.SetReadDeadline(time.Now().Add(time.Hour))
				if n, err := c.r.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
					t.Errorf("after the hang-up: read %d bytes, %v; want the end of the connection", n, err)
				}
			})
		})
	}
}
