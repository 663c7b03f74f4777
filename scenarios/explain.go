package scenarios

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"alertsim/netem"
)

// Explain says, for each failed attempt in a run, what the network did to
// it: the packets it dropped and why, the retransmissions and resets, with
// one trace line of each kind as an example. It is the "why" of a replay
// report; a failure with a reply from the server needs no network to
// explain it, and gets none when the network did nothing.
//
// An attempt's own connections (the device's log says "connected from
// <addr:port>"; the failure log keeps them) are followed by their flows,
// up to the failure: a connection the device gave up on may go on
// retransmitting in the background, as a kernel does, and what it suffers
// then explains nothing. What belongs to no connection (DNS, the link
// going down, a dial refused for want of a route) counts for the attempt
// it happened during.
func Explain(res *Result) []string {
	var out []string
	from := res.Start
	for _, f := range res.FailureLog {
		at := res.Clock.Instant(f.Time)
		out = append(out, fmt.Sprintf("%s  attempt %d to %s: %s at %s%s", Clock(at.Sub(res.Start)), f.Attempt, f.Server, f.Class, f.Stage, codeSuffix(f.Code)))
		if f.Detail != "" {
			out = append(out, "    "+strings.ReplaceAll(strings.TrimSpace(f.Detail), "\n", "\n    "))
		}
		out = append(out, describeNetwork(res.Trace, f.Conns, from, at, res.Start)...)
		from = at
	}
	return out
}

func codeSuffix(code int) string {
	if code == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d)", code)
}

// ownedBy reports whether a trace event belongs to one of conns (either
// direction of the flow).
func ownedBy(e netem.TraceEvent, conns []netip.AddrPort) bool {
	return e.Flow.Proto == netem.TCP && (slices.Contains(conns, e.Flow.Src) || slices.Contains(conns, e.Flow.Dst))
}

// describeNetwork summarizes what the network did to an attempt that
// failed at to: its connections' events up to then, and those of no
// connection in (from, to]. One line per kind of thing, grouped by what a
// reader needs to tell apart (each drop reason with its figures, a link
// going down, retransmissions, resets), in the order each first happened.
func describeNetwork(trace []netem.TraceEvent, conns []netip.AddrPort, from, to, start time.Time) []string {
	type kind struct {
		what    string
		n       int
		example netem.TraceEvent
	}
	var kinds []*kind
	count := func(what string, e netem.TraceEvent) {
		i := slices.IndexFunc(kinds, func(k *kind) bool { return k.what == what })
		if i < 0 {
			kinds = append(kinds, &kind{what: what, example: e})
			i = len(kinds) - 1
		}
		kinds[i].n++
	}
	for _, e := range trace {
		if e.At.After(to) {
			break
		}
		switch {
		case ownedBy(e, conns):
		case e.Flow.Proto == netem.TCP && e.Kind != netem.EventUnreachable:
			continue // another attempt's connection, or a delivery's
		case !e.At.After(from):
			continue
		}
		switch e.Kind {
		case netem.EventDropped, netem.EventDNSDropped:
			// At a host (no host has the address, nothing listens on
			// the port) as much as on a link: a SYN lost to a wrong
			// address is why a connect timed out.
			count("dropped: "+e.Why(), e)
		case netem.EventDNSNoAnswer:
			count("DNS question not answered: "+e.DNS.Fault.Kind.String(), e)
		case netem.EventUnreachable:
			count("refused at once: network unreachable (no signal)", e)
		case netem.EventRetransmit, netem.EventSYNRetransmit:
			count("retransmitted", e)
		case netem.EventFragmentationNeeded:
			count("ICMP fragmentation needed", e)
		case netem.EventReset, netem.EventResetByPeer, netem.EventNetworkReset, netem.EventPortClosed:
			// A closed port answers with a reset: the dial's refusal
			// itself (EventRefused) is the failure, not its cause.
			count("reset", e)
		case netem.EventLinkDown, netem.EventLinkUp, netem.EventStalled, netem.EventUnstalled:
			// Each outage on its own line, with its schedule.
			count(e.Text(), e)
		}
	}
	if len(kinds) == 0 {
		return []string{"    the network dropped nothing meanwhile"}
	}
	var out []string
	for _, k := range kinds {
		out = append(out, fmt.Sprintf("    network: %d x %s", k.n, k.what),
			fmt.Sprintf("      e.g. %s  %s: %s", Clock(k.example.At.Sub(start)), k.example.Host, k.example.Text()))
	}
	return out
}
