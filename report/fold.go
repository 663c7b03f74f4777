package report

import (
	"alertsim/netem"
	"alertsim/scenarios"
)

// A connection the network black-holes sends the same segment a dozen
// times, each copy dropped for the same reason: two lines a copy, most of
// a run, saying one thing. The record folds such a run into one line at
// its first drop (issue 13); the report does the same, and keeps the
// copies behind the folded line, to be expanded.
//
// The rule is the record's: a TCP packet dropped, then sent again and
// dropped again the same way (same packet, reason, hop and MTU), at least
// once. A copy sent again that got through ends the run and stays a line
// of its own.

// group is a run of trace events shown as one row: one event, or a
// folded run (the first drop, then a retransmission and its drop per
// copy).
type group struct {
	events []int // indexes into the trace, in order
}

func (g group) folded() bool { return len(g.events) > 1 }

// foldTrace groups the trace into rows by the record's own rule
// (scenarios.FoldTrace), in the order of each row's first event.
func foldTrace(trace []netem.TraceEvent) []group {
	rows := scenarios.FoldTrace(trace)
	out := make([]group, len(rows))
	for i, r := range rows {
		out[i] = group{events: r}
	}
	return out
}
