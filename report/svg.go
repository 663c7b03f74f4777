package report

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// esc makes text safe as SVG or HTML text or a quoted attribute value: the
// markup characters escaped, control characters and invalid UTF-8 (a
// client may send anything in a command line) shown as U+FFFD, so that
// nothing from a run can become markup and the file is valid UTF-8.
func esc(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	return html.EscapeString(s)
}

// validText is the page as it is written: valid UTF-8 without control
// characters but tab, line feed and carriage return (a byte a client sent
// shows as U+FFFD), whatever the run's texts held. html/template escapes
// markup, not bytes.
func validText(page []byte) []byte {
	if utf8.Valid(page) && !hasControl(page) {
		return page
	}
	out := make([]byte, 0, len(page))
	for len(page) > 0 {
		r, n := utf8.DecodeRune(page)
		if r == utf8.RuneError && n <= 1 || r != '\t' && r != '\n' && r != '\r' && unicode.IsControl(r) {
			r = utf8.RuneError
		}
		out = utf8.AppendRune(out, r)
		page = page[n:]
	}
	return out
}

// hasControl reports whether valid UTF-8 text holds a control character
// validText replaces: C0 but tab, line feed and carriage return, DEL, and
// C1 (U+0080-U+009F, encoded 0xC2 0x80-0x9F).
func hasControl(b []byte) bool {
	for i, c := range b {
		switch {
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r', c == 0x7f:
			return true
		case c == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			return true
		}
	}
	return false
}
