package scenarios

import (
	"cmp"
	"slices"
	"time"

	"alertsim/fakesmtp"
	"alertsim/netem"
)

// What a view of a run other than its text record (the HTML report,
// package report) reads from a Result besides its exported fields: the
// record's header and timeline as values, every server session, and the
// packets of a captured run.

// Entry is one line of a run record's timeline.
type Entry struct {
	// At is the time since the start of the run.
	At time.Duration
	// Rank orders sources at the same instant (RankScenario first), so
	// that a cause reads before its effect.
	Rank int
	// Source says where it happened: "scenario", the device's host name,
	// "net", or a server session ("smtp.gmail.com #2", see ServerSession).
	Source string
	// Seq orders the entries of one source at the same instant. For a
	// server session's entry it is the line's index in the session's
	// Transcript; for the network's, the first event's index in
	// Result.Trace.
	Seq  int
	Text string
}

// The ranks of Entry, one per kind of source.
const (
	RankScenario = rankScenario
	RankNetwork  = rankNetwork
	RankDevice   = rankDevice
	RankServer   = rankServer
)

// Field is a line of the record's header: "network", "4g-good: 70ms RTT, ...".
type Field struct {
	Name, Value string
}

// Header returns the record's header section, in order.
func (r *Result) Header() []Field {
	if r.record == nil {
		return nil
	}
	out := make([]Field, len(r.record.Header))
	for i, f := range r.record.Header {
		out[i] = Field(f)
	}
	return out
}

// Timeline returns the record's timeline in the record's order: virtual
// time, rank, source, sequence. The network's lines are as the record
// has them; the events themselves, typed, are Result.Trace.
func (r *Result) Timeline() []Entry {
	if r.record == nil {
		return nil
	}
	out := make([]Entry, len(r.record.Timeline))
	for i, e := range r.record.Timeline {
		out[i] = Entry(e)
	}
	slices.SortStableFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.Rank, b.Rank), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Seq, b.Seq))
	})
	return out
}

// ServerSession is one session of one of the run's servers.
type ServerSession struct {
	// Server is the server's host name.
	Server string
	// Source is the session's name in the timeline: "smtp.gmail.com #2".
	Source string
	fakesmtp.Session
}

// Packets returns every packet the network carried, as netem's tap saw
// it at each host's link, in the order the network ran them; nil unless
// the run was played with Options.Capture. A packet appears once per link
// it crossed: on the sender's uplink and on the receiver's downlink. Its
// payload is the scenario's bytes, credentials of AUTH exchanges included
// (inside TLS where the session used it).
func (r *Result) Packets() []netem.Crossing {
	if r.recording == nil {
		return nil
	}
	return r.recording.packets
}
