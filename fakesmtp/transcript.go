package fakesmtp

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// LineKind says who a transcript line comes from.
type LineKind uint8

const (
	// Command is a line the client sent.
	Command LineKind = iota
	// Reply is a line the server sent.
	Reply
	// Note is something the server observed: a TLS handshake, a close.
	Note
)

// Line is one line of a session's transcript.
type Line struct {
	At   time.Time
	Kind LineKind
	Text string
}

func (l Line) String() string {
	switch l.Kind {
	case Command:
		return "C: " + l.Text
	case Reply:
		return "S: " + l.Text
	}
	return "* " + l.Text
}

// Redacted replaces credentials in a transcript: the initial response of an
// AUTH command and every line the client sends while an AUTH exchange is in
// progress.
const Redacted = "[redacted]"

// transcript turns the byte streams of a session into lines. It is the
// go-smtp server's Debug writer: go-smtp tees what it reads from the client
// and what it writes to it, after TLS, into that one writer. The direction of
// each chunk is told apart by who calls Write: io.TeeReader for client bytes,
// io.MultiWriter for replies (TestTranscriptDirections pins this down).
//
// Message content is not kept here (the capture has it) but summarized, and
// AUTH payloads are never stored: see Redacted.
type transcript struct {
	add     func(Line) // appends to the session, under the server's lock
	replied func()     // told when a whole reply has gone out

	client []byte // partial client line
	server []byte // partial reply line

	inData     bool // between 354 and the final dot
	dataBytes  int
	window     []byte // the last bytes of message data, to find "\r\n.\r\n"
	bdatLeft   int    // bytes of a BDAT chunk still to come
	bdatSize   int
	inAuth     bool // an AUTH command is waiting for its final reply
	authAnswer bool // the next client line answers a 334 challenge
}

// Write implements io.Writer for go-smtp's Debug hook.
func (t *transcript) Write(p []byte) (int, error) {
	if fromReply() {
		t.serverBytes(p)
	} else {
		t.clientBytes(p)
	}
	return len(p), nil
}

// fromReply reports whether the Debug writer was called by go-smtp's reply
// writer (an io.MultiWriter) rather than its command reader (an
// io.TeeReader).
func fromReply() bool {
	pc, _, _, ok := runtime.Caller(2)
	if !ok {
		return false
	}
	fn := runtime.FuncForPC(pc)
	return fn != nil && strings.HasSuffix(fn.Name(), "(*multiWriter).Write")
}

func (t *transcript) serverBytes(p []byte) {
	t.server = append(t.server, p...)
	for {
		i := bytes.IndexByte(t.server, '\n')
		if i < 0 {
			return
		}
		line := strings.TrimRight(string(t.server[:i]), "\r")
		t.server = t.server[i+1:]
		t.reply(line)
	}
}

func (t *transcript) reply(line string) {
	t.add(Line{At: time.Now(), Kind: Reply, Text: line})
	code, final := replyCode(line)
	if final && t.replied != nil {
		// go-smtp writes to the connection before the Debug writer: the
		// reply is out.
		t.replied()
	}
	switch {
	case code == 354:
		t.inData = true
		t.dataBytes = 0
		t.window = append(t.window[:0], '\r', '\n')
	case t.inAuth && code == 334:
		t.authAnswer = true
	case t.inAuth && final:
		t.inAuth = false
		t.authAnswer = false
	}
}

// replyCode returns a reply line's code and whether it is the last line of
// the reply.
func replyCode(line string) (int, bool) {
	if len(line) < 3 {
		return 0, true
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil {
		return 0, true
	}
	return code, len(line) == 3 || line[3] != '-'
}

var dataEnd = []byte("\r\n.\r\n")

func (t *transcript) clientBytes(p []byte) {
	for len(p) > 0 {
		switch {
		case t.inData:
			// Look for the end of data in what came before and this chunk.
			prev := len(t.window)
			t.window = append(t.window, p...)
			i := bytes.Index(t.window, dataEnd)
			if i < 0 {
				t.dataBytes += len(p)
				t.window = append(t.window[:0], t.window[max(len(t.window)-4, 0):]...)
				return
			}
			used := i + len(dataEnd) - prev // bytes of p up to the end mark
			t.dataBytes += used
			t.inData = false
			t.add(Line{At: time.Now(), Kind: Command, Text: fmt.Sprintf("[message data, %d bytes]", max(t.dataBytes-3, 0))})
			p = p[used:]
		case t.bdatLeft > 0:
			k := min(t.bdatLeft, len(p))
			t.bdatLeft -= k
			p = p[k:]
			if t.bdatLeft == 0 {
				t.add(Line{At: time.Now(), Kind: Command, Text: fmt.Sprintf("[chunk data, %d bytes]", t.bdatSize)})
			}
		default:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				t.client = append(t.client, p...)
				return
			}
			t.client = append(t.client, p[:i]...)
			p = p[i+1:]
			line := strings.TrimRight(string(t.client), "\r")
			t.client = t.client[:0]
			t.command(line)
		}
	}
}

func (t *transcript) command(line string) {
	if binary(line) {
		// Raw bytes would make the transcript and any record built on it
		// unreadable; a TLS handshake on a plain port is the usual cause.
		text := fmt.Sprintf("[%d bytes of binary data]", len(line))
		if strings.HasPrefix(line, "\x16\x03") {
			text = fmt.Sprintf("[%d bytes of a TLS handshake: the client speaks TLS to a plain port]", len(line))
		}
		t.add(Line{At: time.Now(), Kind: Command, Text: text})
		return
	}
	if t.authAnswer {
		t.authAnswer = false
		t.add(Line{At: time.Now(), Kind: Command, Text: Redacted})
		return
	}
	fields := strings.Fields(line)
	verb := ""
	if len(fields) > 0 {
		verb = strings.ToUpper(fields[0])
	}
	switch verb {
	case "AUTH":
		t.inAuth = true
		text := "AUTH"
		if len(fields) > 1 {
			text += " " + fields[1]
		}
		if len(fields) > 2 {
			text += " " + Redacted
		}
		line = text
	case "BDAT":
		if len(fields) > 1 {
			if n, err := strconv.Atoi(fields[1]); err == nil && n > 0 {
				t.bdatLeft, t.bdatSize = n, n
			}
		}
	}
	t.add(Line{At: time.Now(), Kind: Command, Text: line})
}

// binary reports whether a client line holds bytes no SMTP command has:
// controls other than tab, or invalid UTF-8.
func binary(line string) bool {
	if !utf8.ValidString(line) {
		return true
	}
	return strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f })
}
