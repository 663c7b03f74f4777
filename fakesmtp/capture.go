package fakesmtp

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // registers GIF for attachment dimensions
	_ "image/jpeg"
	_ "image/png"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// Message is one message the server accepted: stored whole, once, before the
// 250 reply to its data.
type Message struct {
	// ID counts accepted messages from 1, in order of acceptance.
	ID int
	// Session is the ID of the session that delivered it; Remote is the
	// client's address and Helo the name it gave.
	Session  int
	Remote   string
	Helo     string
	Received time.Time
	// From and To are the envelope (MAIL FROM and accepted RCPT TO).
	From string
	To   []string
	// Raw is the message exactly as received, CRLF line endings (see
	// Server.AllowBareLF), without the final dot, when the server keeps
	// messages in memory (no Server.Store); nil otherwise: Open reads it.
	Raw []byte
	// Size is the length of the message data in bytes.
	Size int64
	// StoreKey is the store's name for the message (the file name, for a
	// store on disk); empty in memory.
	StoreKey string
	// Parts is the MIME tree in depth-first order; Parts[0] is the
	// message itself.
	Parts []Part
	// ParseError says why the MIME structure could not be read in full;
	// the message was accepted anyway, as a real server would.
	ParseError string
	// TLS describes the session's encryption at the time of DATA; nil for
	// plain text.
	TLS *TLSInfo
	// AuthMechanism and AuthUser say who authenticated, if anyone.
	AuthMechanism string
	AuthUser      string

	open func() (io.ReadCloser, error) // set by a Store that keeps the data elsewhere
	// messageID is the Message-ID field, for the reply's {msgid}: read
	// from the header block as the data came, whatever the Store.
	messageID string
}

// SetOpener tells the message how to read its data back, for a Store that
// keeps it outside the message (package emlstore).
func (m *Message) SetOpener(open func() (io.ReadCloser, error)) { m.open = open }

// Part is one entity of a message's MIME tree.
type Part struct {
	// Path locates the part: "" for the message, "1", "1.2" below it.
	Path string
	// Depth is 0 for the message itself.
	Depth int
	// Header is the part's header block exactly as received.
	Header      string
	ContentType string
	Filename    string
	Multipart   bool
	// Size and SHA256 describe the decoded body of a leaf part.
	Size   int
	SHA256 string
	// Width and Height are an image's dimensions, when it decodes.
	Width, Height int
	// Text is the decoded body of a text/* leaf, its first bytes up to
	// MaxPartText for the whole message; TextTruncated says that there
	// was more.
	Text          string
	TextTruncated bool
}

// MaxPartText bounds Part.Text, and the text of all of a message's parts
// together: the capture holds a summary of large parts (size, hash),
// never their bytes.
const MaxPartText = 1 << 20

// MaxMIMEDepth and MaxMIMEParts bound the MIME tree a message is read
// into. Each level of nesting reads through the levels above it, so a
// message nested thousands deep costs time quadratic in its size (a
// 549 KB message nested 8,000 deep took 21 s and 450 MB to read, into a
// 65 MB tree); no device nests more than a few levels. Past either bound
// the tree stops there, with Message.ParseError saying so, and the
// message is kept all the same. Postfix's own bound on nesting
// (mime_nesting_limit) is 100; 32 keeps the worst case small.
const (
	MaxMIMEDepth = 32
	MaxMIMEParts = 1000
)

// Attachments returns the leaf parts that carry a file name.
func (m *Message) Attachments() []Part {
	var out []Part
	for _, p := range m.Parts {
		if !p.Multipart && p.Filename != "" {
			out = append(out, p)
		}
	}
	return out
}

// Header returns the message's header block as received.
func (m *Message) Header() string {
	if len(m.Parts) > 0 {
		return m.Parts[0].Header
	}
	return ""
}

// Open reads the message's data: Raw, or what the server's Store kept.
func (m *Message) Open() (io.ReadCloser, error) {
	if m.Raw != nil || m.open == nil {
		return io.NopCloser(bytes.NewReader(m.Raw)), nil
	}
	return m.open()
}

// ParseParts reads the MIME tree of a message as the server does when it
// stores one; for a store that must read a message again (package
// emlstore, after a restart).
func ParseParts(r io.Reader) ([]Part, error) { return parseParts(r) }

// parseParts reads the MIME tree of a message, streaming: a part's body
// is hashed and measured as it goes by, and only text is kept (bounded by
// MaxPartText), so a 30 MB attachment costs no more memory than a small one.
func parseParts(r io.Reader) ([]Part, error) {
	e, err := message.Read(bufio.NewReaderSize(r, 32<<10))
	if e == nil {
		return nil, err
	}
	w := &walker{text: MaxPartText}
	walkErr := w.walk(e, nil)
	if err == nil {
		err = walkErr
	}
	return w.parts, err
}

// walker reads a MIME tree into parts, within the bounds.
type walker struct {
	parts []Part
	text  int // of the text all parts together may keep, what is left
}

func (w *walker) walk(e *message.Entity, path []int) error {
	if len(w.parts) >= MaxMIMEParts {
		return fmt.Errorf("more than %d MIME parts: only the first %d are listed", MaxMIMEParts, MaxMIMEParts)
	}
	var hdr bytes.Buffer
	textproto.WriteHeader(&hdr, e.Header.Header)
	p := Part{Path: pathString(path), Depth: len(path), Header: hdr.String()}
	p.ContentType, _, _ = e.Header.ContentType()
	if _, params, err := e.Header.ContentDisposition(); err == nil {
		p.Filename = params["filename"]
	}
	if p.Filename == "" {
		if _, params, err := e.Header.ContentType(); err == nil {
			p.Filename = params["name"]
		}
	}
	if mr := e.MultipartReader(); mr != nil {
		p.Multipart = true
		w.parts = append(w.parts, p)
		if len(path) >= MaxMIMEDepth {
			// Not one reader more: its parts would be read through all
			// the levels above.
			return fmt.Errorf("MIME parts nested more than %d deep: the parts inside part %q are not listed", MaxMIMEDepth, p.Path)
		}
		for i := 1; ; i++ {
			child, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if child == nil {
				return err
			}
			if err := w.walk(child, append(path, i)); err != nil {
				return err
			}
		}
	}
	h := sha256.New()
	counted := &countingWriter{w: h}
	var text *bytes.Buffer
	var sink io.Writer = counted
	if strings.HasPrefix(p.ContentType, "text/") || p.ContentType == "" {
		text = &bytes.Buffer{}
		sink = io.MultiWriter(counted, &limitedBuffer{buf: text, limit: w.text})
	}
	body := io.TeeReader(e.Body, sink)
	if strings.HasPrefix(p.ContentType, "image/") {
		// DecodeConfig reads only the image's header; what it reads is
		// hashed on the way, and the copy below hashes the rest.
		if cfg, _, err := image.DecodeConfig(body); err == nil {
			p.Width, p.Height = cfg.Width, cfg.Height
		}
	}
	_, err := io.Copy(io.Discard, body)
	p.Size = int(counted.n)
	p.SHA256 = hex.EncodeToString(h.Sum(nil))
	if text != nil {
		p.Text = text.String()
		p.TextTruncated = counted.n > int64(text.Len())
		w.text -= text.Len()
	}
	w.parts = append(w.parts, p)
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}

// limitedBuffer keeps the first limit bytes written to it and drops the
// rest, without failing the write.
type limitedBuffer struct {
	buf   *bytes.Buffer
	limit int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.limit - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func pathString(path []int) string {
	var b strings.Builder
	for i, n := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}
