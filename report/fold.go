package report

import (
	"net/netip"
	"slices"

	"alertsim/netem"
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

type flowKey struct{ src, dst netip.AddrPort }

// foldTrace groups the trace into rows, in the order of each row's first
// event.
func foldTrace(trace []netem.TraceEvent) []group {
	var out []group
	type run struct {
		events []int
		open   bool // a copy was sent again and not yet dropped
	}
	runs := map[flowKey]*run{}
	var order []flowKey // the flows with a run, in the order the runs began
	flush := func(k flowKey) {
		r := runs[k]
		if r == nil {
			return
		}
		delete(runs, k)
		order = slices.DeleteFunc(order, func(o flowKey) bool { return o == k })
		evs := r.events
		var last []int
		if r.open {
			// The last copy was not dropped: no part of the run.
			last, evs = evs[len(evs)-1:], evs[:len(evs)-1]
		}
		if len(evs) < 3 {
			for _, i := range evs {
				out = append(out, group{events: []int{i}})
			}
		} else {
			out = append(out, group{events: evs})
		}
		for _, i := range last {
			out = append(out, group{events: []int{i}})
		}
	}
	for i, e := range trace {
		k := flowKey{e.Flow.Src, e.Flow.Dst}
		r := runs[k]
		switch {
		case e.Kind == netem.EventDropped && e.Flow.Proto == netem.TCP && r != nil && r.open && sameDrop(trace[r.events[0]], e):
			r.events = append(r.events, i)
			r.open = false
			continue
		case (e.Kind == netem.EventRetransmit || e.Kind == netem.EventSYNRetransmit) && r != nil && !r.open && samePacket(trace[r.events[0]], e):
			r.events = append(r.events, i)
			r.open = true
			continue
		}
		if e.Flow.Proto != netem.TCP {
			out = append(out, group{events: []int{i}})
			continue
		}
		flush(k)
		if e.Kind == netem.EventDropped {
			runs[k] = &run{events: []int{i}}
			order = append(order, k)
			continue
		}
		out = append(out, group{events: []int{i}})
	}
	// The runs still open at the end, in the order they began.
	for len(order) > 0 {
		flush(order[0])
	}
	slices.SortStableFunc(out, func(a, b group) int { return a.events[0] - b.events[0] })
	return out
}

// samePacket reports whether b is a copy of the packet a was (a SYN
// retransmission names no packet: it is the SYN).
func samePacket(a, b netem.TraceEvent) bool {
	if b.Kind == netem.EventSYNRetransmit {
		return a.Packet.Kind == netem.PacketSYN
	}
	return a.Packet.Kind == b.Packet.Kind && a.Packet.Seq == b.Packet.Seq && a.Packet.Payload == b.Packet.Payload
}

func sameDrop(first, e netem.TraceEvent) bool {
	return samePacket(first, e) && first.Reason == e.Reason && first.Hop == e.Hop && first.MTU == e.MTU
}
