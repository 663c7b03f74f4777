package scenarios

import (
	"slices"
	"sync"

	"alertsim/fakesmtp"
)

// A long run's servers accept thousands of messages, each of them the
// size of its snapshots. The record needs their envelopes, headers and
// MIME summaries (fakesmtp parses those as it stores a message), not their
// bytes; the library's checks read the bytes of the first ones back. So a
// run keeps every message's summary and the raw bytes of messages up to
// keepRawBytes in all, and each server keeps only its last message itself
// (the Outlook preset's reply quotes its Message-ID).
const keepRawBytes = 64 << 20

// rawBudget is what is left of keepRawBytes in a run.
type rawBudget struct {
	mu   sync.Mutex
	left int
}

// kept is a message a run keeps, and its size as received.
type kept struct {
	msg  *fakesmtp.Message
	size int
}

// capture keeps the server's messages as they are stored.
func (s *runningServer) capture(budget *rawBudget) {
	s.srv.Keep = 1
	s.srv.OnMessage = func(m *fakesmtp.Message) {
		c := *m
		// The record shows a text part's text but an attachment's size and
		// digest only: a router's log attachment is 40 KB a mail.
		c.Parts = slices.Clone(m.Parts)
		for i := range c.Parts {
			if c.Parts[i].Filename != "" {
				c.Parts[i].Text = ""
			}
		}
		budget.mu.Lock()
		if budget.left >= len(m.Raw) {
			budget.left -= len(m.Raw)
		} else {
			c.Raw = nil
		}
		budget.mu.Unlock()
		s.mu.Lock()
		s.kept = append(s.kept, kept{msg: &c, size: len(m.Raw)})
		s.mu.Unlock()
	}
}

// messages returns what the server accepted, in order.
func (s *runningServer) messages() []kept {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kept
}
