package scenarios

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"alertsim/netem"
)

// A connection the network black-holes retransmits the same segment a
// dozen times, each copy dropped for the same reason: two lines a copy,
// most of a record, saying one thing. The record folds such a run into one
// line at its first drop, with the count and the time span; DETAIL=full
// (Options.Full) shows every line.

// netLine is a line of the timeline under "net".
type netLine struct {
	at   time.Time
	seq  int // the first event's place in the trace
	host string
	text string
}

// flowKey is a packet's direction.
type flowKey struct{ src, dst netip.AddrPort }

// netLines returns the trace as timeline lines, runs of dropped copies
// folded unless full.
func netLines(trace []netem.TraceEvent, start time.Time, full bool) []netLine {
	line := func(i int) netLine {
		e := trace[i]
		return netLine{at: e.At, seq: i, host: e.Host, text: e.Text()}
	}
	if full {
		out := make([]netLine, len(trace))
		for i := range trace {
			out[i] = line(i)
		}
		return out
	}
	var out []netLine
	for _, row := range FoldTrace(trace) {
		if len(row) == 1 {
			out = append(out, line(row[0]))
		} else {
			out = append(out, foldedLine(trace, row, start))
		}
	}
	return out
}

// FoldTrace groups a trace into the rows a record shows: each row is the
// indexes of its events, one event, or a folded run: a TCP packet dropped,
// then sent again and dropped again the same way (same packet, reason, hop
// and MTU) at least once; the run is its first drop, then a retransmission
// and its drop per copy. A copy sent again that got through ends the run
// and is a row of its own. Rows are in the order of their first event. The
// record and the report (which keeps the copies behind the folded row)
// fold by this one rule.
func FoldTrace(trace []netem.TraceEvent) [][]int {
	var out [][]int
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
				out = append(out, []int{i})
			}
		} else {
			out = append(out, evs)
		}
		for _, i := range last {
			out = append(out, []int{i})
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
			out = append(out, []int{i})
			continue
		}
		flush(k)
		if e.Kind == netem.EventDropped {
			runs[k] = &run{events: []int{i}}
			order = append(order, k)
			continue
		}
		out = append(out, []int{i})
	}
	// The runs still open at the end, in the order they began.
	for len(order) > 0 {
		flush(order[0])
	}
	slices.SortStableFunc(out, func(a, b []int) int { return a[0] - b[0] })
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

// foldedLine is a run of dropped copies in one line: the first drop as the
// trace says it, then how often and over what time the packet was sent
// again.
func foldedLine(trace []netem.TraceEvent, evs []int, start time.Time) netLine {
	first := trace[evs[0]]
	copies := (len(evs) - 1) / 2
	lastSent := trace[evs[len(evs)-2]]
	how := "retransmitted"
	if first.Packet.Kind == netem.PacketSYN {
		how = "sent again"
	}
	text := fmt.Sprintf("%s; %s %d time%s %s-%s, every copy dropped the same way",
		first.Text(), how, copies, plural(copies), Clock(trace[evs[1]].At.Sub(start)), Clock(lastSent.At.Sub(start)))
	return netLine{at: first.At, seq: evs[0], host: first.Host, text: text}
}
