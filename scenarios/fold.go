package scenarios

import (
	"fmt"
	"net/netip"
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

// dropRun is a packet dropped, then sent again and dropped again the same
// way: events[0] is the first drop, then a retransmission and its drop
// per copy.
type dropRun struct {
	events []int // indexes into the trace
	open   bool  // a retransmission waits for its drop
}

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
	runs := map[flowKey]*dropRun{}
	// flush closes a flow's run: folded into one line when some copy was
	// sent again and dropped again, else each event as it is.
	flush := func(k flowKey) {
		r := runs[k]
		delete(runs, k)
		if r == nil {
			return
		}
		evs := r.events
		if r.open {
			// The last copy was not dropped: it is no part of the run.
			last := evs[len(evs)-1]
			defer func() { out = append(out, line(last)) }()
			evs = evs[:len(evs)-1]
		}
		if len(evs) < 3 {
			for _, i := range evs {
				out = append(out, line(i))
			}
			return
		}
		out = append(out, foldedLine(trace, evs, start))
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
			out = append(out, line(i))
			continue
		}
		flush(k)
		if e.Kind == netem.EventDropped {
			runs[k] = &dropRun{events: []int{i}}
			continue
		}
		out = append(out, line(i))
	}
	// The runs still open at the end, in the order they began.
	var keys []flowKey
	for k := range runs {
		keys = append(keys, k)
	}
	sortKeysByFirst(keys, runs)
	for _, k := range keys {
		flush(k)
	}
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

// sortKeysByFirst orders flows by the trace index of their run's first
// event, so that what is left at the end comes out in a stable order.
func sortKeysByFirst(keys []flowKey, runs map[flowKey]*dropRun) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && runs[keys[j]].events[0] < runs[keys[j-1]].events[0]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}
