package fakesmtp_test

import (
	"fmt"
	"strings"
	"testing"

	"alertsim/fakesmtp"
)

// nestedMessage is a message of multiparts nested depth deep, each with a
// text part, the innermost holding a last one.
func nestedMessage(depth int) string {
	var b strings.Builder
	b.WriteString("From: cam@example.com\r\nSubject: nested\r\nMIME-Version: 1.0\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\nContent-Type: text/plain\r\n\r\nlevel %d\r\n--b%d\r\n", i, i, i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nthe innermost\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

// flatMessage is a multipart with n text parts.
func flatMessage(n int) string {
	var b strings.Builder
	b.WriteString("From: cam@example.com\r\nSubject: flat\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := range n {
		fmt.Fprintf(&b, "--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	b.WriteString("--b--\r\n")
	return b.String()
}

// TestMIMETreeBounded: a message nested thousands deep, or with thousands
// of parts, is read no further than MaxMIMEDepth levels and MaxMIMEParts
// parts, and ParseError says so; one within the bounds is read whole.
func TestMIMETreeBounded(t *testing.T) {
	for _, tc := range []struct {
		name      string
		msg       string
		parts     int
		parseErr  string
		lastDepth int
	}{
		{"nested within the bound", nestedMessage(fakesmtp.MaxMIMEDepth), 2*fakesmtp.MaxMIMEDepth + 1, "", fakesmtp.MaxMIMEDepth},
		{"nested 2000 deep", nestedMessage(2000), 2*fakesmtp.MaxMIMEDepth + 1, fmt.Sprintf("MIME parts nested more than %d deep", fakesmtp.MaxMIMEDepth), fakesmtp.MaxMIMEDepth},
		{"as many parts as allowed", flatMessage(fakesmtp.MaxMIMEParts - 1), fakesmtp.MaxMIMEParts, "", 1},
		{"5000 parts", flatMessage(5000), fakesmtp.MaxMIMEParts, fmt.Sprintf("more than %d MIME parts", fakesmtp.MaxMIMEParts), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, err := fakesmtp.ParseParts(strings.NewReader(tc.msg))
			if len(parts) != tc.parts {
				t.Errorf("%d parts, want %d", len(parts), tc.parts)
			}
			switch {
			case tc.parseErr == "" && err != nil:
				t.Errorf("parse error %v", err)
			case tc.parseErr != "" && (err == nil || !strings.Contains(err.Error(), tc.parseErr)):
				t.Errorf("parse error %v, want %q", err, tc.parseErr)
			}
			if len(parts) > 0 && parts[len(parts)-1].Depth != tc.lastDepth {
				t.Errorf("the last part's depth %d, want %d", parts[len(parts)-1].Depth, tc.lastDepth)
			}
			for _, p := range parts {
				if p.Depth > fakesmtp.MaxMIMEDepth || len(p.Path) > 2*fakesmtp.MaxMIMEDepth {
					t.Fatalf("part %q at depth %d", p.Path, p.Depth)
				}
			}
		})
	}
}

// TestTextKeptBounded: a message's parts keep MaxPartText of text in
// all, however many text parts it has.
func TestTextKeptBounded(t *testing.T) {
	big := strings.Repeat(strings.Repeat("x", 998)+"\r\n", fakesmtp.MaxPartText/1000+1)
	msg := "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\nContent-Type: text/plain\r\n\r\n"+big, 3) + "--b--\r\n"
	parts, err := fakesmtp.ParseParts(strings.NewReader(msg))
	if err != nil || len(parts) != 4 {
		t.Fatalf("%d parts, %v", len(parts), err)
	}
	kept := 0
	for _, p := range parts[1:] {
		kept += len(p.Text)
		if !p.TextTruncated {
			t.Errorf("part %s: %d of %d bytes kept, not marked truncated", p.Path, len(p.Text), p.Size)
		}
	}
	if kept != fakesmtp.MaxPartText {
		t.Errorf("%d bytes of text kept, want %d", kept, fakesmtp.MaxPartText)
	}
}
