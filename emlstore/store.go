// Package emlstore keeps the messages of a fake SMTP server on disk, one
// .eml file each, for `alertsim serve`: what a bench tester opens in a mail
// client, greps, or keeps as evidence, and what the bench page lists after
// a restart.
//
// Nothing is lost: a message is written under a temporary name, fsync'd,
// renamed into place and its directory fsync'd before the server may answer
// 250 (fakesmtp.Store); a failure on the way is returned, so that the
// server answers 4xx and the device sends again. The directory is locked,
// so that two processes never share it, and what a crash leaves behind
// (temporary files) is removed when the store opens. Limits on count, age
// and bytes evict the oldest messages first, each eviction reported, and
// never the message just committed.
//
// Each .eml begins with the envelope, as a final delivery agent records it:
// Return-Path (RFC 5321 section 4.4) for the sender, then one Delivered-To
// field per recipient, the field Postfix's and qmail's local delivery
// write and mail clients, procmail and mailbox tools read, so that a Bcc
// recipient, which no header of the message names, leaves a trace. A
// Received field follows, then the message exactly as it came.
//
// Beside the .eml files, index.jsonl, an append-only journal, keeps what
// the server parsed of each message (MIME tree, TLS, AUTH) and, once a
// session has ended, its transcript: one write per message rather than a
// file of its own, so that storing stays cheap. The .eml is the record:
// a message the journal lacks is read back from its file, and the journal
// is compacted when the store opens and whenever it holds four times what
// is live.
package emlstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"alertsim/fakesmtp"
)

// Limits bound what the store keeps; each zero field is no bound. When a
// new message takes the store past one, the oldest messages go first; the
// new one stays, even alone past a bound, until the next one comes.
type Limits struct {
	// Messages is the most messages kept.
	Messages int
	// Age is how long a message is kept.
	Age time.Duration
	// Bytes is the most bytes of .eml files kept.
	Bytes int64
}

// Store is a directory of .eml files. It implements fakesmtp.Store.
type Store struct {
	dir    string
	domain string
	limits Limits
	lock   *os.File
	dirf   *os.File // the directory, open for its fsyncs
	dsync  *dirSyncer

	// OnEvict, if set, is told of each message the limits let go, and why.
	OnEvict func(e Entry, reason string)

	mu      sync.Mutex
	entries []*Entry // in order of reception
	bytes   int64
	meta    map[string]pos // key -> its message record in the journal
	sess    map[string]pos // key -> the record of the session that delivered it
	refs    map[pos]int    // a session record -> how many keys of sess point to it
	// pending are the records of messages committing: appended, their
	// files not yet in place. Compaction keeps them too.
	pending map[string]pos
	j       journal
	changed chan struct{} // closed and replaced on every change
	closed  bool
	done    chan struct{}
	wg      sync.WaitGroup
}

// Entry is one stored message, as the list shows it.
type Entry struct {
	// Key names the message: its file is Key + ".eml".
	Key      string
	Received time.Time
	// From and To are the envelope.
	From    string
	To      []string
	Subject string
	// Size is the .eml file's size.
	Size int64
	// Attachments counts the parts with a file name; -1 until the
	// message is parsed (see fakesmtp.Server.DeferParse).
	Attachments int
	// Image is the path of its first image part ("2"), for a thumbnail.
	Image string
	// Remote is the client's address; TLS its TLS version, if any;
	// AuthUser who logged in.
	Remote   string
	TLS      string
	AuthUser string
}

// Detail is everything known of a stored message.
type Detail struct {
	Entry
	Message *fakesmtp.Message
	// Session is the session that delivered it, once that session has
	// ended (see AttachSession).
	Session *fakesmtp.Session
}

// sidecar is a message's record in the journal.
type sidecar struct {
	Message *fakesmtp.Message
	Offset  int64 // where the message's own bytes begin in the .eml
	EMLSize int64
	Subject string
	Version int
	// Parsed: Message.Parts is filled in (a server with DeferParse leaves
	// it to the first Get).
	Parsed bool
}

const sidecarVersion = 1

// ErrLocked is returned by Open when another process uses the directory.
var ErrLocked = errors.New("emlstore: the directory is in use by another process")

// Open opens (creating it if need be) a store in dir, with domain as the
// "by" name of its Received fields. It locks the directory, removes what a
// crash left, reads the messages already there and evicts those beyond
// the limits.
func Open(dir, domain string, limits Limits) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := io.ReadAll(io.LimitReader(lock, 32))
		lock.Close()
		return nil, fmt.Errorf("%w: %s (process %s holds %s)", ErrLocked, dir, strings.TrimSpace(string(pid)), filepath.Join(dir, ".lock"))
	}
	lock.Truncate(0)
	lock.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	dirf, err := os.Open(dir)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s := &Store{dir: dir, domain: domain, limits: limits, lock: lock, dirf: dirf, dsync: newDirSyncer(dirf.Sync), changed: make(chan struct{}), done: make(chan struct{}), meta: map[string]pos{}, sess: map[string]pos{}, refs: map[pos]int{}, pending: map[string]pos{}}
	if err := s.load(); err != nil {
		s.j.close()
		dirf.Close()
		lock.Close()
		return nil, err
	}
	return s, nil
}

// Start begins evicting by age in the background (every minute, or the
// age limit if shorter); Close stops it.
func (s *Store) Start() {
	if s.limits.Age <= 0 {
		return
	}
	every := min(time.Minute, s.limits.Age)
	s.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.evict()
			case <-s.done:
				return
			}
		}
	})
}

// Close releases the directory.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	close(s.changed)
	s.mu.Unlock()
	s.wg.Wait()
	s.j.close()
	s.dirf.Close()
	return s.lock.Close()
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// load cleans the directory after a crash and reads its messages.
func (s *Store) load() error {
	names, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	emls := map[string]bool{}
	for _, n := range names {
		if k, ok := strings.CutSuffix(n.Name(), ".eml"); ok && !strings.HasPrefix(n.Name(), ".") {
			emls[k] = true
		}
		if strings.HasPrefix(n.Name(), ".incoming-") {
			// A message whose 250 was never sent: the client still has
			// it.
			os.Remove(filepath.Join(s.dir, n.Name()))
		}
	}
	records, err := readJournal(filepath.Join(s.dir, journalName))
	if err != nil {
		return err
	}
	messages := map[string]*sidecar{}
	sessions := map[string]*sessionRecord{}
	for _, r := range records {
		switch {
		case r.Message != nil && r.Message.Message != nil && emls[r.Message.Message.StoreKey]:
			messages[r.Message.Message.StoreKey] = r.Message
		case r.Session != nil:
			for _, k := range r.Session.Keys {
				sessions[k] = r.Session
			}
		}
	}
	keys := make([]string, 0, len(emls))
	for k := range emls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if messages[k] == nil {
			sc, err := s.rebuild(k)
			if err != nil {
				// Not ours, or unreadable: leave the file alone.
				continue
			}
			messages[k] = sc
		}
		e := entryOf(k, messages[k])
		s.entries = append(s.entries, e)
		s.bytes += e.Size
	}
	slices.SortStableFunc(s.entries, func(a, b *Entry) int { return a.Received.Compare(b.Received) })
	if err := s.rewriteJournal(messages, sessions); err != nil {
		return err
	}
	s.evict()
	return nil
}

func (s *Store) path(key, ext string) string { return filepath.Join(s.dir, key+ext) }

// add lists a committed message, whose record is pending.
func (s *Store) add(e *Entry) {
	s.mu.Lock()
	s.meta[e.Key] = s.pending[e.Key]
	delete(s.pending, e.Key)
	s.entries = append(s.entries, e)
	s.bytes += e.Size
	s.notify()
	s.mu.Unlock()
	s.evictFor(e.Key)
}

// notify wakes whoever waits for a change. Called with s.mu held.
func (s *Store) notify() {
	if !s.closed {
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// Changed returns a channel closed at the next change (a message stored,
// deleted or evicted), or when the store closes.
func (s *Store) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// evict lets the oldest messages go until the store is within its limits.
func (s *Store) evict() { s.evictFor("") }

// evictFor is evict for the message key has just committed, which it never
// lets go: the server answers it 250 once Commit returns, and a 250 is
// for a message kept. The others go first, oldest first; should the new
// one alone be past a limit (an .eml is its message and its trace
// fields, so one of -max-size is a little over a -keep-bytes as large),
// it stays until the next message comes.
func (s *Store) evictFor(key string) {
	type gone struct {
		e      *Entry
		reason string
	}
	var evicted []gone
	s.mu.Lock()
	for {
		i := slices.IndexFunc(s.entries, func(e *Entry) bool { return e.Key != key })
		if i < 0 {
			break
		}
		oldest := s.entries[i]
		var reason string
		switch l := s.limits; {
		case l.Messages > 0 && len(s.entries) > l.Messages:
			reason = fmt.Sprintf("more than %d messages", l.Messages)
		case l.Bytes > 0 && s.bytes > l.Bytes:
			reason = fmt.Sprintf("more than %d bytes", l.Bytes)
		case l.Age > 0 && time.Since(oldest.Received) > l.Age:
			reason = fmt.Sprintf("older than %v", l.Age)
		}
		if reason == "" {
			break
		}
		s.entries = slices.Delete(s.entries, i, i+1)
		s.bytes -= oldest.Size
		s.forget(oldest.Key)
		evicted = append(evicted, gone{oldest, reason})
	}
	if len(evicted) > 0 {
		s.notify()
	}
	s.mu.Unlock()
	s.maybeCompact()
	for _, g := range evicted {
		s.removeFiles(g.e.Key)
		if s.OnEvict != nil {
			s.OnEvict(*g.e, g.reason)
		}
	}
}

// forget drops a message's journal records. Called with s.mu held.
func (s *Store) forget(key string) {
	if p, ok := s.meta[key]; ok {
		s.j.dead(p)
	}
	delete(s.meta, key)
	s.unrefSession(key)
}

// unrefSession drops a key's link to its session's record, which is dead
// once no message it delivered is left. Called with s.mu held.
func (s *Store) unrefSession(key string) {
	p, ok := s.sess[key]
	if !ok {
		return
	}
	delete(s.sess, key)
	if s.refs[p]--; s.refs[p] <= 0 {
		delete(s.refs, p)
		s.j.dead(p)
	}
}

func (s *Store) removeFiles(key string) {
	os.Remove(s.path(key, ".eml"))
}

// List returns the messages whose envelope or subject contain query (any
// case; every message for ""), newest first, and how many match in all;
// offset and limit page through them (limit 0: all).
func (s *Store) List(query string, offset, limit int) ([]Entry, int) {
	q := strings.ToLower(strings.TrimSpace(query))
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	total := 0
	for i := len(s.entries) - 1; i >= 0; i-- {
		e := s.entries[i]
		if q != "" && !e.matches(q) {
			continue
		}
		total++
		if total > offset && (limit <= 0 || len(out) < limit) {
			out = append(out, *e)
		}
	}
	return out, total
}

func (e *Entry) matches(q string) bool {
	for _, f := range append([]string{e.From, e.Subject, e.Remote, e.AuthUser}, e.To...) {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// Count returns how many messages the store holds.
func (s *Store) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// ErrNotFound is returned for a key the store does not hold.
var ErrNotFound = errors.New("emlstore: no such message")

func (s *Store) entry(key string) (*Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.entries, func(e *Entry) bool { return e.Key == key })
	if i < 0 {
		return nil, false
	}
	return s.entries[i], true
}

// Get returns everything known of a message.
func (s *Store) Get(key string) (*Detail, error) { return s.get(key, true) }

// Message is Get without the session (Detail.Session nil), whose
// transcript a look at the message's data (a part, a thumbnail) has no
// use for and need not read.
func (s *Store) Message(key string) (*Detail, error) { return s.get(key, false) }

func (s *Store) get(key string, session bool) (*Detail, error) {
	s.mu.Lock()
	i := slices.IndexFunc(s.entries, func(e *Entry) bool { return e.Key == key })
	if i < 0 {
		s.mu.Unlock()
		return nil, ErrNotFound
	}
	// The records are read under the lock: a compaction moves them.
	e := *s.entries[i]
	r, err := s.readRecord(s.meta[key])
	var sr record
	var serr error = ErrNotFound
	if sp, ok := s.sess[key]; ok && session {
		sr, serr = s.readRecord(sp)
	}
	s.mu.Unlock()
	if err != nil || r.Message == nil {
		return nil, fmt.Errorf("emlstore: reading %s from the journal: %v", key, err)
	}
	if !r.Message.Parsed {
		if err := s.parse(key, r.Message); err != nil {
			return nil, err
		}
		e.Attachments, e.Image = len(r.Message.Message.Attachments()), firstImage(r.Message.Message)
	}
	d := &Detail{Entry: e, Message: r.Message.Message}
	if serr == nil && sr.Session != nil {
		d.Session = sr.Session.Session
	}
	s.setOpener(d.Message, key, r.Message.Offset)
	return d, nil
}

// parse reads the MIME tree of a message stored unparsed and keeps it.
func (s *Store) parse(key string, sc *sidecar) error {
	f, err := os.Open(s.path(key, ".eml"))
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(sc.Offset, io.SeekStart); err != nil {
		return err
	}
	m := sc.Message
	m.Parts, err = fakesmtp.ParseParts(f)
	if err != nil {
		m.ParseError = err.Error()
	}
	sc.Parsed = true
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.appendRecord(record{Message: sc})
	if err != nil {
		return nil // parsed all the same; the next Get parses again
	}
	old, ok := s.meta[key]
	if !ok {
		// Deleted meanwhile: the new record is no one's.
		s.j.dead(p)
		return nil
	}
	s.j.dead(old)
	s.meta[key] = p
	for _, e := range s.entries {
		if e.Key == key {
			e.Attachments, e.Image = len(m.Attachments()), firstImage(m)
		}
	}
	return nil
}

// OpenEML opens a message's .eml file, trace fields and all.
func (s *Store) OpenEML(key string) (*os.File, error) {
	if _, ok := s.entry(key); !ok {
		return nil, ErrNotFound
	}
	return os.Open(s.path(key, ".eml"))
}

// Path is where a message's .eml file is.
func (s *Store) Path(key string) string { return s.path(key, ".eml") }

// AttachSession keeps the session that delivered messages with each of
// them, once it has ended; the transcript is the server's, credentials
// already redacted.
func (s *Store) AttachSession(sess fakesmtp.Session) {
	keys := slices.DeleteFunc(slices.Clone(sess.StoreKeys), func(k string) bool { _, ok := s.entry(k); return !ok })
	if len(keys) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.appendRecord(record{Session: &sessionRecord{Keys: keys, Session: &sess}})
	if err != nil {
		return
	}
	for _, k := range keys {
		if _, ok := s.meta[k]; ok {
			s.unrefSession(k)
			s.sess[k] = p
			s.refs[p]++
		}
	}
	if s.refs[p] == 0 {
		// Its messages went while it was written.
		s.j.dead(p)
	}
}

// Delete removes a message.
func (s *Store) Delete(key string) error {
	s.mu.Lock()
	i := slices.IndexFunc(s.entries, func(e *Entry) bool { return e.Key == key })
	if i < 0 {
		s.mu.Unlock()
		return ErrNotFound
	}
	s.bytes -= s.entries[i].Size
	s.entries = slices.Delete(s.entries, i, i+1)
	s.forget(key)
	s.notify()
	s.mu.Unlock()
	s.removeFiles(key)
	s.maybeCompact()
	return nil
}

// DeleteAll removes every message and returns how many there were.
func (s *Store) DeleteAll() int {
	s.mu.Lock()
	all := s.entries
	s.entries, s.bytes = nil, 0
	for _, e := range all {
		s.forget(e.Key)
	}
	s.notify()
	s.mu.Unlock()
	for _, e := range all {
		s.removeFiles(e.Key)
	}
	s.maybeCompact()
	return len(all)
}
