package fakesmtp_test

import (
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"alertsim/fakesmtp"
)

// eventLog collects a server's events.
type eventLog struct {
	mu     sync.Mutex
	events []fakesmtp.Event
}

func (l *eventLog) add(e fakesmtp.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) refused() []fakesmtp.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []fakesmtp.Event
	for _, e := range l.events {
		if e.Kind == fakesmtp.EventRefused {
			out = append(out, e)
		}
	}
	return out
}

// secretsOf are the forms a credential takes on the wire.
func secretsOf(user, password string) []string {
	b64 := base64.StdEncoding.EncodeToString
	return []string{password, b64([]byte(password)), b64([]byte(user)), b64([]byte("\x00" + user + "\x00" + password))}
}

// leaks returns the lines of the session's transcript and the events that
// hold one of the secrets.
func leaks(s fakesmtp.Session, events []fakesmtp.Event, secrets []string) []string {
	var out []string
	for _, l := range s.Transcript {
		for _, secret := range secrets {
			if strings.Contains(l.Text, secret) {
				out = append(out, "transcript: "+l.String())
			}
		}
	}
	for _, e := range events {
		for _, secret := range secrets {
			if strings.Contains(e.Command+e.Reply+e.Reason+e.User, secret) {
				out = append(out, "event: "+string(e.Kind)+" "+e.Command+" "+e.Reply)
			}
		}
	}
	return out
}

// TestAuthPayloadsNeverRecorded: the lines a client sends with an AUTH
// that is refused outright, pipelined in the same write or sent after the
// refusal, are AUTH payloads all the same: redacted in the transcript and
// in the events, never recorded as commands (DESIGN section 4).
func TestAuthPayloadsNeverRecorded(t *testing.T) {
	const user, password = "camera", "S3cr3t-Bench-Pw!"
	b64 := base64.StdEncoding.EncodeToString
	blob := b64([]byte("\x00" + user + "\x00" + password))
	for _, tc := range []struct {
		name string
		// tls: the session runs over TLS, where AUTH is offered.
		tls    bool
		before []string // sent first, one exchange each
		send   string   // then in one write
		// replies are the replies to send's lines.
		replies []string
		secrets []string // besides the account's
	}{
		{
			name:    "LOGIN pipelined on a port without AUTH",
			send:    "AUTH LOGIN\r\n" + b64([]byte(user)) + "\r\n" + b64([]byte(password)) + "\r\n",
			replies: []string{"503 5.5.1 Error: authentication not enabled", "501 5.5.2 Bad command", "501 5.5.2 Bad command"},
		},
		{
			// A client that sends them in plain text, and a password that
			// reads as a command: what came with the AUTH is redacted all
			// the same.
			name:    "LOGIN pipelined in plain text",
			send:    "AUTH LOGIN\r\n" + user + "\r\nHelp me 2024\r\n",
			replies: []string{"503 5.5.1 Error: authentication not enabled", "501 5.5.2 Bad command", "502 5.5.1 HELP command not implemented"},
			secrets: []string{"Help me 2024"},
		},
		{
			name:    "PLAIN pipelined after a login",
			tls:     true,
			before:  []string{"AUTH PLAIN " + blob + "\r\n"},
			send:    "AUTH PLAIN\r\n" + blob + "\r\n",
			replies: []string{"503 5.5.1 Already authenticated", "501 5.5.2 Bad command"},
		},
		{
			name:    "PLAIN pipelined before EHLO",
			tls:     true,
			send:    "AUTH PLAIN\r\n" + blob + "\r\n",
			replies: []string{"502 5.5.1 Please introduce yourself first.", "501 5.5.2 Bad command"},
		},
		{
			name:    "LOGIN with its answers pipelined, accepted",
			tls:     true,
			send:    "AUTH LOGIN\r\n" + b64([]byte(user)) + "\r\n" + b64([]byte(password)) + "\r\n",
			replies: []string{"334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.0.0 Authentication succeeded"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var events eventLog
				mode := fakesmtp.Plain
				if tc.tls {
					mode = fakesmtp.ImplicitTLS
				}
				srv, dial, _ := pipeServer(t, mode, func(s *fakesmtp.Server) {
					s.Accounts = []fakesmtp.Account{{Username: user, Password: password}}
					s.OnEvent = events.add
				})
				c := dial()
				if !strings.Contains(tc.name, "before EHLO") {
					c.send("EHLO camera\r\n")
					c.reply()
				}
				for _, line := range tc.before {
					c.send(line)
					c.reply()
				}
				c.send(tc.send)
				for _, want := range tc.replies {
					c.expect(want)
				}
				// A command after them is a command again.
				c.send("NOOP\r\n")
				c.expect("250 2.0.0 I have successfully done nothing")
				c.send("QUIT\r\n")
				c.reply()
				synctest.Wait()
				sess := srv.Sessions()[0]
				if l := leaks(sess, events.events, append(secretsOf(user, password), tc.secrets...)); len(l) > 0 {
					t.Errorf("credentials recorded:\n%s\ntranscript:\n%s", strings.Join(l, "\n"), strings.Join(transcript(sess), "\n"))
				}
				got := strings.Join(transcript(sess), "\n")
				for _, want := range []string{"C: NOOP", "C: QUIT"} {
					if !strings.Contains(got, want) {
						t.Errorf("transcript lacks %q:\n%s", want, got)
					}
				}
			})
		})
	}
}

// TestLinesAfterAFailedAuthRedacted: a client that sends its LOGIN answers
// though the AUTH was refused, each after the reply to the one before,
// has them redacted too: a line that follows an AUTH is taken for one of
// its answers until the client sends a command again.
func TestLinesAfterAFailedAuthRedacted(t *testing.T) {
	const user, password = "camera", "S3cr3t-Bench-Pw!"
	b64 := base64.StdEncoding.EncodeToString
	synctest.Test(t, func(t *testing.T) {
		var events eventLog
		srv, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) {
			s.Accounts = []fakesmtp.Account{{Username: user, Password: password}}
			s.OnEvent = events.add
		})
		c := dial()
		c.send("EHLO camera\r\n")
		c.reply()
		c.send("AUTH LOGIN\r\n")
		c.expect("503 5.5.1 Error: authentication not enabled")
		c.send(b64([]byte(user)) + "\r\n")
		c.expect("501 5.5.2 Bad command")
		c.send(password + "\r\n")
		c.expect("501 5.5.2 Bad command")
		c.send("MAIL FROM:<cam@example.com>\r\n")
		c.reply()
		c.send("QUIT\r\n")
		c.reply()
		synctest.Wait()
		sess := srv.Sessions()[0]
		if l := leaks(sess, events.events, secretsOf(user, password)); len(l) > 0 {
			t.Errorf("credentials recorded:\n%s", strings.Join(l, "\n"))
		}
		got := strings.Join(transcript(sess), "\n")
		if !strings.Contains(got, "C: MAIL FROM:<cam@example.com>") || strings.Count(got, "C: "+fakesmtp.Redacted) != 2 {
			t.Errorf("transcript:\n%s", got)
		}
	})
}

// TestRepliesPairedWithTheirCommands: under pipelining each refusal names
// the command it answers, not the last line the client sent.
func TestRepliesPairedWithTheirCommands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var events eventLog
		_, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) {
			s.Faults = []fakesmtp.Fault{{Stage: fakesmtp.StageRcpt, Recipient: "gone@example.com", Reply: fakesmtp.NewReply(550, "5.1.1", "No such user")}}
			s.OnEvent = events.add
		})
		c := dial()
		c.send("EHLO camera\r\n")
		c.reply()
		c.send("MAIL FROM:<cam@example.com>\r\nRCPT TO:<gone@example.com>\r\nRCPT TO:<owner@example.com>\r\nEXPN x\r\nNOOP\r\n")
		for range 5 {
			c.reply()
		}
		c.send("QUIT\r\n")
		c.reply()
		synctest.Wait()
		var got []string
		for _, e := range events.refused() {
			got = append(got, e.Command+" -> "+e.Reply)
		}
		want := []string{"RCPT TO:<gone@example.com> -> 550 5.1.1 No such user", "EXPN x -> 502 5.5.1 EXPN command not implemented"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("refusals:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}
