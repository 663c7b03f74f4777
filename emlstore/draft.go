package emlstore

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"alertsim/fakesmtp"
	"alertsim/internal/mailview"
)

// keyTime is the time a key was made at, or def.
func keyTime(key string, def time.Time) time.Time {
	stamp, _, _ := strings.Cut(key, "-")
	if t, err := time.Parse("20060102T150405.000000Z", stamp); err == nil {
		return t
	}
	return def
}

// newKey names a message by its time of arrival, with 48 random bits so
// that names never meet even across processes and clock steps.
func newKey(t time.Time) string {
	var r [6]byte
	rand.Read(r[:])
	return t.UTC().Format("20060102T150405.000000Z") + "-" + hex.EncodeToString(r[:])
}

// Create implements fakesmtp.Store: the envelope and trace fields are
// written at once, the data as it arrives, into a temporary file of the
// directory, which Commit renames.
func (s *Store) Create(m *fakesmtp.Message) (fakesmtp.Draft, error) {
	key := newKey(time.Now())
	f, err := os.OpenFile(filepath.Join(s.dir, ".incoming-"+key+".eml"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	// As large as io.Copy's chunks, which then go to the file unbuffered.
	d := &draft{s: s, key: key, f: f, w: bufio.NewWriterSize(f, 32<<10)}
	hdr := traceFields(s.domain, key, m)
	d.offset = int64(len(hdr))
	if _, err := d.w.WriteString(hdr); err != nil {
		d.Discard()
		return nil, err
	}
	return d, nil
}

// traceFields are the fields written before the message: its envelope and
// a Received field (RFC 5321 section 4.4; the protocol names are RFC
// 3848's). Every value comes from a checked source: addresses without
// spaces or controls (fakesmtp refuses them), an EHLO name of RFC 5321's
// syntax, the server's own names.
func traceFields(domain, key string, m *fakesmtp.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", m.From)
	for _, to := range m.To {
		fmt.Fprintf(&b, "Delivered-To: %s\r\n", to)
	}
	with := "ESMTP"
	if m.TLS != nil {
		with += "S"
	}
	if m.AuthUser != "" {
		with += "A"
	}
	ip := m.Remote
	if h, _, err := net.SplitHostPort(m.Remote); err == nil {
		ip = h
	}
	helo := m.Helo
	if helo == "" {
		helo = "unknown"
	}
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (alertsim) with %s id %s;\r\n\t%s\r\n",
		helo, ip, domain, with, key, m.Received.Format(time.RFC1123Z))
	return b.String()
}

type draft struct {
	s      *Store
	key    string
	f      *os.File
	w      *bufio.Writer
	offset int64  // the trace fields' length
	size   int64  // the message's, so far
	header []byte // the message's header block, for its subject
	inBody bool
}

// maxHeader bounds what is kept of a header block to find the subject.
const maxHeader = 64 << 10

func (d *draft) Write(p []byte) (int, error) {
	if !d.inBody {
		if room := maxHeader - len(d.header); room > 0 {
			d.header = append(d.header, p[:min(room, len(p))]...)
		}
		if i := bytes.Index(d.header, []byte("\r\n\r\n")); i >= 0 || len(d.header) >= maxHeader {
			if i >= 0 {
				d.header = d.header[:i+2]
			}
			d.inBody = true
		}
	}
	n, err := d.w.Write(p)
	d.size += int64(n)
	return n, err
}

func (d *draft) Open() (io.ReadCloser, error) {
	if err := d.w.Flush(); err != nil {
		return nil, err
	}
	f, err := os.Open(d.f.Name())
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(d.offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Commit makes the message durable: data flushed and fsync'd, its record
// appended to the journal, the file renamed into place and the directory
// fsync'd. Only then may the server answer 250. (Should the directory's
// fsync fail after the rename, the client is told 4xx and sends again: a
// message twice rather than none.)
func (d *draft) Commit(m *fakesmtp.Message) error {
	s := d.s
	err := d.w.Flush()
	if err == nil {
		err = d.f.Sync()
	}
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(d.f.Name())
		return err
	}
	m.StoreKey = d.key
	sc := &sidecar{Message: m, Offset: d.offset, EMLSize: d.offset + d.size, Subject: mailview.Subject(string(d.header)), Version: sidecarVersion, Parsed: len(m.Parts) > 0 || m.ParseError != ""}
	// The record first: a crash before the rename leaves a record
	// without its .eml, which Open drops; never an .eml announced as
	// stored without its data.
	// Pending until the message is listed, so that a compaction in
	// between keeps it.
	s.mu.Lock()
	p, err := s.appendRecord(record{Message: sc})
	if err == nil {
		s.pending[d.key] = p
	}
	s.mu.Unlock()
	if err != nil {
		os.Remove(d.f.Name())
		return err
	}
	if err := os.Rename(d.f.Name(), s.path(d.key, ".eml")); err != nil {
		s.dropPending(d.key)
		os.Remove(d.f.Name())
		return err
	}
	// Shared with the sessions committing at the same time (dirSyncer).
	if err := s.dsync.Sync(); err != nil {
		s.dropPending(d.key)
		return err
	}
	s.setOpener(m, d.key, d.offset)
	s.add(entryOf(d.key, sc))
	return nil
}

// dropPending forgets the record of a message that failed to commit.
func (s *Store) dropPending(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pending[key]; ok {
		s.j.dead(p)
		delete(s.pending, key)
	}
}

func (d *draft) Discard() {
	d.f.Close()
	os.Remove(d.f.Name())
}

// setOpener lets m read its data back from the .eml.
func (s *Store) setOpener(m *fakesmtp.Message, key string, offset int64) {
	m.SetOpener(func() (io.ReadCloser, error) {
		f, err := os.Open(s.path(key, ".eml"))
		if err != nil {
			return nil, err
		}
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	})
}
