package emlstore

import (
	"bufio"
	"io"
	"os"
	"strings"

	"alertsim/fakesmtp"
	"alertsim/internal/mailview"
)

// rebuild reads a message's envelope and MIME tree back from its .eml,
// for a sidecar lost in a crash or a file copied in by hand.
func (s *Store) rebuild(key string) (*sidecar, error) {
	f, err := os.Open(s.path(key, ".eml"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	m := &fakesmtp.Message{StoreKey: key, Received: keyTime(key, info.ModTime())}
	br := bufio.NewReader(f)
	offset := int64(0)
	// The trace fields this store writes, then the message.
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		name, value, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
		value = strings.TrimSpace(value)
		switch {
		case name == "Return-Path":
			m.From = strings.Trim(value, "<>")
		case name == "Delivered-To":
			m.To = append(m.To, value)
		case name == "Received":
			// "from HELO ([IP])", folded over two more lines.
			if f := strings.Fields(value); len(f) >= 3 && f[0] == "from" {
				m.Helo = f[1]
				m.Remote = strings.Trim(f[2], "()[]")
			}
			for range 2 {
				l, _ := br.ReadString('\n')
				offset += int64(len(l))
			}
		default:
			goto body
		}
		offset += int64(len(line))
	}
body:
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	parts, err := fakesmtp.ParseParts(f)
	m.Parts = parts
	if err != nil {
		m.ParseError = err.Error()
	}
	m.Size = info.Size() - offset
	return &sidecar{Message: m, Offset: offset, EMLSize: info.Size(), Subject: subjectOf(m), Version: sidecarVersion, Parsed: true}, nil
}

func entryOf(key string, sc *sidecar) *Entry {
	m := sc.Message
	e := &Entry{Key: key, Received: m.Received, From: m.From, To: m.To, Subject: sc.Subject, Size: sc.EMLSize, Attachments: -1, Remote: m.Remote, AuthUser: m.AuthUser}
	if sc.Parsed {
		e.Attachments, e.Image = len(m.Attachments()), firstImage(m)
	}
	if m.TLS != nil {
		e.TLS = m.TLS.Version
	}
	return e
}

// firstImage is the path of the message's first image part that decoded.
func firstImage(m *fakesmtp.Message) string {
	for _, p := range m.Parts {
		if !p.Multipart && strings.HasPrefix(p.ContentType, "image/") && p.Width > 0 {
			return p.Path
		}
	}
	return ""
}

// subjectOf is the message's Subject, decoded (RFC 2047).
func subjectOf(m *fakesmtp.Message) string {
	if len(m.Parts) == 0 {
		return ""
	}
	return mailview.Subject(m.Parts[0].Header)
}
