package fakesmtp_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net/netip"
	"slices"
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

const (
	user     = "camera@example.com"
	password = "abcd efgh ijkl mnop"
)

// rig is a server host and a client host on an emulated network with a
// fake server listening in one mode.
type rig struct {
	server *fakesmtp.Server
	client *netem.Host
	addr   string
	roots  *tls.Config
}

func newRig(t *testing.T, mode fakesmtp.Mode, port string) *rig {
	t.Helper()
	cryptotest.SetGlobalRandom(t, 1)
	n := netem.New(netem.Config{Seed: 1})
	t.Cleanup(func() { n.Close() })
	oneWay := netem.Direction{Delay: 25 * time.Millisecond}
	client, err := n.AddHost(netem.HostConfig{Name: "camera", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Link: netem.Link{Up: oneWay, Down: oneWay}})
	if err != nil {
		t.Fatal(err)
	}
	host, err := n.AddHost(netem.HostConfig{Name: "smtp.example.com", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := fakesmtp.NewCA("alertsim test root")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(fakesmtp.CertOptions{Hosts: []string{"smtp.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := host.Listen("tcp", ":"+port)
	if err != nil {
		t.Fatal(err)
	}
	s := fakesmtp.NewServer()
	s.Domain = "smtp.example.com"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.Accounts = []fakesmtp.Account{{Username: user, Password: password}}
	s.AuthRequired = true
	s.Start(t, l, mode)
	return &rig{server: s, client: client, addr: l.Addr().String(), roots: &tls.Config{RootCAs: ca.Pool, ServerName: "smtp.example.com"}}
}

func (r *rig) dial(t *testing.T, implicitTLS bool) *smtp.Client {
	t.Helper()
	conn, err := r.client.Dial(context.Background(), "tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	if implicitTLS {
		conn = tls.Client(conn, r.roots)
	}
	c := smtp.NewClient(conn)
	if err := c.Hello("camera"); err != nil {
		t.Fatal(err)
	}
	return c
}

func send(t *testing.T, c *smtp.Client, body string) {
	t.Helper()
	if err := c.Mail(user, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("owner@example.net", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(body))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestImplicitTLSAuthAndCapture(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, fakesmtp.ImplicitTLS, "465")
				c := r.dial(t, true)
				var auth sasl.Client = sasl.NewPlainClient("", user, password)
				if mech == "LOGIN" {
					auth = sasl.NewLoginClient(user, password)
				}
				if err := c.Auth(auth); err != nil {
					t.Fatalf("AUTH %s: %v", mech, err)
				}
				send(t, c, "Subject: motion\r\n\r\nhello\r\n")
				c.Quit()

				msgs, err := r.server.WaitForMessages(t.Context(), 1)
				if err != nil {
					t.Fatal(err)
				}
				m := msgs[0]
				if m.From != user || len(m.To) != 1 || m.To[0] != "owner@example.net" {
					t.Errorf("envelope = %q -> %q", m.From, m.To)
				}
				if got := string(m.Raw); got != "Subject: motion\r\n\r\nhello\r\n" {
					t.Errorf("raw = %q", got)
				}
				if m.TLS == nil || m.TLS.Version != "TLS 1.3" || m.TLS.ServerName != "smtp.example.com" {
					t.Errorf("TLS = %+v, want TLS 1.3 with SNI smtp.example.com", m.TLS)
				}
				if m.AuthMechanism != mech || m.AuthUser != user {
					t.Errorf("auth = %s %s, want %s %s", m.AuthMechanism, m.AuthUser, mech, user)
				}
				assertNoSecrets(t, r.server.Sessions())
			})
		})
	}
}

// TestTranscriptDirections: every line of a session's transcript, in every
// mode, has the direction it went in, in the order it went, including
// across the switch to TLS mid-session; AUTH payloads are redacted and
// message data summarized.
func TestTranscriptDirections(t *testing.T) {
	ehlo := func(name string, caps ...string) []string {
		out := []string{"C: EHLO " + name, "S: 250-Hello " + name, "S: 250-PIPELINING", "S: 250-8BITMIME", "S: 250-ENHANCEDSTATUSCODES", "S: 250-CHUNKING"}
		for _, c := range caps {
			out = append(out, "S: 250-"+c)
		}
		return append(out, "S: 250 SIZE")
	}
	const (
		greeting = "S: 220 smtp.example.com ESMTP Service Ready"
		tls13    = "* TLS negotiated: TLS 1.3 TLS_AES_128_GCM_SHA256 (SNI smtp.example.com)"
	)
	auth := []string{"C: AUTH PLAIN " + fakesmtp.Redacted, "S: 235 2.0.0 Authentication succeeded"}
	mail := []string{
		"C: MAIL FROM:<" + user + "> BODY=8BITMIME",
		"S: 250 2.0.0 Roger, accepting mail from <" + user + ">",
		"C: RCPT TO:<owner@example.net>",
		"S: 250 2.0.0 I'll make sure <owner@example.net> gets this",
		"C: DATA",
		"S: 354 Go ahead. End your data with <CR><LF>.<CR><LF>",
		"C: [message data, 29 bytes]", // 28 bytes, one dot doubled on the wire
		"S: 250 2.0.0 OK: queued",
		"C: QUIT",
		"S: 221 2.0.0 Bye",
		"* connection closed",
	}
	for _, tc := range []struct {
		mode fakesmtp.Mode
		port string
		want [][]string
	}{
		{fakesmtp.Plain, "25", [][]string{{"* connection from 192.0.2.10:49152 (plain)", greeting}, ehlo("camera"), mail}},
		{fakesmtp.StartTLS, "587", [][]string{
			{"* connection from 192.0.2.10:49152 (starttls)", greeting},
			ehlo("localhost", "STARTTLS"), // go-smtp's client says EHLO localhost first
			{"C: STARTTLS", "S: 220 2.0.0 Ready to start TLS", tls13},
			ehlo("camera", "AUTH PLAIN LOGIN"), auth, mail,
		}},
		{fakesmtp.ImplicitTLS, "465", [][]string{
			{"* connection from 192.0.2.10:49152 (implicit TLS)", tls13, greeting},
			ehlo("camera", "AUTH PLAIN LOGIN"), auth, mail,
		}},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, tc.mode, tc.port)
				// AUTH is then offered only over TLS, which the layer tells
				// the backend about.
				r.server.AllowInsecureAuth = false
				var c *smtp.Client
				if tc.mode == fakesmtp.StartTLS {
					c = startTLS(t, r)
				} else {
					c = r.dial(t, tc.mode == fakesmtp.ImplicitTLS)
				}
				if tc.mode != fakesmtp.Plain {
					if err := c.Auth(sasl.NewPlainClient("", user, password)); err != nil {
						t.Fatal(err)
					}
				} else {
					r.server.AuthRequired = false
				}
				send(t, c, "Subject: x\r\n\r\n.leading dot\r\n")
				c.Quit()
				synctest.Wait()

				sess := r.server.Sessions()
				var got []string
				for _, l := range sess[len(sess)-1].Transcript {
					got = append(got, l.String())
				}
				if want := slices.Concat(tc.want...); !slices.Equal(got, want) {
					t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				assertNoSecrets(t, sess)
			})
		})
	}
}

// startTLS opens a session and upgrades it with STARTTLS, then hands it to
// a go-smtp client.
func startTLS(t *testing.T, r *rig) *smtp.Client {
	t.Helper()
	conn, err := r.client.Dial(context.Background(), "tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClientStartTLS(conn, r.roots)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Hello("camera"); err != nil && !strings.Contains(err.Error(), "Hello called after") {
		t.Fatal(err)
	}
	return c
}

func TestWrongPasswordIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, fakesmtp.ImplicitTLS, "465")
		c := r.dial(t, true)
		defer c.Close()
		err := c.Auth(sasl.NewLoginClient(user, "wrong password"))
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 535 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 8}) {
			t.Fatalf("AUTH with a wrong password: %v, want 535 5.7.8", err)
		}
		err = c.Mail(user, nil)
		if !errors.As(err, &se) || se.Code != 530 {
			t.Fatalf("MAIL without AUTH: %v, want 530", err)
		}
		assertNoSecrets(t, r.server.Sessions())
	})
}

func TestCloseEndsOpenSessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, fakesmtp.ImplicitTLS, "465")
		c := r.dial(t, true)
		defer c.Close()
		r.server.Close()
		// The session is gone: the next command fails instead of hanging.
		if err := c.Noop(); err == nil {
			t.Fatal("NOOP after Close succeeded")
		}
		if _, err := r.server.WaitForMessages(context.Background(), 1); !errors.Is(err, fakesmtp.ErrServerClosed) {
			t.Fatalf("WaitForMessages after Close: %v", err)
		}
	})
}

func TestCaptureParsesAttachments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, fakesmtp.ImplicitTLS, "465")
		c := r.dial(t, true)
		if err := c.Auth(sasl.NewPlainClient("", user, password)); err != nil {
			t.Fatal(err)
		}
		// A 1x1 GIF as the attachment.
		gif := "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
		body := "MIME-Version: 1.0\r\nSubject: snap\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n" +
			"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMotion at gate\r\n" +
			"--b1\r\nContent-Type: image/gif\r\nContent-Disposition: attachment; filename=\"snap1.gif\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + gif + "\r\n" +
			"--b1--\r\n"
		send(t, c, body)
		c.Quit()
		msgs, err := r.server.WaitForMessages(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		m := msgs[0]
		if m.ParseError != "" {
			t.Fatalf("parse error: %s", m.ParseError)
		}
		if len(m.Parts) != 3 || !m.Parts[0].Multipart {
			t.Fatalf("parts = %+v, want multipart with two children", m.Parts)
		}
		if m.Parts[1].Text != "Motion at gate" {
			t.Errorf("text part = %q", m.Parts[1].Text)
		}
		att := m.Attachments()
		raw, _ := base64.StdEncoding.DecodeString(gif)
		if len(att) != 1 || att[0].Filename != "snap1.gif" || att[0].Size != len(raw) || att[0].Width != 1 || att[0].Height != 1 || att[0].Path != "2" {
			t.Errorf("attachment = %+v", att)
		}
	})
}

// assertNoSecrets fails if the password or an AUTH payload appears in any
// transcript.
func assertNoSecrets(t *testing.T, sessions []fakesmtp.Session) {
	t.Helper()
	secrets := []string{
		password,
		base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password)),
		base64.StdEncoding.EncodeToString([]byte(password)),
		base64.StdEncoding.EncodeToString([]byte(user)),
	}
	for _, s := range sessions {
		for _, l := range s.Transcript {
			for _, secret := range secrets {
				if strings.Contains(l.Text, secret) {
					t.Errorf("session %d transcript leaks a credential: %s", s.ID, l)
				}
			}
		}
	}
}
