package scenarios

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"alertsim/netem"
)

// TestRecordFoldsDroppedCopies: a segment dropped, sent again and dropped
// again the same way becomes one line with the count and the span; a copy
// that gets through, another flow's lines and a drop for another reason
// stay as they are; full detail keeps every line.
func TestRecordFoldsDroppedCopies(t *testing.T) {
	start := defaultStart
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	flow := netem.Flow{Proto: netem.TCP, Src: netip.MustParseAddrPort("192.0.2.10:49152"), Dst: netip.MustParseAddrPort("203.0.113.10:465")}
	other := netem.Flow{Proto: netem.TCP, Src: netip.MustParseAddrPort("192.0.2.10:49153"), Dst: flow.Dst}
	seg := netem.Packet{Kind: netem.PacketData, Payload: 1460, Wire: 1500}
	drop := func(ms int, f netem.Flow, r netem.Reason) netem.TraceEvent {
		return netem.TraceEvent{At: at(ms), Host: "cam", Kind: netem.EventDropped, Flow: f, Packet: seg, Hop: "cam uplink", Reason: r, MTU: 1428}
	}
	again := func(ms int, f netem.Flow) netem.TraceEvent {
		return netem.TraceEvent{At: at(ms), Host: "cam", Kind: netem.EventRetransmit, Flow: f, Packet: seg, Reason: netem.ReasonTimeout, Wait: time.Second}
	}
	trace := []netem.TraceEvent{
		drop(100, flow, netem.ReasonMTUBlackhole),
		again(300, flow), drop(300, flow, netem.ReasonMTUBlackhole),
		drop(350, other, netem.ReasonLost), // another flow, in between
		again(700, flow), drop(700, flow, netem.ReasonMTUBlackhole),
		again(1500, flow), drop(1500, flow, netem.ReasonLost), // dropped another way: not folded in
		again(3100, flow), // got through
		{At: at(3200), Host: "cam", Kind: netem.EventConnTimeout, Flow: flow, Count: 15},
	}
	want := []string{
		"00:00:00.100 192.0.2.10:49152 > 203.0.113.10:465 1460-byte segment (seq 0) dropped on cam uplink: 1500 bytes exceed the path MTU 1428; ICMP is blocked, the sender is not told; retransmitted 2 times 00:00:00.300-00:00:00.700, every copy dropped the same way",
		"00:00:00.350 192.0.2.10:49153 > 203.0.113.10:465 1460-byte segment (seq 0) dropped on cam uplink: lost",
		"00:00:01.500 192.0.2.10:49152 > 203.0.113.10:465 retransmit 1460-byte segment (seq 0): timeout, next in 1s",
		"00:00:01.500 192.0.2.10:49152 > 203.0.113.10:465 1460-byte segment (seq 0) dropped on cam uplink: lost",
		"00:00:03.100 192.0.2.10:49152 > 203.0.113.10:465 retransmit 1460-byte segment (seq 0): timeout, next in 1s",
		"00:00:03.200 192.0.2.10:49152 > 203.0.113.10:465 connection timed out: 15 retransmissions unanswered",
	}
	// The record sorts by time, then by the place in the trace.
	if g := sortedLines(netLines(trace, start, false), start); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("folded:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
	if n := len(netLines(trace, start, true)); n != len(trace) {
		t.Errorf("full detail has %d lines, want %d", n, len(trace))
	}
}

func sortedLines(ls []netLine, start time.Time) []string {
	rec := &runRecord{}
	for _, l := range ls {
		rec.Timeline = append(rec.Timeline, entry{At: l.at.Sub(start), Rank: rankNetwork, Source: "net", Seq: l.seq, Text: l.text})
	}
	var out []string
	for _, line := range strings.Split(string(rec.Render()), "\n") {
		if strings.HasPrefix(line, "00:") {
			out = append(out, line[:12]+" "+strings.TrimSpace(line[12+2+len("net"):]))
		}
	}
	return out
}
