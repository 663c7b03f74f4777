package explore

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"alertsim/fakesmtp"
	"alertsim/netem"
	"alertsim/scenarios"
)

// Faults at random times mostly land where nothing is happening: the
// failures nobody met are at instants that matter, a few milliseconds
// wide. So half the worlds are aimed: a pilot play of the world shows
// when things happen (a server takes a message and answers 250, a SYN
// leaves, an attempt begins, TLS comes up), and a fault is put at one of
// those instants, or ending at one (the link coming back just as a retry
// lands). The aimed world is a world like any other, written out with its
// fault at a fixed time: its file replays without the pilot.

// instant is a moment of the pilot's run worth a fault, and what it was.
type instant struct {
	at   time.Duration
	what string
}

// moments returns the pilot's instants worth aiming at, in order of time.
func moments(res *scenarios.Result) []instant {
	var out []instant
	for _, m := range res.Captured {
		// The server has the message and is sending its 250: a fault now
		// loses the reply, SMTP's known duplicate.
		out = append(out, instant{m.Received.Sub(res.Start), "250 after data"})
	}
	host := string(res.Scenario.Device.Hostname)
	for _, ev := range res.Trace {
		if ev.Host != host {
			continue
		}
		switch ev.Kind {
		case netem.EventConnect:
			out = append(out, instant{ev.At.Sub(res.Start), "connect"})
		case netem.EventEstablished:
			out = append(out, instant{ev.At.Sub(res.Start), "established"})
		}
	}
	for _, o := range res.Mails {
		for i, tr := range o.Tries {
			if i > 0 {
				out = append(out, instant{res.Clock.Instant(tr.Start).Sub(res.Start), "retry"})
			}
		}
	}
	for _, ss := range res.Sessions {
		for _, l := range ss.Session.Transcript {
			if l.Kind == fakesmtp.Note && strings.HasPrefix(l.Text, "TLS negotiated") {
				out = append(out, instant{l.At.Sub(res.Start), "tls"})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b instant) int { return int(a.at - b.at) })
	return out
}

// aim returns the world with one or two faults put at the pilot's
// instants, or nil when the pilot showed none inside the run.
func aim(r *rand.Rand, spec *Spec, res *scenarios.Result) *Spec {
	ms := moments(res)
	end := spec.Duration
	ms = slices.DeleteFunc(ms, func(m instant) bool { return m.at <= 0 || m.at >= end })
	if len(ms) == 0 {
		return nil
	}
	out := spec.clone()
	var replies []instant
	for _, m := range ms {
		if m.what == "250 after data" {
			replies = append(replies, m)
		}
	}
	for range 1 + r.IntN(2) {
		m := ms[r.IntN(len(ms))]
		if len(replies) > 0 && chance(r, 0.3) {
			m = replies[r.IntN(len(replies))]
		}
		// Just before, at, or just after the instant, by less than a
		// round trip: the packet in flight is the one that matters.
		at := m.at + time.Duration(r.IntN(120_000)-20_000)*time.Microsecond
		f := FaultSpec{Kind: pick(r, "stall", "down", "no-signal", "reset", "cut", "stall", "no-signal"), For: pick(r, 200*time.Millisecond, 2*time.Second, 20*time.Second, 2*time.Minute)}
		if m.what == "250 after data" {
			// What loses a reply for good: a reset, a cut, or an outage
			// longer than the device waits for it.
			f.Kind = pick(r, "reset", "cut", "stall", "no-signal")
			f.For = pick(r, 2*time.Minute, 12*time.Minute)
		}
		if m.what == "retry" && chance(r, 0.6) {
			// The link comes back at the instant the retry lands, give or
			// take a millisecond.
			f.Kind = pick(r, "no-signal", "down")
			f.At = max(m.at-f.For+time.Duration(r.IntN(3)-1)*time.Millisecond, 0)
		} else {
			f.At = max(at, 0)
		}
		switch f.Kind {
		case "reset":
			f.For, f.NoDuration = 0, true
		case "cut":
			f.For, f.NoDuration = 0, true
			f.Bytes = pick[int64](r, 1, 40, 400)
		}
		f.At = f.At.Truncate(time.Microsecond)
		out.Network.Faults = append(out.Network.Faults, f)
		out.Duration = max(out.Duration, f.At+f.For+time.Minute)
	}
	out.Description += ", faults aimed at what a first play showed"
	return out
}
