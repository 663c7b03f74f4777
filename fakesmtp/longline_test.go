package fakesmtp_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/synctest"

	"alertsim/fakesmtp"
)

// TestLongLines: a line of message data longer than RFC 5321's 1,000
// octets is taken, with one reply, and stored as sent, with a note that a
// strict server would refuse it (Postfix's way); a command line longer
// than the layer's 2,000 bytes gets one reply, go-smtp's, and the session
// ends, as before, its text never held whole nor recorded.
func TestLongLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var events eventLog
		srv, dial, _ := pipeServer(t, fakesmtp.Plain, func(s *fakesmtp.Server) { s.OnEvent = events.add })
		c := dial()
		c.send("EHLO camera\r\n")
		c.expect("250 SIZE")
		long := strings.Repeat("A", 3000)
		for _, body := range []string{long, strings.Repeat("B", 100_000)} {
			c.send("MAIL FROM:<cam@example.com>\r\n")
			c.reply()
			c.send("RCPT TO:<owner@example.com>\r\n")
			c.reply()
			c.send("DATA\r\n")
			c.expect("354 Go ahead. End your data with <CR><LF>.<CR><LF>")
			c.send("Subject: one line\r\n\r\n" + body + "\r\n.\r\n")
			c.expect("250 2.0.0 OK: queued")
		}
		// The next command is read as a command: one reply each.
		c.send("NOOP\r\n")
		c.expect("250 2.0.0 I have successfully done nothing")
		c.send("NOOP " + strings.Repeat("x", 3000) + "\r\n")
		c.expect("500 5.4.0 Too long line, closing connection")
		if _, err := c.r.ReadString('\n'); !errors.Is(err, io.EOF) {
			t.Errorf("after the long command line: %v, want the connection closed", err)
		}
		synctest.Wait()
		msgs := srv.Messages()
		if len(msgs) != 2 || string(msgs[0].Raw) != "Subject: one line\r\n\r\n"+long+"\r\n" {
			t.Fatalf("stored %d messages", len(msgs))
		}
		sess := srv.Sessions()[0]
		text := strings.Join(transcript(sess), "\n")
		for _, want := range []string{
			"* the message has a line of 3002 bytes: RFC 5321 allows 1000 with its CRLF",
			"* the message has a line of 100002 bytes",
			"C: [a line longer than 2000 bytes]\nS: 500 5.4.0 Too long line, closing connection",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("transcript lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "xxxx") {
			t.Errorf("the long command line is in the transcript:\n%s", text)
		}
		if sess.EndReason != "server hung up after 500 5.4.0 Too long line, closing connection" {
			t.Errorf("EndReason %q", sess.EndReason)
		}
		var refused []string
		for _, e := range events.refused() {
			refused = append(refused, e.Command+" -> "+e.Reply)
		}
		if want := "[a line longer than 2000 bytes] -> 500 5.4.0 Too long line, closing connection"; strings.Join(refused, "\n") != want {
			t.Errorf("refusals %q, want only %q", refused, want)
		}
	})
}
