package emlstore

import (
	"strings"
	"testing"
	"time"

	"alertsim/fakesmtp"
)

// commit stores one message straight through the Store interface.
func commit(t *testing.T, s *Store) string {
	t.Helper()
	m := &fakesmtp.Message{Received: time.Now(), From: "cam@example.com", To: []string{"owner@example.com"}}
	d, err := s.Create(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Write([]byte("Subject: motion\r\n\r\nMotion.\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := d.Commit(m); err != nil {
		t.Fatal(err)
	}
	return m.StoreKey
}

// liveBytes is what the records in use take, by the store's own
// positions.
func liveBytes(s *Store) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, p := range s.meta {
		n += int64(p.n)
	}
	seen := map[pos]bool{}
	for _, p := range s.sess {
		if !seen[p] {
			seen[p] = true
			n += int64(p.n)
		}
	}
	return n
}

// TestJournalLiveCountsSessions: the records of sessions whose messages
// are gone count as dead, or a store under a message limit never finds
// its journal worth compacting and the journal grows for as long as mail
// comes.
func TestJournalLiveCountsSessions(t *testing.T) {
	s, err := Open(t.TempDir(), "bench.example", Limits{Messages: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	transcript := []fakesmtp.Line{{Kind: fakesmtp.Command, Text: strings.Repeat("x", 4000)}}
	for i := range 20 {
		keys := []string{commit(t, s)}
		if i%2 == 1 {
			keys = append(keys, commit(t, s))
		}
		s.AttachSession(fakesmtp.Session{ID: i, StoreKeys: keys, Transcript: transcript})
	}
	k := commit(t, s)
	s.Delete(k)
	s.j.mu.Lock()
	live := s.j.live
	s.j.mu.Unlock()
	if want := liveBytes(s); live != want {
		t.Errorf("journal counts %d bytes live; its live records take %d", live, want)
	}
}

// TestCompactionDuringCommit: a journal compacted by another session
// while a message commits (its record appended, its file not yet renamed
// into place) keeps that message's record, and the message answered 250
// reads back.
func TestCompactionDuringCommit(t *testing.T) {
	defer func(n int64) { compactMin = n }(compactMin)
	compactMin = 0
	s, err := Open(t.TempDir(), "bench.example", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 10 {
		s.Delete(commit(t, s))
	}
	kept := commit(t, s)
	// Another session's eviction compacts the journal while this one
	// waits for the directory's fsync.
	s.dsync = newDirSyncer(func() error {
		for range 10 {
			s.j.mu.Lock()
			s.j.live = 0 // as if every other record were dead
			s.j.mu.Unlock()
			s.maybeCompact()
		}
		return s.dirf.Sync()
	})
	k := commit(t, s)
	for _, key := range []string{kept, k} {
		d, err := s.Get(key)
		if err != nil {
			t.Fatalf("Get %s: %v", key, err)
		}
		if d.Message.StoreKey != key || d.From != "cam@example.com" {
			t.Errorf("Get %s: %+v", key, d.Entry)
		}
	}
}

// TestCompactionWritesSessionOnce: a session that delivered several
// messages keeps one record after a compaction, not one per message.
func TestCompactionWritesSessionOnce(t *testing.T) {
	defer func(n int64) { compactMin = n }(compactMin)
	compactMin = 0
	dir := t.TempDir()
	s, err := Open(dir, "bench.example", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys := []string{commit(t, s), commit(t, s), commit(t, s)}
	s.AttachSession(fakesmtp.Session{ID: 1, StoreKeys: keys})
	for range 20 {
		s.Delete(commit(t, s))
	}
	recs, err := readJournal(dir + "/" + journalName)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.Session != nil {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d session records after compaction, want 1", n)
	}
	if live, want := s.j.live, liveBytes(s); live != want {
		t.Errorf("journal counts %d bytes live; its live records take %d", live, want)
	}
}
