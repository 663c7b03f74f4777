package alert_test

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"alertsim/sim/alert"
)

// TestMailParametersOnlyWhenNeeded: MAIL FROM declares BODY=8BITMIME only
// for a message with 8-bit bytes and SMTPUTF8 only for an address that is
// not ASCII, though the server offers both.
func TestMailParametersOnlyWhenNeeded(t *testing.T) {
	mails := make(chan string, 8)
	ap := netip.MustParseAddrPort(sink(t, mails))
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
