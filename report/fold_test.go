package report

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"alertsim/netem"
)

var (
	camera = netip.MustParseAddrPort("192.0.2.10:49152")
	other  = netip.MustParseAddrPort("192.0.2.10:49153")
	server = netip.MustParseAddrPort("203.0.113.10:465")
)

// traceOf builds a trace from a script: "d" a drop of the 1460-byte
// segment at seq 0 (black hole), "r" its retransmission, "D" a drop of
// another flow's, "R" that flow's retransmission, "e" an established, "u"
// a UDP datagram dropped.
func traceOf(script string) []netem.TraceEvent {
	var out []netem.TraceEvent
	at := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	seg := netem.Packet{Kind: netem.PacketData, Payload: 1460, Wire: 1500}
	for _, c := range script {
		at = at.Add(100 * time.Millisecond)
		e := netem.TraceEvent{At: at, Host: "cam", Flow: netem.Flow{Proto: netem.TCP, Src: camera, Dst: server}, Packet: seg, MTU: 1428, Hop: "cam uplink"}
		switch c {
		case 'd', 'D':
			e.Kind, e.Reason = netem.EventDropped, netem.ReasonMTUBlackhole
		case 'r', 'R':
			e.Kind, e.Reason = netem.EventRetransmit, netem.ReasonTimeout
		case 'e':
			e.Kind, e.Packet, e.Hop, e.MTU = netem.EventEstablished, netem.Packet{}, "", 0
		case 'u':
			e.Kind, e.Reason, e.Flow.Proto = netem.EventDropped, netem.ReasonLost, netem.UDP
		}
		if c == 'D' || c == 'R' {
			e.Flow.Src = other
		}
		out = append(out, e)
	}
	return out
}

// TestFoldTrace: a packet dropped, sent again and dropped again the same
// way folds into one row with its copies, as the record folds it; a copy
// that gets through ends the run and stays a row of its own; a lone drop,
// another flow's events and UDP are not folded into it.
func TestFoldTrace(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   [][]int
	}{
		// The black hole: every copy dropped.
		{"edrdrdrd", [][]int{{0}, {1, 2, 3, 4, 5, 6, 7}}},
		// The last copy got through: it is no part of the run.
		{"drdrdr", [][]int{{0, 1, 2, 3, 4}, {5}}},
		{"drdr", [][]int{{0, 1, 2}, {3}}},
		// One drop and one copy that got through: nothing to fold.
		{"dr", [][]int{{0}, {1}}},
		{"d", [][]int{{0}}},
		// Two flows at once: each folds on its own, in the order each run
		// began.
		{"dDrRdDrRdD", [][]int{{0, 2, 4, 6, 8}, {1, 3, 5, 7, 9}}},
		// UDP is never folded, and does not break a TCP run.
		{"drudrd", [][]int{{0, 1, 3, 4, 5}, {2}}},
		// An event of the flow between copies ends the run.
		{"drdedrd", [][]int{{0, 1, 2}, {3}, {4, 5, 6}}},
	} {
		var got [][]int
		for _, g := range foldTrace(traceOf(tc.script)) {
			got = append(got, g.events)
		}
		if !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("%q folds into %v, want %v", tc.script, got, tc.want)
		}
	}
}

// TestFoldNeedsTheSameDrop: a copy dropped for another reason (or on
// another hop) is not the same run.
func TestFoldNeedsTheSameDrop(t *testing.T) {
	tr := traceOf("drdrd")
	tr[4].Reason = netem.ReasonLost
	var got [][]int
	for _, g := range foldTrace(tr) {
		got = append(got, g.events)
	}
	want := [][]int{{0, 1, 2}, {3}, {4}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("folds into %v, want %v", got, want)
	}
}
