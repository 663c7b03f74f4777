package fakesmtp_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"alertsim/fakesmtp"
)

// TestGmailRefusesPasswordSignIn: Gmail takes app passwords only, so the
// account password of an account without two-step verification is refused
// in the words of a wrong password, as Gmail has answered since it ended
// "less secure app" access.
func TestGmailRefusesPasswordSignIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "gmail-like", nil, func(s *fakesmtp.Server) {
			s.Accounts = []fakesmtp.Account{{Username: user, Password: accountPass}}
		})
		c, err := b.implicit(465, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantReply(t, "account password without two-step verification", c.Auth(sasl.NewPlainClient("", user, accountPass)),
			535, smtp.EnhancedCode{5, 7, 8}, "Username and Password not accepted. For more information, go to\n https://support.google.com/mail/?p=BadCredentials")
		c.Close()
	})
	// A server without the rule takes the password.
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "legacy-plain", nil, func(s *fakesmtp.Server) {
			s.Accounts = []fakesmtp.Account{{Username: user, Password: accountPass}}
		})
		c := b.plain(25)
		if err := c.Auth(sasl.NewPlainClient("", user, accountPass)); err != nil {
			t.Errorf("legacy-plain refused the account password: %v", err)
		}
		c.Close()
	})
}

// TestPresetsSucceedInTheProvidersWords: each preset's greeting, EHLO line
// and replies to what succeeds are the provider's, not go-smtp's.
func TestPresetsSucceedInTheProvidersWords(t *testing.T) {
	for _, tc := range []struct {
		preset string
		port   int
		want   []string
	}{
		{"gmail-like", 465, []string{
			"S: 220 mail.example.com ESMTP s1sm", " - gsmtp",
			"S: 250-mail.example.com at your service, [192.0.2.10]",
			"S: 235 2.7.0 Accepted",
			"S: 250 2.1.0 OK s1sm", "S: 250 2.1.5 OK s1sm", "S: 354 Go ahead s1sm", "S: 250 2.0.0 OK s1sm",
			"S: 221 2.0.0 closing connection s1sm",
		}},
		{"outlook-like", 587, []string{
			"S: 220 mail.example.com Microsoft ESMTP MAIL Service ready",
			"S: 250-mail.example.com Hello [192.0.2.10]",
			"S: 220 2.0.0 SMTP server ready",
			"S: 235 2.7.0 Authentication successful",
			"S: 250 2.1.0 Sender OK", "S: 250 2.1.5 Recipient OK",
			"S: 354 Start mail input; end with <CRLF>.<CRLF>",
			"S: 250 2.0.0 OK <test-1@example.com> [Hostname=mail.example.com]",
			"S: 221 2.0.0 Service closing transmission channel",
		}},
		{"legacy-plain", 25, []string{
			"S: 220 mail.example.com ESMTP Postfix",
			"S: 250-mail.example.com\n",
			"S: 235 2.7.0 Authentication successful",
			"S: 250 2.1.0 Ok\n", "S: 250 2.1.5 Ok\n", "S: 354 End data with <CR><LF>.<CR><LF>",
			"S: 250 2.0.0 Ok: queued as ", "S: 221 2.0.0 Bye",
		}},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBench(t, tc.preset, nil, func(s *fakesmtp.Server) {
					s.Accounts = []fakesmtp.Account{{Username: user, Password: accountPass, TwoFactor: true, AppPasswords: []string{appPass}}}
				})
				var c *smtp.Client
				var err error
				switch tc.port {
				case 465:
					c, err = b.implicit(465, nil)
				case 587:
					c, err = b.startTLS(587, nil)
				default:
					c = b.plain(25)
				}
				if err != nil {
					t.Fatal(err)
				}
				mech := sasl.NewPlainClient("", user, appPass)
				if tc.preset == "outlook-like" {
					mech = sasl.NewLoginClient(user, appPass)
				}
				if err := c.Auth(mech); err != nil {
					t.Fatal(err)
				}
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
				w.Write([]byte("Message-Id: <test-1@example.com>\r\nSubject: test\r\n\r\nhello\r\n"))
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				c.Quit()
				b.server.Close()
				got := transcriptText(b.server.Sessions()[0])
				for _, want := range tc.want {
					if !strings.Contains(got, want) {
						t.Errorf("the transcript lacks %q:\n%s", want, got)
					}
				}
				for _, stock := range []string{"Service Ready", "Hello camera", "Roger", "I'll make sure", "OK: queued", "Authentication succeeded"} {
					if strings.Contains(got, stock) {
						t.Errorf("the transcript still has go-smtp's %q:\n%s", stock, got)
					}
				}
			})
		})
	}
}

// TestMessageIDInReplyWithStore: {msgid} names the message's Message-ID
// when the server keeps messages in a Store rather than in memory, as
// `alertsim serve` does, and not only when Message.Raw holds the data.
func TestMessageIDInReplyWithStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBench(t, "outlook-like", nil, func(s *fakesmtp.Server) {
			s.Accounts = []fakesmtp.Account{{Username: user, Password: accountPass, TwoFactor: true, AppPasswords: []string{appPass}}}
			s.Store = outsideStore{}
			s.DeferParse = true
		})
		c, err := b.startTLS(587, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Auth(sasl.NewLoginClient(user, appPass)); err != nil {
			t.Fatal(err)
		}
		if err := c.SendMail(user, []string{"owner@example.net"}, strings.NewReader("Subject: test\r\nMessage-Id: <test-2@example.com>\r\n\r\nhello\r\n")); err != nil {
			t.Fatal(err)
		}
		c.Quit()
		b.server.Close()
		got := transcriptText(b.server.Sessions()[0])
		if want := "S: 250 2.0.0 OK <test-2@example.com> [Hostname=mail.example.com]"; !strings.Contains(got, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, got)
		}
	})
}

// outsideStore keeps each message's data in the draft, outside
// Message.Raw, as a store on disk does.
type outsideStore struct{}

func (outsideStore) Create(*fakesmtp.Message) (fakesmtp.Draft, error) { return &outsideDraft{}, nil }

type outsideDraft struct{ buf bytes.Buffer }

func (d *outsideDraft) Write(p []byte) (int, error) { return d.buf.Write(p) }
func (d *outsideDraft) Open() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(d.buf.Bytes())), nil
}
func (d *outsideDraft) Commit(m *fakesmtp.Message) error {
	m.SetOpener(d.Open)
	return nil
}
func (d *outsideDraft) Discard() {}
