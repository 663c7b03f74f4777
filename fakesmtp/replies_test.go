package fakesmtp

import (
	"testing"

	"github.com/emersion/go-smtp"
)

// TestNewReplyTakesOnlyAnEnhancedCode: a reply carries the enhanced code
// it is given, on every line, only when it is one; anything else leaves the
// reply without a code rather than half of one.
func TestNewReplyTakesOnlyAnEnhancedCode(t *testing.T) {
	for _, tc := range []struct {
		enhanced string
		want     smtp.EnhancedCode
		wire     string
	}{
		{"5.7.8", smtp.EnhancedCode{5, 7, 8}, "535-5.7.8 Bad\r\n535 5.7.8 credentials\r\n"},
		{"4.7.66", smtp.EnhancedCode{4, 7, 66}, "535-4.7.66 Bad\r\n535 4.7.66 credentials\r\n"},
		{"", smtp.NoEnhancedCode, "535-Bad\r\n535 credentials\r\n"},
		{"5.7.8x", smtp.NoEnhancedCode, "535-Bad\r\n535 credentials\r\n"},
		{"5.07.8", smtp.NoEnhancedCode, "535-Bad\r\n535 credentials\r\n"},
		{"5.7", smtp.NoEnhancedCode, "535-Bad\r\n535 credentials\r\n"},
	} {
		r := NewReply(535, tc.enhanced, "Bad\ncredentials")
		if r.EnhancedCode != tc.want {
			t.Errorf("NewReply(535, %q): enhanced code %v, want %v", tc.enhanced, r.EnhancedCode, tc.want)
		}
		if got := formatReply(r); got != tc.wire {
			t.Errorf("NewReply(535, %q) on the wire: %q, want %q", tc.enhanced, got, tc.wire)
		}
	}
}
