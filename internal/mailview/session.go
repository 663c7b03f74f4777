package mailview

import (
	"slices"

	"alertsim/fakesmtp"
)

// Problem says in a few words why a session needs a look, empty when it
// needs none: a refused login first (what follows it, a client's "*"
// cancelling, says less), then the last refusal (Session.Refusal, or
// the transcript's, for a session kept before it was recorded), a failed
// handshake, how it ended.
func Problem(s fakesmtp.Session) string {
	for _, l := range slices.Backward(s.Logins) {
		if !l.OK && s.Delivered == 0 {
			return l.Reply
		}
	}
	if s.Refusal != "" {
		return s.Refusal
	}
	for i := len(s.Transcript) - 1; i >= 0; i-- {
		l := s.Transcript[i]
		switch {
		case l.Kind == fakesmtp.Reply && len(l.Text) >= 3 && (l.Text[0] == '4' || l.Text[0] == '5'):
			return l.Text
		}
	}
	if s.TLSError != "" {
		return "TLS handshake failed: " + s.TLSError
	}
	if s.Delivered == 0 && s.EndReason != "" && s.EndReason != "client quit" {
		return s.EndReason
	}
	return ""
}
