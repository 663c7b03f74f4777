package fakesmtp

import "testing"

// TestTranscriptSummarizesBinary: a TLS handshake sent to a plain port
// shows as one readable line, not raw bytes.
func TestTranscriptSummarizesBinary(t *testing.T) {
	var lines []Line
	tr := &transcript{add: func(l Line) { lines = append(lines, l) }}
	tr.command("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
	tr.command("MAIL FROM:<a@example.com>\x00")
	tr.command("EHLO cam\tera")
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
