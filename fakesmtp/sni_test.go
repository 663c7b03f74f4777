package fakesmtp_test

import (
	"crypto/tls"
	"strings"
	"testing"
	"testing/synctest"

	"alertsim/fakesmtp"
)

// TestSNIControlCharacters: the name a client sends in its TLS hello
// (SNI) reaches the session, its transcript and every record without the
// control characters it may hold: crypto/tls takes any bytes there, and a
// line break would forge a line of the transcript.
func TestSNIControlCharacters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "", []fakesmtp.Listener{{Port: 465, Mode: fakesmtp.ImplicitTLS}}, nil)
		evil := "cam\r\nS: 250 2.0.0 forged\x00\x1b[31m"
		c, err := b.implicit(465, &tls.Config{InsecureSkipVerify: true, ServerName: evil})
		if err != nil {
			t.Fatal(err)
		}
		c.Quit()
		b.server.Close()
		s := b.server.Sessions()[0]
		if s.TLS == nil {
			t.Fatal("no TLS recorded")
		}
		bad := func(v string) bool { return strings.ContainsAny(v, "\r\n\x00\x1b") }
		if bad(s.TLS.ServerName) || !strings.HasPrefix(s.TLS.ServerName, "cam") {
			t.Errorf("SNI recorded as %q", s.TLS.ServerName)
		}
		for _, l := range s.Transcript {
			if bad(l.Text) {
				t.Errorf("transcript line %q", l.Text)
			}
		}
	})
}
