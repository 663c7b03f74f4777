package fakesmtp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"alertsim/fakesmtp"
	"alertsim/netem"
)

// bench is a client host and a configurable fake server on an emulated
// network, inside a synctest bubble.
type bench struct {
	t      *testing.T
	client *netem.Host
	server *fakesmtp.Server
	roots  *tls.Config
	addrs  map[int]string
}

// newBench starts srv (configured by configure, after the preset if one is
// named) on the given listeners.
func newBench(t *testing.T, preset string, listeners []fakesmtp.Listener, configure func(*fakesmtp.Server)) *bench {
	t.Helper()
	cryptotest.SetGlobalRandom(t, 1)
	n := netem.New(netem.Config{Seed: 1})
	t.Cleanup(func() { n.Close() })
	oneWay := netem.Direction{Delay: 10 * time.Millisecond}
	client, _ := n.AddHost(netem.HostConfig{Name: "camera", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Link: netem.Link{Up: oneWay, Down: oneWay}})
	host, _ := n.AddHost(netem.HostConfig{Name: "mail", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})
	ca, err := fakesmtp.NewCA("test root")
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := ca.Issue(fakesmtp.CertOptions{Hosts: []string{"mail.example.com"}})
	srv := fakesmtp.NewServer()
	srv.Domain = "mail.example.com"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	if preset != "" {
		p, ok := fakesmtp.LookupPreset(preset)
		if !ok {
			t.Fatalf("no preset %q", preset)
		}
		p.Apply(srv)
		if listeners == nil {
			listeners = p.Listeners
		}
	}
	if configure != nil {
		configure(srv)
	}
	b := &bench{t: t, client: client, server: srv, roots: &tls.Config{RootCAs: ca.Pool, ServerName: "mail.example.com"}, addrs: map[int]string{}}
	for _, ln := range listeners {
		l, err := host.Listen("tcp", ":"+strconv.Itoa(ln.Port))
		if err != nil {
			t.Fatal(err)
		}
		srv.Start(t, l, ln.Mode)
		b.addrs[ln.Port] = l.Addr().String()
	}
	return b
}

// plain opens a session without TLS and says EHLO.
func (b *bench) plain(port int) *smtp.Client {
	b.t.Helper()
	conn, err := b.client.Dial(context.Background(), "tcp", b.addrs[port])
	if err != nil {
		b.t.Fatal(err)
	}
	c := smtp.NewClient(conn)
	if err := c.Hello("camera"); err != nil {
		b.t.Fatalf("EHLO: %v", err)
	}
	return c
}

// implicit opens a session with TLS from the first byte.
func (b *bench) implicit(port int, cfg *tls.Config) (*smtp.Client, error) {
	b.t.Helper()
	conn, err := b.client.Dial(context.Background(), "tcp", b.addrs[port])
	if err != nil {
		b.t.Fatal(err)
	}
	if cfg == nil {
		cfg = b.roots
	}
	c := smtp.NewClient(tls.Client(conn, cfg))
	return c, c.Hello("camera")
}

// startTLS opens a session and upgrades it.
func (b *bench) startTLS(port int, cfg *tls.Config) (*smtp.Client, error) {
	b.t.Helper()
	conn, err := b.client.Dial(context.Background(), "tcp", b.addrs[port])
	if err != nil {
		b.t.Fatal(err)
	}
	if cfg == nil {
		cfg = b.roots
	}
	return smtp.NewClientStartTLS(conn, cfg)
}

// wantReply checks that err is the SMTP reply want, as a client reads it.
func wantReply(t *testing.T, what string, err error, code int, enhanced smtp.EnhancedCode, text string) {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Errorf("%s: %v (%T), want %d %v %q", what, err, err, code, enhanced, text)
		return
	}
	if se.Code != code || se.EnhancedCode != enhanced || se.Message != text {
		t.Errorf("%s:\n got %d %v %q\nwant %d %v %q", what, se.Code, se.EnhancedCode, se.Message, code, enhanced, text)
	}
}

const (
	accountPass = "account-password"
	appPass     = "abcdefghijklmnop"
	revokedPass = "qrstuvwxyzabcdef"
)

func twoFactorAccount(s *fakesmtp.Server) {
	s.Accounts = []fakesmtp.Account{{
		Username: user, Password: accountPass, TwoFactor: true,
		AppPasswords: []string{appPass}, RevokedAppPasswords: []string{revokedPass},
		Senders: []string{user},
	}}
}

func sendOne(c *smtp.Client, from string, to ...string) error {
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	w.Write([]byte("Subject: test\r\n\r\nhello\r\n"))
	return w.Close()
}

func TestGmailLike(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "gmail-like", nil, twoFactorAccount)

		c, err := b.implicit(465, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ok, mechs := c.Extension("AUTH"); !ok || mechs != "LOGIN PLAIN" {
			t.Errorf("AUTH advertised on 465: %v %q, want LOGIN PLAIN", ok, mechs)
		}
		if size, ok := c.MaxMessageSize(); !ok || size != 35882577 {
			t.Errorf("SIZE %d, want 35882577", size)
		}
		wantReply(t, "account password with two-step verification", c.Auth(sasl.NewPlainClient("", user, accountPass)),
			534, smtp.EnhancedCode{5, 7, 9}, "Application-specific password required. For more information, go to\n https://support.google.com/mail/?p=InvalidSecondFactor")
		c.Close()

		c, _ = b.implicit(465, nil)
		wantReply(t, "revoked app password", c.Auth(sasl.NewLoginClient(user, revokedPass)),
			535, smtp.EnhancedCode{5, 7, 8}, "Username and Password not accepted. For more information, go to\n https://support.google.com/mail/?p=BadCredentials")
		c.Close()

		c, _ = b.implicit(465, nil)
		wantReply(t, "MAIL without AUTH", c.Mail(user, nil),
			530, smtp.EnhancedCode{5, 7, 0}, "Authentication Required. For more information, go to\n https://support.google.com/mail/?p=WantAuthError")
		if err := c.Auth(sasl.NewPlainClient("", user, appPass)); err != nil {
			t.Fatalf("app password: %v", err)
		}
		wantReply(t, "someone else's sender", c.Mail("boss@example.com", nil),
			553, smtp.EnhancedCode{5, 7, 1}, "Sender address rejected: not owned by user")
		if err := sendOne(c, user, "owner@example.net"); err != nil {
			t.Fatalf("send with the app password: %v", err)
		}
		c.Close()

		// Port 587 in plain text: no AUTH offered, and none accepted.
		c = b.plain(587)
		if ok, _ := c.Extension("AUTH"); ok {
			t.Error("AUTH advertised before STARTTLS")
		}
		if ok, _ := c.Extension("STARTTLS"); !ok {
			t.Error("STARTTLS not advertised on 587")
		}
		wantReply(t, "AUTH before STARTTLS", c.Auth(sasl.NewPlainClient("", user, appPass)),
			530, smtp.EnhancedCode{5, 7, 0}, "Must issue a STARTTLS command first.")
		wantReply(t, "MAIL before STARTTLS", c.Mail(user, nil),
			530, smtp.EnhancedCode{5, 7, 0}, "Must issue a STARTTLS command first.")
		c.Close()

		c, err = b.startTLS(587, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Auth(sasl.NewLoginClient(user, appPass)); err != nil {
			t.Fatalf("AUTH LOGIN after STARTTLS: %v", err)
		}
		if err := sendOne(c, user, "owner@example.net"); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if n := b.server.Accepted(); n != 2 {
			t.Errorf("server stored %d messages, want 2", n)
		}
	})
}

// TestGmailLikeSizeLimit has the limit lowered so as not to move 36 MB; the
// reply is the preset's.
func TestGmailLikeSizeLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "gmail-like", nil, func(s *fakesmtp.Server) {
			twoFactorAccount(s)
			s.MaxMessageBytes = 100_000
		})
		c, _ := b.implicit(465, nil)
		if err := c.Auth(sasl.NewPlainClient("", user, appPass)); err != nil {
			t.Fatal(err)
		}
		c.Mail(user, nil)
		c.Rcpt("owner@example.net", nil)
		w, _ := c.Data()
		w.Write(lines(200_000))
		wantReply(t, "message over the size limit", w.Close(),
			552, smtp.EnhancedCode{5, 2, 3}, "Your message exceeded Google's message size limits. Please visit\n https://support.google.com/mail/?p=MaxSizeError to view our size\nguidelines.")
		if n := b.server.Accepted(); n != 0 {
			t.Errorf("server stored %d messages", n)
		}
	})
}

func TestOutlookLike(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "outlook-like", nil, twoFactorAccount)

		// An old firmware that speaks only TLS 1.0 gets through the
		// handshake and is told why it is refused.
		old := b.roots.Clone()
		old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
		c, err := b.startTLS(587, old)
		if err == nil {
			err = c.Hello("camera")
		}
		wantReply(t, "TLS 1.0 client", err,
			421, smtp.EnhancedCode{4, 7, 66}, "TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.")

		c, err = b.startTLS(587, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ok, mechs := c.Extension("AUTH"); !ok || mechs != "LOGIN" {
			t.Errorf("AUTH advertised: %q, want LOGIN", mechs)
		}
		wantReply(t, "AUTH PLAIN, not offered", c.Auth(sasl.NewPlainClient("", user, appPass)),
			504, smtp.EnhancedCode{5, 7, 4}, "Unsupported authentication mechanism")
		wantReply(t, "account password", c.Auth(sasl.NewLoginClient(user, accountPass)),
			535, smtp.EnhancedCode{5, 7, 3}, "Authentication unsuccessful")
		wantReply(t, "MAIL without AUTH", c.Mail(user, nil),
			530, smtp.EnhancedCode{5, 7, 57}, "Client not authenticated to send mail.")
		c.Close()

		c, _ = b.startTLS(587, nil)
		if err := c.Auth(sasl.NewLoginClient(user, appPass)); err != nil {
			t.Fatal(err)
		}
		wantReply(t, "someone else's sender, refused after DATA", sendOne(c, "boss@example.com", "owner@example.net"),
			550, smtp.EnhancedCode{5, 7, 60}, "SMTP; Client does not have permissions to send as this sender")
		c.Close()
		if n := b.server.Accepted(); n != 0 {
			t.Errorf("server stored %d messages, want 0", n)
		}
	})
}

func TestISPRelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "isp-relay", nil, func(s *fakesmtp.Server) { s.SenderDomains = []string{"example-isp.net"} })
		c := b.plain(25)
		if ok, _ := c.Extension("AUTH"); ok {
			t.Error("an ISP relay offers AUTH")
		}
		wantReply(t, "AUTH", c.Auth(sasl.NewPlainClient("", user, appPass)),
			503, smtp.EnhancedCode{5, 5, 1}, "Error: authentication not enabled")
		wantReply(t, "foreign sender", c.Mail("camera@gmail.com", nil),
			553, smtp.EnhancedCode{5, 7, 1}, "Sender address rejected: not owned by user")
		if err := sendOne(c, "camera@example-isp.net", "owner@example.com"); err != nil {
			t.Fatalf("own domain: %v", err)
		}
		c.Close()
	})
}

func TestLegacyPlain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "legacy-plain", nil, func(s *fakesmtp.Server) {
			s.Accounts = []fakesmtp.Account{{Username: user, Password: accountPass}}
		})
		c := b.plain(25)
		if ok, _ := c.Extension("STARTTLS"); ok {
			t.Error("legacy-plain offers STARTTLS")
		}
		wantReply(t, "wrong password", c.Auth(sasl.NewLoginClient(user, "nope")),
			535, smtp.EnhancedCode{5, 7, 8}, "Error: authentication failed")
		c.Close()
		c = b.plain(25)
		if err := c.Auth(sasl.NewLoginClient(user, accountPass)); err != nil {
			t.Fatalf("AUTH LOGIN in plain text: %v", err)
		}
		if err := sendOne(c, user, "owner@example.com"); err != nil {
			t.Fatal(err)
		}
		c.Close()
	})
}

var defaultPorts = []fakesmtp.Listener{{Port: 25, Mode: fakesmtp.Plain}, {Port: 587, Mode: fakesmtp.StartTLS}}

func TestFaults(t *testing.T) {
	tempFail := fakesmtp.NewReply(451, "4.3.0", "Temporary failure, try again")
	for _, tc := range []struct {
		name  string
		fault fakesmtp.Fault
		run   func(t *testing.T, b *bench)
	}{
		{"greeting", fakesmtp.Fault{Stage: fakesmtp.StageConnect, Reply: fakesmtp.NewReply(554, "5.7.1", "Service unavailable; client host blocked"), Times: 2}, func(t *testing.T, b *bench) {
			for i := range 2 {
				conn, _ := b.client.Dial(context.Background(), "tcp", b.addrs[25])
				wantReply(t, "greeting "+strconv.Itoa(i+1), smtp.NewClient(conn).Hello("camera"),
					554, smtp.EnhancedCode{5, 7, 1}, "Service unavailable; client host blocked")
			}
			b.plain(25).Close() // the third connection gets through
		}},
		{"hang up at connect", fakesmtp.Fault{Stage: fakesmtp.StageConnect}, func(t *testing.T, b *bench) {
			conn, _ := b.client.Dial(context.Background(), "tcp", b.addrs[25])
			if err := smtp.NewClient(conn).Hello("camera"); !errors.Is(err, io.EOF) {
				t.Errorf("EHLO to a server that hangs up: %v, want EOF", err)
			}
		}},
		{"ehlo", fakesmtp.Fault{Stage: fakesmtp.StageEHLO, Reply: fakesmtp.NewReply(421, "4.7.0", "Try again later, closing connection."), Hangup: true}, func(t *testing.T, b *bench) {
			conn, _ := b.client.Dial(context.Background(), "tcp", b.addrs[25])
			wantReply(t, "EHLO", smtp.NewClient(conn).Hello("camera"), 421, smtp.EnhancedCode{4, 7, 0}, "Try again later, closing connection.")
		}},
		{"starttls", fakesmtp.Fault{Stage: fakesmtp.StageSTARTTLS, Reply: fakesmtp.NewReply(454, "4.7.0", "TLS not available due to local problem")}, func(t *testing.T, b *bench) {
			_, err := b.startTLS(587, nil)
			wantReply(t, "STARTTLS", err, 454, smtp.EnhancedCode{4, 7, 0}, "TLS not available due to local problem")
		}},
		{"auth", fakesmtp.Fault{Stage: fakesmtp.StageAuth, Reply: fakesmtp.NewReply(454, "4.7.0", "Temporary authentication failure")}, func(t *testing.T, b *bench) {
			c, _ := b.startTLS(587, nil)
			wantReply(t, "AUTH", c.Auth(sasl.NewPlainClient("", user, appPass)), 454, smtp.EnhancedCode{4, 7, 0}, "Temporary authentication failure")
		}},
		{"mail", fakesmtp.Fault{Stage: fakesmtp.StageMail, Reply: tempFail}, func(t *testing.T, b *bench) {
			wantReply(t, "MAIL", b.plain(25).Mail(user, nil), 451, smtp.EnhancedCode{4, 3, 0}, "Temporary failure, try again")
		}},
		{"rcpt", fakesmtp.Fault{Stage: fakesmtp.StageRcpt, Recipient: "gone@example.com", Reply: fakesmtp.NewReply(550, "5.1.1", "The email account that you tried to reach does not exist.")}, func(t *testing.T, b *bench) {
			c := b.plain(25)
			c.Mail(user, nil)
			wantReply(t, "RCPT gone@", c.Rcpt("gone@example.com", nil), 550, smtp.EnhancedCode{5, 1, 1}, "The email account that you tried to reach does not exist.")
			if err := c.Rcpt("owner@example.com", nil); err != nil {
				t.Errorf("RCPT owner@: %v", err)
			}
			w, _ := c.Data()
			w.Write([]byte("Subject: x\r\n\r\nx\r\n"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if m := b.server.Messages(); len(m) != 1 || len(m[0].To) != 1 || m[0].To[0] != "owner@example.com" {
				t.Errorf("stored %+v, want one message to owner@ only", m)
			}
		}},
		{"data", fakesmtp.Fault{Stage: fakesmtp.StageData, Reply: fakesmtp.NewReply(554, "5.7.1", "Message rejected as spam")}, func(t *testing.T, b *bench) {
			wantReply(t, "end of DATA", sendOne(b.plain(25), user, "owner@example.com"), 554, smtp.EnhancedCode{5, 7, 1}, "Message rejected as spam")
			if n := b.server.Accepted(); n != 0 {
				t.Errorf("stored %d messages", n)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBench(t, "", defaultPorts, func(s *fakesmtp.Server) {
					twoFactorAccount(s)
					s.Faults = []fakesmtp.Fault{tc.fault}
				})
				tc.run(t, b)
			})
		})
	}
}

func TestGreylisting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "", defaultPorts, func(s *fakesmtp.Server) { s.Greylist = 5 * time.Minute })
		c := b.plain(25)
		c.Mail(user, nil)
		wantReply(t, "first RCPT", c.Rcpt("owner@example.com", nil),
			450, smtp.EnhancedCode{4, 2, 0}, "Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/")
		c.Close()
		time.Sleep(4 * time.Minute)
		c = b.plain(25)
		c.Mail(user, nil)
		wantReply(t, "RCPT after 4 minutes", c.Rcpt("owner@example.com", nil),
			450, smtp.EnhancedCode{4, 2, 0}, "Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/")
		c.Close()
		time.Sleep(time.Minute)
		if err := sendOne(b.plain(25), user, "owner@example.com"); err != nil {
			t.Fatalf("after 5 minutes: %v", err)
		}
	})
}

func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "gmail-like", defaultPorts, func(s *fakesmtp.Server) {
			s.RequireTLS, s.AuthRequired = false, false
			s.RateLimit = fakesmtp.RateLimit{Messages: 2, Per: time.Hour}
		})
		c := b.plain(25)
		for range 2 {
			if err := sendOne(c, user, "owner@example.com"); err != nil {
				t.Fatal(err)
			}
		}
		wantReply(t, "third message in an hour", c.Mail(user, nil), 421, smtp.EnhancedCode{4, 7, 0}, "Try again later, closing connection.")
		if err := c.Noop(); err == nil {
			t.Error("the server did not hang up after 421")
		}
		time.Sleep(time.Hour)
		if err := sendOne(b.plain(25), user, "owner@example.com"); err != nil {
			t.Fatalf("an hour later: %v", err)
		}
	})
}

func TestSizeLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "", defaultPorts, func(s *fakesmtp.Server) { s.MaxMessageBytes = 1000 })
		c := b.plain(25)
		c.Mail(user, nil)
		c.Rcpt("owner@example.com", nil)
		w, _ := c.Data()
		w.Write(lines(2000))
		wantReply(t, "message over the limit", w.Close(), 552, smtp.EnhancedCode{5, 3, 4}, "Message size exceeds fixed limit")
		if n := b.server.Accepted(); n != 0 {
			t.Errorf("stored %d messages", n)
		}
		if err := sendOne(c, user, "owner@example.com"); err != nil {
			t.Errorf("a small message after it: %v", err)
		}
	})
}

func TestDisconnectMidData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "", defaultPorts, func(s *fakesmtp.Server) { s.DisconnectAfter = 5000 })
		c := b.plain(25)
		c.Mail(user, nil)
		c.Rcpt("owner@example.com", nil)
		w, _ := c.Data()
		w.Write(lines(20_000))
		if err := w.Close(); err == nil {
			t.Fatal("the message was accepted")
		}
		if n := b.server.Accepted(); n != 0 {
			t.Errorf("stored %d messages", n)
		}
		if !strings.Contains(transcriptText(b.server.Sessions()[0]), "hung up after 5000 bytes of message data") {
			t.Errorf("transcript:\n%s", transcriptText(b.server.Sessions()[0]))
		}
	})
}

func TestTarpit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "", defaultPorts, func(s *fakesmtp.Server) { s.Tarpit = 20 * time.Second })
		start := time.Now()
		b.plain(25).Close()
		// The greeting and the EHLO reply each wait 20 s. The network adds
		// 30 ms until the server accepts (a round trip and a half at 10 ms
		// each way), 10 ms for the greeting, a round trip for EHLO.
		if got, want := time.Since(start).Round(time.Millisecond), 40*time.Second+60*time.Millisecond; got != want {
			t.Errorf("greeting and EHLO took %v, want %v", got, want)
		}
	})
}

func transcriptText(s fakesmtp.Session) string {
	var b strings.Builder
	for _, l := range s.Transcript {
		b.WriteString(l.String() + "\n")
	}
	return b.String()
}

// lines returns about n bytes of message body in lines of 76 characters,
// like base64.
func lines(n int) []byte {
	line := strings.Repeat("A", 76) + "\r\n"
	return []byte(strings.Repeat(line, n/len(line)+1))
}
