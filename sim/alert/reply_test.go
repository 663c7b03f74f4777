package alert

import (
	"net/textproto"
	"testing"
)

// TestAsReplyTakesOnlyAnEnhancedCode: the first word of a reply is its
// enhanced code only when it is one, written as RFC 3463 writes it; a reply
// whose text happens to start with dotted numbers keeps them as text.
func TestAsReplyTakesOnlyAnEnhancedCode(t *testing.T) {
	for _, tc := range []struct {
		msg            string
		enhanced, text string
	}{
		{"5.7.8 Username and Password not accepted.\n5.7.8 https://support.google.com/mail/?p=BadCredentials",
			"5.7.8", "Username and Password not accepted.\nhttps://support.google.com/mail/?p=BadCredentials"},
		{"4.7.66 TLS 1.0 and 1.1 are not supported.", "4.7.66", "TLS 1.0 and 1.1 are not supported."},
		{"1.0.2 protocol version not supported", "", "1.0.2 protocol version not supported"},
		{"05.7.1 relaying denied", "", "05.7.1 relaying denied"},
		{"Error: authentication failed", "", "Error: authentication failed"},
	} {
		r, ok := asReply(&textproto.Error{Code: 535, Msg: tc.msg})
		if !ok || r.Enhanced != tc.enhanced || r.Text != tc.text {
			t.Errorf("asReply(535 %q) = %+v; want enhanced %q, text %q", tc.msg, r, tc.enhanced, tc.text)
		}
	}
}
