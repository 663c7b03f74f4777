// Package mailcheck verifies that a message is well formed by more than
// one reader: the standard library's net/mail and mime/multipart, and
// github.com/emersion/go-message. Tests use it on every message the
// pipeline composes.
package mailcheck

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	"github.com/emersion/go-message"
)

// Part is a leaf of the message: its type, file name and decoded body.
type Part struct {
	ContentType string
	Filename    string
	Body        []byte
}

// Check verifies raw and returns its leaf parts, decoded by the standard
// library. Every problem found is in the error.
func Check(raw []byte) ([]Part, error) {
	var problems []error
	fail := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if bytes.IndexByte(line, '\n') >= 0 || bytes.IndexByte(line, '\r') >= 0 {
			fail("line %d: a bare CR or LF", i+1)
		}
		if len(line) > 998 {
			fail("line %d: %d characters, more than RFC 5322's 998", i+1, len(line))
		}
	}

	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("net/mail: %w", err)
	}
	for _, key := range []string{"From", "To"} {
		if _, err := msg.Header.AddressList(key); err != nil {
			fail("net/mail: %s: %v", key, err)
		}
	}
	if _, err := msg.Header.Date(); err != nil {
		fail("net/mail: Date: %v", err)
	}
	if subj := msg.Header.Get("Subject"); subj != "" {
		if _, err := new(mime.WordDecoder).DecodeHeader(subj); err != nil {
			fail("Subject: %v", err)
		}
	}
	var parts []Part
	walk(msg.Header, msg.Body, &parts, fail)

	if e, err := message.Read(bytes.NewReader(raw)); err != nil {
		fail("go-message: %v", err)
	} else if err := e.Walk(func(path []int, ent *message.Entity, err error) error {
		if err != nil || ent.MultipartReader() != nil {
			return err // Walk reads a multipart entity's children itself
		}
		_, err = io.Copy(io.Discard, ent.Body)
		return err
	}); err != nil {
		fail("go-message: %v", err)
	}
	return parts, errors.Join(problems...)
}

// header is a mail.Header or a part's textproto.MIMEHeader.
type header interface{ Get(string) string }

// walk reads an entity with mime/multipart, checking base64 line lengths.
func walk(h header, body io.Reader, parts *[]Part, fail func(string, ...any)) {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		fail("Content-Type %q: %v", ct, err)
		return
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				fail("mime/multipart: %v", err)
				return
			}
			walk(p.Header, p, parts, fail)
		}
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		fail("reading a %s part: %v", mediaType, err)
		return
	}
	var decoded []byte
	switch enc := strings.ToLower(h.Get("Content-Transfer-Encoding")); enc {
	case "base64":
		lines := strings.Split(strings.TrimRight(string(raw), "\r\n"), "\r\n")
		for i, l := range lines {
			if i < len(lines)-1 && len(l) != 76 {
				fail("%s part: base64 line %d has %d characters, not 76", mediaType, i+1, len(l))
			}
		}
		if decoded, err = base64.StdEncoding.DecodeString(strings.Join(lines, "")); err != nil {
			fail("%s part: %v", mediaType, err)
		}
	case "quoted-printable":
		decoded, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		if err != nil {
			fail("%s part: %v", mediaType, err)
		}
	default:
		decoded = raw
	}
	name := ""
	if cd := h.Get("Content-Disposition"); cd != "" {
		if _, p, err := mime.ParseMediaType(cd); err == nil {
			name = p["filename"]
		} else {
			fail("Content-Disposition %q: %v", cd, err)
		}
	}
	*parts = append(*parts, Part{ContentType: mediaType, Filename: name, Body: decoded})
}
