package alert_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
	"alertsim/netem"
	"alertsim/sim/alert"
)

// world is a device and a Gmail-like server on port 465 of an emulated
// network.
func world(t *testing.T) (*alert.Client, *fakesmtp.Server) {
	t.Helper()
	return worldWith(t, nil)
}

// worldWith is world with the server configured by configure before it
// starts serving.
func worldWith(t *testing.T, configure func(*fakesmtp.Server)) (*alert.Client, *fakesmtp.Server) {
	t.Helper()
	c, srv := mxWorld(t, "smtp.example.com", 465, fakesmtp.ImplicitTLS, 20*time.Millisecond, func(s *fakesmtp.Server) {
		s.Accounts = []fakesmtp.Account{{Username: "cam@example.com", Password: "app-password"}}
		s.AuthRequired = true
		if configure != nil {
			configure(s)
		}
	})
	c.HelloName = "cam"
	c.Timeouts = alert.Timeouts{Connect: 20 * time.Second, Command: time.Minute, Submission: time.Minute}
	return c, srv
}

// mxWorld is a device and one server, called host, at 203.0.113.25 with
// a certificate for host, on an emulated network whose device link delays
// each way by delay. configure sets the server up before it serves mode
// on port. The client dials from the device, finds host and trusts the
// server's certificate authority.
func mxWorld(t *testing.T, host string, port int, mode fakesmtp.Mode, delay time.Duration, configure func(*fakesmtp.Server)) (*alert.Client, *fakesmtp.Server) {
	t.Helper()
	cryptotest.SetGlobalRandom(t, 1)
	n := netem.New(netem.Config{})
	t.Cleanup(func() { n.Close() })
	link := netem.Direction{Delay: delay}
	dev, _ := n.AddHost(netem.HostConfig{Name: "cam", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Link: netem.Link{Up: link, Down: link}})
	mx, _ := n.AddHost(netem.HostConfig{Name: host, Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}})
	ca, err := fakesmtp.NewCA("test root")
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := ca.Issue(fakesmtp.CertOptions{Hosts: []string{host}})
	srv := fakesmtp.NewServer()
	srv.Domain = host
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	if configure != nil {
		configure(srv)
	}
	l, _ := mx.Listen("tcp", fmt.Sprintf(":%d", port))
	srv.Start(t, l, mode)
	return &alert.Client{
		Dial:     dev.Dial,
		Resolver: alert.Hosts{host: {netip.MustParseAddr("203.0.113.25")}},
		RootCAs:  ca.Pool,
	}, srv
}

var (
	gmail = alert.Server{Host: "smtp.example.com", Port: 465, ImplicitTLS: true, Security: alert.SecurityCertified, Username: "cam@example.com", Password: "app-password"}
	env   = alert.Envelope{From: "cam@example.com", To: []string{"owner@example.com"}}
	msg   = []byte("Subject: motion\r\n\r\nGate\r\n")
)

func TestSendDelivers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, srv := world(t)
		var log []string
		c.Log = func(e alert.Event) { log = append(log, e.Text) }
		r, err := c.Send(context.Background(), gmail, env, msg)
		if err != nil {
			t.Fatal(err)
		}
		if r.Reply != "2.0.0 OK: queued" || len(r.Accepted) != 1 {
			t.Errorf("receipt = %+v", r)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || string(msgs[0].Raw) != string(msg) || msgs[0].TLS == nil {
			t.Fatalf("server captured %+v", msgs)
		}
		if last := log[len(log)-1]; last != "delivered: 250 2.0.0 OK: queued" {
			t.Errorf("last log line %q", last)
		}
	})
}

// TestTimeoutsDefaultEachOnItsOwn: a client that sets one timeout keeps
// the defaults of the others. Firmware that only shortens the connect
// timeout must not be left with no time to wait for the greeting.
func TestTimeoutsDefaultEachOnItsOwn(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    alert.Timeouts
	}{
		{"connect only", alert.Timeouts{Connect: 5 * time.Second}},
		{"command only", alert.Timeouts{Command: time.Minute}},
		{"data block only", alert.Timeouts{DataBlock: time.Minute}},
		{"submission only", alert.Timeouts{Submission: time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, srv := world(t)
				c.Timeouts = tc.t
				if _, err := c.Send(context.Background(), gmail, env, msg); err != nil {
					t.Fatalf("Timeouts%+v: %v", tc.t, err)
				}
				if n := len(srv.Messages()); n != 1 {
					t.Errorf("server captured %d messages, want 1", n)
				}
			})
		})
	}
}

// TestATimeoutSetAloneIsUsed: a Command timeout set on its own bounds the
// wait for the greeting, though every other field is left to its default:
// a server that holds its greeting for a minute fails a client that waits
// 30 seconds, at the greeting, 30 seconds after the TLS handshake.
func TestATimeoutSetAloneIsUsed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := worldWith(t, func(s *fakesmtp.Server) { s.Tarpit = time.Minute })
		c.Timeouts = alert.Timeouts{Command: 30 * time.Second}
		start := time.Now()
		_, err := c.Send(context.Background(), gmail, env, msg)
		var e *alert.Error
		if !errors.As(err, &e) || e.Class != alert.ClassTimeout || e.Stage != "greeting" {
			t.Fatalf("Send = %v, want a timeout at the greeting", err)
		}
		// Connect and the TLS handshake take three round trips of 40 ms.
		if took := time.Since(start); took < 30*time.Second || took > 31*time.Second {
			t.Errorf("gave up after %v, want 30 s after the handshake", took)
		}
	})
}

// TestSendClassifiesFailures: each way a delivery fails comes back as an
// *alert.Error of the class a failure log shows.
func TestSendClassifiesFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		srv   func(alert.Server) alert.Server
		class alert.Class
		stage string
		code  int
	}{
		{"unknown host", func(s alert.Server) alert.Server { s.Host = "smtp.nowhere.example"; return s }, alert.ClassDNS, "resolve", 0},
		{"closed port", func(s alert.Server) alert.Server { s.Port = 587; return s }, alert.ClassRefused, "connect", 0},
		{"nobody at the address", func(s alert.Server) alert.Server { s.Host = "198.51.100.7"; return s }, alert.ClassConnectTimeout, "connect", 0},
		{"wrong password", func(s alert.Server) alert.Server { s.Password = "account-password"; return s }, alert.ClassAuth, "auth", 535},
		{"no login", func(s alert.Server) alert.Server { s.Username = ""; return s }, alert.ClassRejected, "mail", 530},
		{"certificate for another name", func(s alert.Server) alert.Server { s.Host = "203.0.113.25"; return s }, alert.ClassTLS, "tls", 0},
		{"plain text to the implicit TLS port", func(s alert.Server) alert.Server { s.ImplicitTLS = false; s.Port = 465; return s }, alert.ClassTimeout, "greeting", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, srv := world(t)
				_, err := c.Send(context.Background(), tc.srv(gmail), env, msg)
				var e *alert.Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v (%T), want *alert.Error", err, err)
				}
				if e.Class != tc.class || e.Stage != tc.stage || e.Code != tc.code {
					t.Errorf("got class %s at %s, code %d; want %s at %s, code %d (%v)", e.Class, e.Stage, e.Code, tc.class, tc.stage, tc.code, err)
				}
				if n := len(srv.Messages()); n != 0 {
					t.Errorf("server accepted %d messages", n)
				}
			})
		})
	}
}

func TestSendGivesUpWhenTheContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := world(t)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, gmail, env, msg)
		var e *alert.Error
		// 100 ms is after the TLS handshake (two round trips of 40 ms) and
		// before the greeting arrives.
		if !errors.As(err, &e) || e.Class != alert.ClassTimeout || e.Stage != "greeting" {
			t.Fatalf("error %v, want a timeout waiting for the greeting", err)
		}
	})
}
