package fakesmtp_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
)

// TestEHLOInjection: an EHLO name that is not RFC 5321's domain or address
// literal is refused before it goes anywhere: not into the session, a
// message's Helo (the Received field of serve's .eml) or the reply.
func TestEHLOInjection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial, _ := pipeServer(t, fakesmtp.Plain, nil)
		c := dial()
		for _, bad := range []string{"cam\rX-Injected: yes", "cam\x00era", "cam era", "my_camera", "-cam", "[300.1.1.1]", "[IPv6:nonsense]"} {
			c.send("EHLO " + bad + "\r\n")
			c.expect("501 5.5.2 Helo command rejected: Invalid name")
		}
		// Never introduced: the session has no EHLO to go on from.
		c.send("MAIL FROM:<cam@example.com>\r\n")
		c.expect("502 5.5.1 Please introduce yourself first.")
		for _, good := range []string{"camera", "cam-1.example.com", "[192.0.2.10]", "[IPv6:2001:db8::1]"} {
			c.send("EHLO " + good + "\r\n")
			c.expect("250 SIZE")
		}
		c.send("HELO cam\rX-Injected: yes\r\n")
		c.expect("501 5.5.2 Helo command rejected: Invalid name")
		c.send("MAIL FROM:<cam@example.com>\r\n")
		c.expect("250 2.0.0 Roger, accepting mail from <cam@example.com>")
		c.send("RCPT TO:<owner@example.com>\r\n")
		c.expect("250 2.0.0 I'll make sure <owner@example.com> gets this")
		c.send("DATA\r\n")
		c.expect("354 Go ahead. End your data with <CR><LF>.<CR><LF>")
		c.send("Subject: x\r\n\r\nbody\r\n.\r\n")
		c.expect("250 2.0.0 OK: queued")
		synctest.Wait()
		if m := srv.Messages()[0]; m.Helo != "camera" {
			t.Errorf("message Helo = %q, want the first valid name", m.Helo)
		}
		for _, l := range srv.Sessions()[0].Transcript {
			if strings.Contains(l.Text, "X-Injected") || strings.ContainsAny(l.Text, "\r\x00") {
				t.Errorf("transcript line carries the injected bytes: %q", l.Text)
			}
		}
	})
}

// TestBareLFRefused: a command or message line ending in a bare LF is
// refused with Postfix's reply and the session ends; nothing is stored.
func TestBareLFRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []string // sent, then the reply expected, in pairs
	}{
		{"command", []string{"NOOP\n", "521 5.5.2 Error: bare <LF> received"}},
		{"data", []string{
			"MAIL FROM:<cam@example.com>\r\n", "250 2.0.0 Roger, accepting mail from <cam@example.com>",
			"RCPT TO:<owner@example.com>\r\n", "250 2.0.0 I'll make sure <owner@example.com> gets this",
			"DATA\r\n", "354 Go ahead. End your data with <CR><LF>.<CR><LF>",
			"Subject: smuggle\r\n\r\nhello\n.\nMAIL FROM:<x@y>\r\n.\r\n", "521 5.5.2 Error: bare <LF> received"}},
		{"chunk", []string{
			"MAIL FROM:<cam@example.com>\r\n", "250 2.0.0 Roger, accepting mail from <cam@example.com>",
			"RCPT TO:<owner@example.com>\r\n", "250 2.0.0 I'll make sure <owner@example.com> gets this",
			"BDAT 13 LAST\r\nSubject: a\nb\r\n", "521 5.5.2 Error: bare <LF> received"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv, dial, _ := pipeServer(t, fakesmtp.Plain, nil)
				c := dial()
				c.send("EHLO camera\r\n")
				c.expect("250 SIZE")
				for i := 0; i < len(tc.steps); i += 2 {
					c.send(tc.steps[i])
					c.expect(tc.steps[i+1])
				}
				if _, err := c.r.ReadString('\n'); !errors.Is(err, io.EOF) {
					t.Errorf("after the refusal: %v, want the connection closed", err)
				}
				synctest.Wait()
				if n := len(srv.Messages()); n != 0 {
					t.Errorf("%d messages stored", n)
				}
			})
		})
	}
	t.Run("allowed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) { s.AllowBareLF = true })
			c := dial()
			c.send("EHLO camera\n")
			c.expect("250 SIZE")
			c.send("MAIL FROM:<cam@example.com>\r\n")
			c.expect("250 2.0.0 Roger, accepting mail from <cam@example.com>")
			c.send("RCPT TO:<owner@example.com>\r\n")
			c.expect("250 2.0.0 I'll make sure <owner@example.com> gets this")
			c.send("DATA\r\n")
			c.expect("354 Go ahead. End your data with <CR><LF>.<CR><LF>")
			c.send("Subject: a\nb\r\n.\r\n")
			c.expect("250 2.0.0 OK: queued")
			synctest.Wait()
			if got := string(srv.Messages()[0].Raw); got != "Subject: a\nb\r\n" {
				t.Errorf("stored %q", got)
			}
		})
	})
}

// TestTimeoutNeverRunsAPartialLine: a command without its CRLF when the
// read times out is dropped, never run: the client gets the timeout's 421.
func TestTimeoutNeverRunsAPartialLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) { s.ReadTimeout = 30 * time.Second })
		c := dial()
		c.send("EHLO camera\r\n")
		c.expect("250 SIZE")
		c.send("QUIT")
		c.expect("421 4.4.2 Idle timeout, bye bye")
		synctest.Wait()
		s := srv.Sessions()[0]
		text := strings.Join(transcript(s), "\n")
		if strings.Contains(text, "C: QUIT") || strings.Contains(text, "221") {
			t.Errorf("the partial line ran:\n%s", text)
		}
		if !strings.Contains(text, "* discarded 4 bytes of a command line the client never finished") {
			t.Errorf("transcript does not say what was dropped:\n%s", text)
		}
		if s.EndReason != "idle timeout" {
			t.Errorf("EndReason %q", s.EndReason)
		}
	})
}

// TestSessionTimeBound: a client that sends a command a byte at a time,
// never idle for the read timeout, is cut off at MaxSessionTime.
func TestSessionTimeBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) {
			s.ReadTimeout = 2 * time.Minute // a command takes one
			s.MaxSessionTime = 10 * time.Minute
		})
		c := dial()
		start := time.Now()
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				for _, b := range "NOOP\r\n" {
					if _, err := c.conn.Write([]byte{byte(b)}); err != nil {
						return
					}
					select {
					case <-time.After(10 * time.Second):
					case <-stop:
						return
					}
				}
			}
		}()
		for {
			l, err := c.r.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if strings.HasPrefix(l, "421") {
				break
			}
			if time.Since(start) > 11*time.Minute {
				t.Fatal("still served after 11 minutes: the session's time is not bounded")
			}
		}
		if d := time.Since(start); d > 10*time.Minute {
			t.Errorf("cut off after %v, want 10 minutes", d)
		}
		c.conn.Close()
		synctest.Wait()
		if r := srv.Sessions()[0].EndReason; r != "the session reached its longest allowed time" {
			t.Errorf("EndReason %q", r)
		}
	})
}

// TestTranscriptBounded: 100,000 NOOPs keep the transcript at its bound:
// the start and the latest lines, and how many were left out.
func TestTranscriptBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) { s.MaxTranscriptLines = 100 })
		c := dial()
		const n = 100_000
		go func() { c.send(strings.Repeat("NOOP\r\n", n) + "QUIT\r\n") }()
		for range n {
			c.reply()
		}
		c.expect("221 2.0.0 Bye")
		synctest.Wait()
		s := srv.Sessions()[0]
		if len(s.Transcript) != 101 {
			t.Errorf("%d transcript lines, want 100 and the note", len(s.Transcript))
		}
		last := s.Transcript[len(s.Transcript)-1].String()
		if last != "* connection closed" {
			t.Errorf("last line %q, want the latest", last)
		}
		if want := fmt.Sprintf("* %d transcript lines left out", s.Omitted); s.Transcript[50].String() != want || s.Omitted < 2*n-100 {
			t.Errorf("line 50 %q, omitted %d", s.Transcript[50], s.Omitted)
		}
	})
}

// TestSessionsBounded: KeepSessions lets the oldest finished sessions go.
func TestSessionsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) { s.KeepSessions = 10 })
		for range 50 {
			c := dial()
			c.send("QUIT\r\n")
			c.expect("221 2.0.0 Bye")
			c.conn.Close()
			synctest.Wait()
		}
		s := srv.Sessions()
		if len(s) != 10 || s[0].ID != 41 {
			t.Errorf("%d sessions from #%d, want the latest 10", len(s), s[0].ID)
		}
	})
}

// TestRecipientCap: the recipient beyond MaxRecipients gets go-smtp's 452.
func TestRecipientCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) { s.MaxRecipients = 3 })
		c := dial()
		c.send("EHLO camera\r\n")
		if ehlo := strings.Join(c.expect("250 LIMITS RCPTMAX=3"), "\n"); !strings.Contains(ehlo, "250-SIZE") {
			t.Errorf("EHLO does not advertise the bound:\n%s", ehlo)
		}
		c.send("MAIL FROM:<cam@example.com>\r\n")
		c.reply()
		for i := range 3 {
			c.send(fmt.Sprintf("RCPT TO:<o%d@example.com>\r\n", i))
			c.expect(fmt.Sprintf("250 2.0.0 I'll make sure <o%d@example.com> gets this", i))
		}
		c.send("RCPT TO:<o4@example.com>\r\n")
		c.expect("452 4.5.3 Maximum limit of 3 recipients reached")
	})
}

// TestConnectionCaps: connections beyond the caps are told why and closed;
// once one closes, the next is served.
func TestConnectionCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial := rawWorld(t, func(s *fakesmtp.Server) { s.MaxClientConnections = 2 })
		var open []net.Conn
		for range 2 {
			c := dial()
			if l, _ := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(l, "220 ") {
				t.Fatalf("greeting %q", l)
			}
			open = append(open, c)
		}
		extra := dial()
		if l, _ := bufio.NewReader(extra).ReadString('\n'); l != "421 4.7.0 Error: too many connections\r\n" {
			t.Errorf("third connection: %q", l)
		}
		open[0].Close()
		time.Sleep(time.Second) // the FIN crosses the network
		again := dial()
		if l, _ := bufio.NewReader(again).ReadString('\n'); !strings.HasPrefix(l, "220 ") {
			t.Errorf("after one closed: %q", l)
		}
		synctest.Wait()
		if r := srv.Sessions()[2].EndReason; r != "too many connections from 192.0.2.10" {
			t.Errorf("EndReason %q", r)
		}
	})
}

// TestAuthThrottle: a client that fails too often is refused AUTH and
// hung up on, and every failure is an event without the password.
func TestAuthThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var events []fakesmtp.Event
		_, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) {
			s.Accounts = []fakesmtp.Account{{Username: "cam", Password: "right"}}
			s.AllowInsecureAuth = true
			s.AuthThrottle = fakesmtp.AuthThrottle{Failures: 3, Per: time.Minute, Delay: time.Second}
			s.OnEvent = func(e fakesmtp.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }
		})
		c := dial()
		c.send("EHLO camera\r\n")
		c.expect("250 SIZE")
		wrong := "AUTH PLAIN AGNhbQB3cm9uZw==\r\n" // cam / wrong
		start := time.Now()
		for range 3 {
			c.send(wrong)
			c.expect("535 5.7.8 Error: authentication failed")
		}
		if d := time.Since(start); d < 3*time.Second {
			t.Errorf("three failures answered in %v, want a second's delay each", d)
		}
		c.send("AUTH PLAIN AGNhbQByaWdodA==\r\n") // the right one, too late
		c.expect("421 4.7.0 Error: too many failed logins, try again later")
		other := dial() // a new connection from the same client
		other.send("EHLO camera\r\n")
		other.expect("250 SIZE")
		other.send("AUTH PLAIN AGNhbQByaWdodA==\r\n")
		other.expect("421 4.7.0 Error: too many failed logins, try again later")
		time.Sleep(time.Minute)
		third := dial()
		third.send("EHLO camera\r\n")
		third.expect("250 SIZE")
		third.send("AUTH PLAIN AGNhbQByaWdodA==\r\n")
		third.expect("235 2.0.0 Authentication succeeded")
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		kinds := map[fakesmtp.EventKind]int{}
		for _, e := range events {
			kinds[e.Kind]++
			if strings.Contains(fmt.Sprintf("%+v", e), "wrong") || strings.Contains(fmt.Sprintf("%+v", e), "AGNhbQ") {
				t.Errorf("event shows a credential: %+v", e)
			}
		}
		if kinds[fakesmtp.EventAuthFailed] != 3 || kinds[fakesmtp.EventThrottled] != 2 || kinds[fakesmtp.EventAuth] != 1 {
			t.Errorf("events %v", kinds)
		}
	})
}

// flakyListener fails its first Accepts as a process out of file
// descriptors does.
type flakyListener struct {
	net.Listener
	fails int
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails > 0 {
		l.fails--
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: errors.New("too many open files")}
	}
	return l.Listener.Accept()
}

// TestAcceptErrorsSurvived: accept errors are waited out, not fatal.
func TestAcceptErrorsSurvived(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var errs []string
	srv := fakesmtp.NewServer()
	srv.OnEvent = func(e fakesmtp.Event) {
		if e.Kind == fakesmtp.EventAcceptError {
			mu.Lock()
			errs = append(errs, e.Reason)
			mu.Unlock()
		}
	}
	srv.Start(t, &flakyListener{Listener: l, fails: 5}, fakesmtp.Plain)
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if g, err := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(g, "220 ") {
		t.Fatalf("greeting after accept errors: %q %v", g, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) != 5 || !strings.Contains(errs[0], "too many open files; accepting again in 5ms") {
		t.Errorf("accept errors reported: %q", errs)
	}
}

// TestStoreFailureIs4xx: a message the store cannot keep is answered 451,
// never 250, and counted nowhere.
func TestStoreFailureIs4xx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) { s.Store = errStore{} })
		c := dial()
		for _, l := range []string{"EHLO camera\r\n", "MAIL FROM:<cam@example.com>\r\n", "RCPT TO:<owner@example.com>\r\n"} {
			c.send(l)
			c.reply()
		}
		c.send("DATA\r\n")
		c.expect("354 Go ahead. End your data with <CR><LF>.<CR><LF>")
		c.send("Subject: x\r\n\r\n" + strings.Repeat("data\r\n", 1000) + ".\r\n")
		c.expect("451 4.3.0 Error: queue file write error")
		c.send("NOOP\r\n")
		c.expect("250 2.0.0 I have successfully done nothing")
		synctest.Wait()
		if srv.Accepted() != 0 {
			t.Errorf("%d accepted", srv.Accepted())
		}
	})
}

// errStore's drafts fail to write, with a file system's kind of error.
type errStore struct{}

func (errStore) Create(*fakesmtp.Message) (fakesmtp.Draft, error) { return errDraft{}, nil }

type errDraft struct{}

func (errDraft) Write([]byte) (int, error) {
	return 0, errors.New("write spool: no space left on device")
}
func (errDraft) Open() (io.ReadCloser, error)   { return nil, errors.New("nothing written") }
func (errDraft) Commit(*fakesmtp.Message) error { return errors.New("nothing written") }
func (errDraft) Discard()                       {}
