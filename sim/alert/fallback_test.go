package alert_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
	"alertsim/sim/alert"
)

// starttlsWorld is a device and a server offering STARTTLS on port 25,
// configured by configure before it serves.
func starttlsWorld(t *testing.T, configure func(*fakesmtp.Server)) (*alert.Client, *fakesmtp.Server) {
	t.Helper()
	c, srv := mxWorld(t, "mail.example.com", 25, fakesmtp.StartTLS, 10*time.Millisecond, configure)
	c.Timeouts = alert.Timeouts{Connect: 10 * time.Second, Command: time.Minute}
	return c, srv
}

var relay = alert.Server{Host: "mail.example.com", Port: 25}

// TestOptionalIsPostfixMay: a server that offers STARTTLS and then answers
// it with 454 gets the message in plain text on the same connection, as
// Postfix's smtp_tls_security_level=may does ("Else try to continue in
// plain-text mode", smtp_proto.c); Required fails there.
func TestOptionalIsPostfixMay(t *testing.T) {
	refuse := func(s *fakesmtp.Server) {
		s.Faults = []fakesmtp.Fault{{Stage: fakesmtp.StageSTARTTLS, Reply: fakesmtp.NewReply(454, "4.7.0", "TLS not available due to temporary reason")}}
	}
	synctest.Test(t, func(t *testing.T) {
		c, srv := starttlsWorld(t, refuse)
		var log []string
		c.Log = func(e alert.Event) { log = append(log, e.Text) }
		s := relay
		s.Security = alert.SecurityOptional
		r, err := c.Send(context.Background(), s, env, msg)
		if err != nil {
			t.Fatalf("optional against a 454 to STARTTLS: %v", err)
		}
		if r.TLS != "" || len(srv.Sessions()) != 1 || srv.Messages()[0].TLS != nil {
			t.Errorf("want one plain-text session; TLS %q, %d sessions", r.TLS, len(srv.Sessions()))
		}
		if !strings.Contains(strings.Join(log, "\n"), "the server refused STARTTLS (454 4.7.0 TLS not available due to temporary reason): sending in plain text") {
			t.Errorf("the log does not say why it went on in plain text:\n%s", strings.Join(log, "\n"))
		}
	})
	synctest.Test(t, func(t *testing.T) {
		c, _ := starttlsWorld(t, refuse)
		s := relay
		s.Security = alert.SecurityRequired
		_, err := c.Send(context.Background(), s, env, msg)
		var e *alert.Error
		if !errors.As(err, &e) || e.Class != alert.ClassDeferred || e.Stage != "starttls" || e.Code != 454 {
			t.Fatalf("required against a 454 to STARTTLS: %v, want deferred at starttls (454)", err)
		}
	})
}

// TestOptionalRetriesInPlainTextAfterAFailedHandshake: the peer is in an
// undefined state after a failed handshake, so Postfix's "may" tries the
// same server again over a new connection without TLS (RETRY_AS_PLAINTEXT)
// unless it has a login to protect, and so does Optional.
func TestOptionalRetriesInPlainTextAfterAFailedHandshake(t *testing.T) {
	// The server speaks TLS 1.3 only; the device's library stops at 1.2.
	tls13 := func(s *fakesmtp.Server) { s.TLSConfig.MinVersion = tls.VersionTLS13 }
	synctest.Test(t, func(t *testing.T) {
		c, srv := starttlsWorld(t, tls13)
		c.MaxTLS = tls.VersionTLS12
		s := relay
		s.Security = alert.SecurityOptional
		r, err := c.Send(context.Background(), s, env, msg)
		if err != nil {
			t.Fatalf("optional after a failed handshake: %v", err)
		}
		if r.TLS != "" || len(srv.Sessions()) != 2 {
			t.Errorf("want the message in plain text on a second connection; TLS %q, %d sessions", r.TLS, len(srv.Sessions()))
		}
	})
	synctest.Test(t, func(t *testing.T) {
		c, srv := starttlsWorld(t, func(s *fakesmtp.Server) {
			tls13(s)
			s.Accounts = []fakesmtp.Account{{Username: "cam", Password: "pw"}}
			s.AllowInsecureAuth = true
		})
		c.MaxTLS = tls.VersionTLS12
		s := relay
		s.Security, s.Username, s.Password = alert.SecurityOptional, "cam", "pw"
		_, err := c.Send(context.Background(), s, env, msg)
		var e *alert.Error
		if !errors.As(err, &e) || e.Class != alert.ClassTLS || len(srv.Sessions()) != 1 {
			t.Fatalf("optional with a login after a failed handshake: %v in %d sessions; want a tls failure and no plain-text retry", err, len(srv.Sessions()))
		}
	})
}

// TestRefusedLoginEndsWithQuit: after the server refuses the login the
// device says QUIT, as firmware does; net/smtp's Client.Auth would send "*"
// first and get "501 5.5.2" back, a dialogue no camera has.
func TestRefusedLoginEndsWithQuit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, srv := world(t)
		s := gmail
		s.Password = "wrong"
		if _, err := c.Send(context.Background(), s, env, msg); err == nil {
			t.Fatal("a wrong password was taken")
		}
		var lines []string
		for _, l := range srv.Sessions()[0].Transcript {
			lines = append(lines, l.String())
		}
		got := strings.Join(lines, "\n")
		i := strings.Index(got, "S: 535")
		if i < 0 || strings.Contains(got, "C: *") || strings.Contains(got, "501") || !strings.Contains(got[i:], "C: QUIT\nS: 221") {
			t.Errorf("the session after the refusal:\n%s", got)
		}
	})
}

// TestClockDecidesCertificates: a device whose clock was never set checks
// a valid certificate against its factory date and finds it not yet valid;
// with its clock right, the same server verifies.
func TestClockDecidesCertificates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := world(t)
		c.Clock = alert.Clock{Offset: -10 * 365 * 24 * time.Hour}
		_, err := c.Send(context.Background(), gmail, env, msg)
		var e *alert.Error
		if !errors.As(err, &e) || e.Class != alert.ClassTLS || !strings.Contains(err.Error(), "not yet valid") && !strings.Contains(err.Error(), "expired or is not yet valid") {
			t.Fatalf("a device ten years behind: %v, want a tls failure: not yet valid", err)
		}
		c.Clock = alert.Clock{}
		if _, err := c.Send(context.Background(), gmail, env, msg); err != nil {
			t.Fatalf("a device with its clock right: %v", err)
		}
	})
}

// TestClockNamesTheFailureLog: the failure log shows the device's clock,
// in its zone.
func TestClockNamesTheFailureLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := world(t)
		tokyo := time.FixedZone("JST", 9*60*60)
		want := time.Date(2009, 6, 18, 17, 30, 0, 0, tokyo)
		c.Clock = alert.Clock{Offset: want.Sub(time.Now()), Location: tokyo}
		s := gmail
		s.Security = alert.SecurityRequired
		s.Password = "wrong"
		d := c.Deliver(context.Background(), alert.Policy{Servers: []alert.Server{s}}, env, msg)
		if f := d.Last(); f == nil || !strings.HasPrefix(f.String(), "2009-06-18 17:30:00 attempt 1") {
			t.Fatalf("failure log entry %v, want the device's 2009-06-18 17:30:00 (JST)", f)
		}
	})
}
