package emlstore

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"

	"alertsim/fakesmtp"
)

// journalName is the store's index of what it parsed, beside the .eml
// files.
const journalName = "index.jsonl"

// record is one line of the journal: a message's metadata, or the session
// that delivered some.
type record struct {
	Message *sidecar       `json:"m,omitempty"`
	Session *sessionRecord `json:"s,omitempty"`
}

type sessionRecord struct {
	Keys    []string
	Session *fakesmtp.Session
}

// pos is where a record is in the journal.
type pos struct {
	off int64
	n   int
}

// journal is the open index.jsonl. Appends are serialized by mu, a write
// of a line each; reads (ReadAt) need no lock but the positions, which
// the store's lock guards, and compaction takes both.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	size int64 // bytes written
	live int64 // bytes of records still in use
}

func (j *journal) close() {
	if j.f != nil {
		j.f.Close()
	}
}

// dead counts a record as no longer in use. Its callers hold the store's
// lock; appendRecord changes the counts under the journal's own lock
// alone (a session attached while a page parses a message raced here).
func (j *journal) dead(p pos) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.live -= int64(p.n)
}

// readJournal reads every whole record; a torn last line (a crash) and
// lines of another version are skipped.
func readJournal(path string) ([]record, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []record
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return out, nil
		}
		var rec record
		if json.Unmarshal(line, &rec) == nil && (rec.Message == nil || rec.Message.Version == sidecarVersion) {
			out = append(out, rec)
		}
	}
}

// rewriteJournal writes the live records to a new journal and opens it.
func (s *Store) rewriteJournal(messages map[string]*sidecar, sessions map[string]*sessionRecord) error {
	tmp := filepath.Join(s.dir, ".incoming-"+journalName)
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var off int64
	meta, sess := map[string]pos{}, map[string]pos{}
	write := func(r record) (pos, error) {
		b, err := json.Marshal(r)
		if err != nil {
			return pos{}, err
		}
		b = append(b, '\n')
		p := pos{off, len(b)}
		off += int64(len(b))
		_, err = w.Write(b)
		return p, err
	}
	written := map[*sessionRecord]pos{}
	for _, e := range s.entries {
		p, err := write(record{Message: messages[e.Key]})
		if err != nil {
			f.Close()
			return err
		}
		meta[e.Key] = p
		if sr := sessions[e.Key]; sr != nil {
			sp, ok := written[sr]
			if !ok {
				if sp, err = write(record{Session: sr}); err != nil {
					f.Close()
					return err
				}
				written[sr] = sp
			}
			sess[e.Key] = sp
		}
	}
	pending := map[string]pos{}
	for k := range s.pending {
		if sc := messages[k]; sc != nil {
			p, err := write(record{Message: sc})
			if err != nil {
				f.Close()
				return err
			}
			pending[k] = p
		}
	}
	// The new journal replaces the one whose records were made durable
	// before their 250s: its data is on disk before its name is, and its
	// name is made durable with the directory's fsync.
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		return err
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, journalName)); err != nil {
		f.Close()
		return err
	}
	s.j.close()
	s.j.f, s.j.size, s.j.live = f, off, off
	s.meta, s.sess, s.refs, s.pending = meta, sess, map[pos]int{}, pending
	for _, p := range sess {
		s.refs[p]++
	}
	// Renamed is in use, whatever the directory's fsync says.
	return s.dirf.Sync()
}

// appendRecord writes a record at the journal's end. Called with s.mu
// held, so that no compaction comes between the write and the keeping of
// its position.
func (s *Store) appendRecord(r record) (pos, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return pos{}, err
	}
	b = append(b, '\n')
	j := &s.j
	j.mu.Lock()
	defer j.mu.Unlock()
	p := pos{j.size, len(b)}
	if _, err := j.f.WriteAt(b, j.size); err != nil {
		return pos{}, err
	}
	j.size += int64(len(b))
	j.live += int64(len(b))
	return p, nil
}

func (s *Store) readRecord(p pos) (record, error) {
	var r record
	if p.n == 0 {
		return r, errors.New("no record")
	}
	s.j.mu.Lock()
	f := s.j.f
	b := make([]byte, p.n)
	_, err := f.ReadAt(b, p.off)
	s.j.mu.Unlock()
	if err != nil && err != io.EOF {
		return r, err
	}
	err = json.Unmarshal(b, &r)
	return r, err
}

// maybeCompact rewrites the journal once it is mostly records of messages
// that are gone.
func (s *Store) maybeCompact() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.j.mu.Lock()
	size, live := s.j.size, s.j.live
	s.j.mu.Unlock()
	if size < compactMin || size < 4*live {
		return
	}
	messages, sessions := map[string]*sidecar{}, map[string]*sessionRecord{}
	// A session that delivered several messages is one record, read
	// once and written once (rewriteJournal writes each record once).
	read := map[pos]*sessionRecord{}
	for _, e := range s.entries {
		if r, err := s.readRecord(s.meta[e.Key]); err == nil && r.Message != nil {
			messages[e.Key] = r.Message
		}
		if p, ok := s.sess[e.Key]; ok {
			sr, seen := read[p]
			if !seen {
				if r, err := s.readRecord(p); err == nil {
					sr = r.Session
				}
				read[p] = sr
			}
			if sr != nil {
				sessions[e.Key] = sr
			}
		}
	}
	for k, p := range s.pending {
		if r, err := s.readRecord(p); err == nil && r.Message != nil {
			messages[k] = r.Message
		}
	}
	s.j.mu.Lock()
	defer s.j.mu.Unlock()
	s.rewriteJournal(messages, sessions)
}

// compactMin is the smallest journal maybeCompact rewrites.
var compactMin int64 = 16 << 20
