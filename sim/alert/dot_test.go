package alert

import (
	"bufio"
	"bytes"
	"net/textproto"
	"testing"
)

// TestDotStuffedIsDotWriters: the DATA bytes are net/textproto's
// DotWriter's for every kind of input: CRLF and bare LF line ends, leading
// dots, a message ending with and without a line end, an empty one.
func TestDotStuffedIsDotWriters(t *testing.T) {
	for _, msg := range []string{
		"", "a", "a\r\n", "a\n", "a\r", ".", ".\r\n", "..x\r\n.y\n", "line\r\n.\r\nmore", "\r\n\r\n", "x\ry\r\n", "end\r\n.",
	} {
		var buf bytes.Buffer
		w := textproto.NewWriter(bufio.NewWriter(&buf))
		dw := w.DotWriter()
		dw.Write([]byte(msg))
		dw.Close()
		if got := dotStuffed([]byte(msg)); !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("%q: %q, DotWriter writes %q", msg, got, buf.Bytes())
		}
	}
}
