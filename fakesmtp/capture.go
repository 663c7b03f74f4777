package fakesmtp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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
	// Raw is the message exactly as received, CRLF line endings, without
	// the final dot.
	Raw []byte
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
}

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
	// Text is the decoded body of a text/* leaf.
	Text string
}

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

// parseParts reads the MIME tree of raw.
func parseParts(raw []byte) ([]Part, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		return nil, err
	}
	var parts []Part
	walkErr := walk(e, nil, &parts)
	if err == nil {
		err = walkErr
	}
	return parts, err
}

func walk(e *message.Entity, path []int, parts *[]Part) error {
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
		*parts = append(*parts, p)
		for i := 1; ; i++ {
			child, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if child == nil {
				return err
			}
			if err := walk(child, append(path, i), parts); err != nil {
				return err
			}
		}
	}
	body, err := io.ReadAll(e.Body)
	p.Size = len(body)
	sum := sha256.Sum256(body)
	p.SHA256 = hex.EncodeToString(sum[:])
	if strings.HasPrefix(p.ContentType, "image/") {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(body)); err == nil {
			p.Width, p.Height = cfg.Width, cfg.Height
		}
	}
	if strings.HasPrefix(p.ContentType, "text/") || p.ContentType == "" {
		p.Text = string(body)
	}
	*parts = append(*parts, p)
	return err
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
