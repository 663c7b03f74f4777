package fakesmtp

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
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
// AUTH command, every line the client sends while an AUTH exchange is in
// progress, and every line that could be one of its answers (see
// transcript.text).
const Redacted = "[redacted]"

// maxLine is the longest command line the layer takes (go-smtp's own
// default): a longer one is answered as go-smtp answers it, "500 5.4.0 Too
// long line, closing connection", and the session ends; the layer holds
// back no more of it than this. go-smtp's own limit is off
// (Server.MaxLineLength 0), because go-smtp applies it to message data
// too: a line of 3,000 characters in DATA was refused there with the
// backend's reply to a failed read and then again with this one, two
// replies to one command. Message data is taken whatever its line lengths
// (see maxTextLine).
const maxLine = 2000

// maxTextLine is RFC 5321's limit on a line of message data, CRLF
// included (section 4.5.3.1.6). A message with a longer line is stored
// and answered 250, as Postfix does (its line_length_limit only splits
// what it stores), with a note in the transcript, so that a device that
// a strict server would refuse is told from one that complies.
const maxTextLine = 1000

// transcript follows the client's byte stream the way go-smtp reads it and
// the replies go-smtp writes, and turns both into lines. The connection
// layer (sessionConn) feeds it client bytes before go-smtp gets them and
// reply bytes as they are written, so direction is never a guess; from the
// replies it learns what the next client bytes are (message data after 354,
// an AUTH response after 334), and from the commands where chunks of BDAT
// data are. It parses with go-smtp's own rules (parseCmd, the dot-stuffing
// state machine, BDAT's arguments) so that it never takes data for a
// command or a command for data where go-smtp would not.
//
// Message content is not kept here (the capture has it) but summarized, and
// AUTH payloads are never stored: see Redacted.
type transcript struct {
	add func(Line) // appends to the session, under the server's lock
	// ownsStartTLS: the connection layer answers STARTTLS itself, so a
	// STARTTLS command is not go-smtp's to read (see scan).
	ownsStartTLS bool
	// allowBareLF: lines ending in a bare LF go to go-smtp like any other;
	// otherwise the layer refuses them (see Server.AllowBareLF).
	allowBareLF bool
	// onReply is told of every final reply line and the command it
	// answers.
	onReply func(code int, line, command string)

	ownKind ownLine // what the layer must do with the line scan left it
	// sawBareLF: the message's data had a bare LF. Atomic: go-smtp reads
	// BDAT data in a goroutine of its own, which asks.
	sawBareLF atomic.Bool
	lastCR    bool // in a chunk: the last byte was a CR
	// pending are the recorded client lines go-smtp or the layer has yet
	// to answer, oldest first: under pipelining a reply answers the
	// oldest, not the line read last. The layer scans no further than
	// the buffer it read, so this holds at most a buffer's lines.
	pending []pendingLine
	// answered is the line the latest final reply answered.
	answered pendingLine
	// chunkFirst: the next BDAT begins a message (after MAIL).
	chunkFirst bool
	state      clientState
	dot        dotState // in data: go-smtp's dot-stuffing state
	dataBytes  int
	chunkLeft  int64 // in a chunk: bytes still to come
	chunkSize  int64

	inAuth     bool // an AUTH command, or an answer of its exchange, waits for its final reply
	authAnswer bool // the next client line answers a 334 challenge
	// heldAuth counts the client bytes, not yet scanned, that had arrived
	// when an AUTH exchange got its final reply: the client sent them
	// while the AUTH waited, so they may be its answers whatever the
	// reply was (a 503 to a client that pipelines AUTH LOGIN with its
	// user name and password). Lines that begin in them are redacted.
	heldAuth int
	// lineLen and longest measure message data's lines (maxTextLine).
	lineLen, longest int
	// afterAuth: an AUTH exchange has ended and the client has sent no
	// command since; a line that is none may be one of its answers, sent
	// late, and is redacted (see text).
	afterAuth bool

	server []byte // partial reply line
}

// pendingLine is a client line waiting for its reply.
type pendingLine struct {
	text string // as recorded
	auth bool   // an AUTH command or an answer in its exchange
}

// ownLine is a command line the connection layer answers itself, never
// go-smtp.
type ownLine uint8

const (
	ownStartTLS ownLine = iota + 1 // STARTTLS, on a port that offers it
	ownBadHelo                     // EHLO or HELO with a name that is none
	ownBareLF                      // a line that ends in a bare LF
	ownLongLine                    // a command line longer than maxLine
)

type clientState uint8

const (
	inCommands clientState = iota
	inData                 // after 354, until the line with the lone dot
	inChunk                // the bytes a BDAT command announced
)

// scan reads the client bytes b as go-smtp will: it records the lines it
// completes and returns how many bytes go-smtp may read now (pass). It
// stops early, leaving the rest for a later call:
//   - at a command line not yet complete, which could still turn out to be
//     one go-smtp must not see;
//   - after a command whose reply decides what the next bytes are (DATA,
//     AUTH and the lines of an AUTH exchange): go-smtp reads again only
//     once it has written that reply, and scan is called again then;
//   - at STARTTLS when the layer answers it: the command is the next own
//     bytes, which go-smtp must not get.
func (t *transcript) scan(b []byte) (pass, own int) {
	// heldAuth counts from the first byte not scanned yet, which is b's.
	defer func() { t.heldAuth = max(0, t.heldAuth-pass-own) }()
	for pass < len(b) {
		switch t.state {
		case inData:
			n, end := t.scanData(b[pass:])
			t.checkBareLF(b[pass : pass+n])
			t.measureLines(b[pass : pass+n])
			pass += n
			t.dataBytes += n
			if end {
				t.state = inCommands
				// Less the final ".\r\n": the size as the client sent it,
				// dots doubled.
				t.recordCommand(fmt.Sprintf("[message data, %d bytes]", t.dataBytes-3), false)
				if t.longest > maxTextLine {
					t.record(Note, fmt.Sprintf("the message has a line of %d bytes: RFC 5321 allows %d with its CRLF (section 4.5.3.1.6); stored all the same, as Postfix does, but a strict server refuses it", t.longest, maxTextLine))
				}
			}
		case inChunk:
			k := int(min(t.chunkLeft, int64(len(b)-pass)))
			t.checkBareLF(b[pass : pass+k])
			pass += k
			t.chunkLeft -= int64(k)
			if t.chunkLeft == 0 {
				t.state = inCommands
				// Not a line of its own to answer: the reply that follows
				// answers the BDAT command, already waiting.
				t.record(Command, fmt.Sprintf("[chunk data, %d bytes]", t.chunkSize))
			}
		default:
			i := bytes.IndexByte(b[pass:], '\n')
			if i < 0 && len(b)-pass <= maxLine {
				return pass, 0
			}
			if i < 0 || i >= maxLine {
				// Too long: the layer answers it and hangs up, as go-smtp
				// would, without waiting for its end. Its text is not
				// kept, so there is nothing in it to redact.
				t.recordCommand(fmt.Sprintf("[a line longer than %d bytes]", maxLine), t.inAuth || t.authAnswer)
				t.ownKind = ownLongLine
				return pass, len(b) - pass
			}
			held := pass < t.heldAuth
			line := strings.TrimRight(string(b[pass:pass+i]), "\r")
			// A binary line (a TLS handshake on a plain port) is no
			// command at all: go-smtp refuses it as such.
			if !t.allowBareLF && (i == 0 || b[pass+i-1] != '\r') && !binary(line) {
				text, auth := t.text(line, held)
				t.recordCommand(text, auth)
				t.ownKind = ownBareLF
				return pass, i + 1
			}
			decides, mine := t.command(line, held)
			if mine != 0 {
				t.ownKind = mine
				return pass, i + 1
			}
			pass += i + 1
			if decides {
				return pass, 0
			}
		}
	}
	return pass, 0
}

// measureLines follows the length of message data's lines, for the note
// on lines longer than RFC 5321 allows.
func (t *transcript) measureLines(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			t.lineLen += len(b)
			return
		}
		t.longest = max(t.longest, t.lineLen+i+1)
		t.lineLen = 0
		b = b[i+1:]
	}
}

// checkBareLF notes an LF in message data that no CR comes right before.
// It is apart from the dot-stuffing state, which must stay go-smtp's own.
func (t *transcript) checkBareLF(b []byte) {
	if t.sawBareLF.Load() || len(b) == 0 {
		t.lastCR = len(b) > 0 && b[len(b)-1] == '\r' || len(b) == 0 && t.lastCR
		return
	}
	for i := bytes.IndexByte(b, '\n'); i >= 0; {
		if i == 0 && !t.lastCR || i > 0 && b[i-1] != '\r' {
			t.sawBareLF.Store(true)
			break
		}
		j := bytes.IndexByte(b[i+1:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	t.lastCR = b[len(b)-1] == '\r'
}

// dotState is go-smtp's dataReader state: message data ends at a line that
// is a lone dot, and only where go-smtp's reader sees one.
type dotState uint8

const (
	atLineStart dotState = iota
	afterDot
	afterDotCR
	afterCR
	midLine
)

// scanData follows go-smtp's dataReader over b and returns how many bytes
// belong to the message, up to and including its final ".\r\n", and
// whether that end was reached.
func (t *transcript) scanData(b []byte) (int, bool) {
	for n := 0; n < len(b); {
		c := b[n]
		n++
		switch t.dot {
		case atLineStart:
			switch c {
			case '.':
				t.dot = afterDot
			case '\r':
				t.dot = afterCR
			default:
				t.dot = midLine
			}
		case afterDot:
			if c == '\r' {
				t.dot = afterDotCR
			} else {
				t.dot = midLine
			}
		case afterDotCR:
			if c == '\n' {
				return n, true
			}
			t.dot = midLine
		case afterCR:
			if c == '\n' {
				t.dot = atLineStart
			} else {
				t.dot = midLine
			}
		case midLine:
			if c != '\r' {
				// Only a CR leads anywhere: skip to the next one.
				i := bytes.IndexByte(b[n:], '\r')
				if i < 0 {
					return len(b), false
				}
				n += i + 1
			}
			t.dot = afterCR
		}
	}
	return len(b), false
}

// command records a client line and says whether its reply decides what the
// next bytes are, and whether the connection layer answers it. held: the
// line arrived while an AUTH waited for its final reply.
func (t *transcript) command(line string, held bool) (decides bool, mine ownLine) {
	answer := t.authAnswer || t.inAuth
	text, auth := t.text(line, held)
	t.recordCommand(text, auth)
	if answer {
		// go-smtp reads it as the answer to its 334, and its reply
		// decides what comes next.
		return true, 0
	}
	verb, arg := parseCmd(line)
	switch verb {
	case "STARTTLS":
		if t.ownsStartTLS {
			return true, ownStartTLS
		}
		return true, 0
	case "EHLO", "HELO":
		// Checked before go-smtp sees it: the name goes into the session,
		// the Received field and every record (an empty one is go-smtp's
		// to refuse, in its words).
		if arg != "" && !ValidHelo(arg) {
			return true, ownBadHelo
		}
	case "DATA":
		return true, 0
	case "MAIL":
		t.chunkFirst = true
	case "BDAT":
		if n, ok := chunkSize(arg); ok && n > 0 {
			t.state, t.chunkLeft, t.chunkSize = inChunk, n, n
			if t.chunkFirst {
				t.chunkFirst, t.lastCR = false, false
				t.sawBareLF.Store(false)
			}
		}
	}
	return false, 0
}

// text is a client line as the transcript shows it, and whether it belongs
// to an AUTH exchange; it follows AUTH. No line that may carry a
// credential is shown (DESIGN section 4: no password or AUTH payload in
// any transcript, log or page), and which lines may is a rule on what the
// client sent, never on what the server answered:
//   - an answer to a 334 challenge, and any line while an AUTH waits for
//     its final reply;
//   - a line that arrived while an AUTH waited (held), whatever the reply
//     turned out to be: a client that pipelines AUTH LOGIN with its user
//     name and password gets a 503 on a port without AUTH, and go-smtp
//     then reads the two as commands (RFC 4954 wants AUTH last in a
//     pipelined group, so what follows it in one is no command of a
//     client that keeps the rules);
//   - after an AUTH has ended, every line until the client sends a
//     command again (isCommand): a password sent late, after the refusal,
//     is no command, and a command is no password.
//
// The argument of an AUTH command itself is replaced, and the mechanism
// kept.
func (t *transcript) text(line string, held bool) (string, bool) {
	if t.authAnswer || t.inAuth {
		t.authAnswer = false
		return Redacted, true
	}
	fields := strings.Fields(line)
	// Fields, not go-smtp's parsing: whatever looks like AUTH is redacted,
	// even a command go-smtp refuses.
	isAuth := len(fields) > 0 && strings.EqualFold(fields[0], "AUTH")
	if isAuth {
		t.inAuth = true
	}
	if isCommand(line) {
		t.afterAuth = false
	}
	if held || t.afterAuth {
		return Redacted, isAuth
	}
	if binary(line) {
		// Raw bytes would make the transcript and any record built on it
		// unreadable; a TLS handshake on a plain port is the usual cause.
		if strings.HasPrefix(line, "\x16\x03") {
			return fmt.Sprintf("[%d bytes of a TLS handshake: the client speaks TLS to a plain port]", len(line)), false
		}
		return fmt.Sprintf("[%d bytes of binary data]", len(line)), false
	}
	if !isAuth {
		return line, false
	}
	text := "AUTH"
	if len(fields) > 1 {
		text += " " + fields[1]
	}
	if len(fields) > 2 {
		text += " " + Redacted
	}
	return text, true
}

// isCommand reports whether a line is a command in go-smtp's reading: a
// verb it knows, with an argument where the verb takes one. No base64
// answer is (it has no space), unless it is one of the bare verbs below
// to the letter, which takes a secret of three bytes.
func isCommand(line string) bool {
	verb, arg := parseCmd(line)
	switch verb {
	case "STARTTLS":
		return strings.EqualFold(line, "STARTTLS")
	case "DATA", "NOOP", "RSET", "QUIT", "HELP", "TURN":
		return true
	case "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "VRFY", "EXPN", "AUTH", "BDAT", "SEND", "SOML", "SAML":
		return arg != ""
	}
	return false
}

// parseCmd is go-smtp's parseCmd (v0.25.1), for the verbs whose reading
// the transcript must agree on with go-smtp.
func parseCmd(line string) (verb, arg string) {
	switch {
	case strings.HasPrefix(strings.ToUpper(line), "STARTTLS"):
		return "STARTTLS", ""
	case len(line) < 4, len(line) == 5:
		return "", ""
	case len(line) == 4:
		return strings.ToUpper(line), ""
	case line[4] != ' ':
		return "", ""
	}
	return strings.ToUpper(line[:4]), strings.TrimSpace(line[5:])
}

// chunkSize is the size of the chunk that follows a BDAT command with
// these arguments, if go-smtp reads one: it does, accepted or refused,
// unless the arguments themselves are wrong.
func chunkSize(arg string) (int64, bool) {
	args := strings.Fields(arg)
	if len(args) == 0 || len(args) > 2 || len(args) == 2 && !strings.EqualFold(args[1], "LAST") {
		return 0, false
	}
	n, err := strconv.ParseUint(args[0], 10, 32)
	return int64(n), err == nil
}

// replied takes bytes of replies as they are written, records the lines
// that went out (sent is false when the write failed: the client never saw
// them) and follows what they announce. unread is how many client bytes
// the layer has read from the network and not scanned yet. It reports
// whether a reply ended.
func (t *transcript) replied(p []byte, sent bool, unread int) (ended bool) {
	t.server = append(t.server, p...)
	for {
		i := bytes.IndexByte(t.server, '\n')
		if i < 0 {
			return ended
		}
		line := strings.TrimRight(string(t.server[:i]), "\r")
		t.server = t.server[i+1:]
		if sent {
			t.record(Reply, line)
		}
		code, final := replyCode(line)
		if !final {
			continue
		}
		ended = true
		// The reply answers the oldest line waiting; one that answers
		// none (the greeting, a timeout's 421) is reported without a
		// command.
		var answers pendingLine
		if len(t.pending) > 0 {
			answers = t.pending[0]
			t.pending = t.pending[1:]
			t.answered = answers
		}
		if sent && t.onReply != nil {
			t.onReply(code, line, answers.text)
		}
		switch {
		case code == 354:
			t.state, t.dot, t.dataBytes, t.lastCR = inData, atLineStart, 0, false
			t.lineLen, t.longest = 0, 0
			t.sawBareLF.Store(false)
		case answers.auth && code == 334:
			t.authAnswer = true
		case answers.auth:
			// The exchange is over, whatever the reply: what the client
			// sent meanwhile, and what it sends before its next
			// command, may be its answers all the same (see text).
			t.inAuth, t.authAnswer, t.afterAuth = false, false, true
			t.heldAuth = unread
		}
	}
}

// answerAgain makes the next reply a second one to the line answered
// last: a failed handshake's 550 after the 220 to STARTTLS.
func (t *transcript) answerAgain() {
	t.pending = append([]pendingLine{t.answered}, t.pending...)
}

// restart forgets the session's state, for the new session that STARTTLS
// begins (RFC 3207 section 4.2).
func (t *transcript) restart() {
	*t = transcript{add: t.add, ownsStartTLS: t.ownsStartTLS, allowBareLF: t.allowBareLF, onReply: t.onReply}
}

func (t *transcript) record(kind LineKind, text string) {
	t.add(Line{At: time.Now(), Kind: kind, Text: text})
}

// recordCommand records a client line that a reply will answer.
func (t *transcript) recordCommand(text string, auth bool) {
	t.pending = append(t.pending, pendingLine{text: text, auth: auth})
	t.record(Command, text)
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

// binary reports whether a client line holds bytes no SMTP command has:
// controls other than tab, or invalid UTF-8.
func binary(line string) bool {
	if !utf8.ValidString(line) {
		return true
	}
	return strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f })
}
