package fakesmtp

import (
	"strings"
	"testing"
)

// TestTranscriptSummarizesBinary: a TLS handshake sent to a plain port
// shows as one readable line, not raw bytes.
func TestTranscriptSummarizesBinary(t *testing.T) {
	var lines []Line
	tr := &transcript{add: func(l Line) { lines = append(lines, l) }}
	tr.command("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", false)
	tr.command("MAIL FROM:<a@example.com>\x00", false)
	tr.command("EHLO cam\tera", false)
	want := []string{
		"C: [11 bytes of a TLS handshake: the client speaks TLS to a plain port]",
		"C: [26 bytes of binary data]",
		"C: EHLO cam\tera",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		if l.String() != want[i] {
			t.Errorf("line %d: %q, want %q", i, l.String(), want[i])
		}
	}
}

// TestDataEndsWhereGoSMTPs: message data ends where go-smtp's dataReader
// ends it, however the bytes are cut into reads, quirks included: a line
// is a lone dot only after CRLF, so after "\r\r\n" it is still data.
func TestDataEndsWhereGoSMTPs(t *testing.T) {
	for _, tc := range []struct {
		data string
		end  int // bytes of data up to the end of ".\r\n"; 0: no end
	}{
		{".\r\n", 3},
		{"a\r\n.\r\nQUIT\r\n", 6},
		{"..\r\n.\r\n", 7},
		{".x\r\n.\r\n", 7},
		{"a\r\r\n.\r\nb\r\n.\r\n", 13},
		{"a\r\n.\n.\r\n", 0},
		{"a\r\n.\r\r\n", 0},
		{"a\n.\r\n", 0},
		{strings.Repeat("x", 100) + "\r\n\r\n.\r\n", 107},
	} {
		want := tc.end
		if want == 0 {
			want = len(tc.data)
		}
		// Every cut into two reads, and one read a byte.
		cuts := [][]int{{len(tc.data)}}
		for i := range len(tc.data) {
			cuts = append(cuts, []int{i, len(tc.data)})
		}
		var bytewise []int
		for i := range len(tc.data) {
			bytewise = append(bytewise, i+1)
		}
		cuts = append(cuts, bytewise)
		for _, cut := range cuts {
			tr := &transcript{add: func(Line) {}, dot: atLineStart}
			got, ended, from := 0, false, 0
			for _, to := range cut {
				n, end := tr.scanData([]byte(tc.data[from:to]))
				got += n
				from = to
				if end {
					ended = true
					break
				}
			}
			if got != want || ended != (tc.end > 0) {
				t.Errorf("%q read in pieces ending at %v: %d bytes, end %v; want %d, %v", tc.data, cut, got, ended, want, tc.end > 0)
			}
		}
	}
}
