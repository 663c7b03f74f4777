package fakesmtp

import (
	"bytes"
	"io"
)

// Store keeps the data of the messages a server accepts. The server writes
// a message's data into a Draft as it arrives, parses it back from the
// draft once it is whole, and answers 250 only after Commit has returned
// without error: a store that cannot keep a message makes the server answer
// Replies.StoreFailed instead, so that the client keeps it and tries again.
//
// A nil Server.Store keeps messages in memory (Message.Raw), which is what
// tests and scenarios in virtual time want; package emlstore keeps them on
// disk, for a server that runs for days.
//
// A Store is called from every session's goroutine at once.
type Store interface {
	// Create starts a message. m has its envelope (From, To) and the
	// session's details (Helo, Remote, TLS, AuthUser) already: a store on
	// disk writes them first, as trace fields, and the data after them.
	Create(m *Message) (Draft, error)
}

// Draft is one message being received.
type Draft interface {
	// Write appends message data, as the client sent it less the
	// dot-stuffing.
	io.Writer
	// Open reads back what was written, for parsing; the server closes
	// the reader before calling Commit or Discard.
	Open() (io.ReadCloser, error)
	// Commit keeps the message for good. m has every field filled in but
	// StoreKey, which Commit sets, and Raw, which only an in-memory store
	// sets. It returns only once the message is as safe as the store can
	// make it.
	Commit(m *Message) error
	// Discard drops the draft: the message was refused or cut short.
	Discard()
}

// memoryStore keeps each message's bytes in Message.Raw.
type memoryStore struct{}

func (memoryStore) Create(*Message) (Draft, error) { return &memoryDraft{}, nil }

type memoryDraft struct{ buf bytes.Buffer }

func (d *memoryDraft) Write(p []byte) (int, error) { return d.buf.Write(p) }

func (d *memoryDraft) Open() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(d.buf.Bytes())), nil
}

func (d *memoryDraft) Commit(m *Message) error {
	m.Raw = d.buf.Bytes()
	return nil
}

func (d *memoryDraft) Discard() { d.buf = bytes.Buffer{} }
