package alert_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"alertsim/sim/alert"
)

// TestMailParametersOnlyWhenNeeded: MAIL FROM declares BODY=8BITMIME only
// for a message with 8-bit bytes and SMTPUTF8 only for an address that is
// not ASCII, though the server offers both.
func TestMailParametersOnlyWhenNeeded(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	mails := make(chan string, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				io.WriteString(c, "220 sink ESMTP\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.TrimSpace(line); {
					case strings.HasPrefix(cmd, "EHLO"):
						io.WriteString(c, "250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
					case strings.HasPrefix(cmd, "MAIL"):
						mails <- cmd
						io.WriteString(c, "250 ok\r\n")
					case cmd == "DATA":
						io.WriteString(c, "354 go\r\n")
						for {
							l, err := r.ReadString('\n')
							if err != nil || l == ".\r\n" {
								break
							}
						}
						io.WriteString(c, "250 queued\r\n")
					case cmd == "QUIT":
						io.WriteString(c, "221 bye\r\n")
						return
					default:
						io.WriteString(c, "250 ok\r\n")
					}
				}
			}()
		}
	}()
	ap := netip.MustParseAddrPort(l.Addr().String())
	client := &alert.Client{Dial: (&net.Dialer{}).DialContext, Resolver: alert.Hosts{}, HelloName: "camera"}
	srv := alert.Server{Host: ap.Addr().String(), Port: int(ap.Port()), Security: alert.SecurityNone}
	for _, tc := range []struct {
		from, body, want string
	}{
		{"cam@example.com", "Subject: ascii\r\n\r\nplain\r\n", "MAIL FROM:<cam@example.com>"},
		{"cam@example.com", "Subject: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n", "MAIL FROM:<cam@example.com> BODY=8BITMIME"},
		{"kamera@b\xc3\xbcro.example", "Subject: ascii\r\n\r\nplain\r\n", "MAIL FROM:<kamera@b\xc3\xbcro.example> SMTPUTF8"},
	} {
		if _, err := client.Send(context.Background(), srv, alert.Envelope{From: tc.from, To: []string{"owner@example.com"}}, []byte(tc.body)); err != nil {
			t.Fatal(err)
		}
		if got := <-mails; got != tc.want {
			t.Errorf("sent %q, want %q", got, tc.want)
		}
	}
}
