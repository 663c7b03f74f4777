package explore

import (
	"testing"
	"time"

	"alertsim/scenarios"
)

// Shrinking takes a failing world apart, one change at a time, keeping a
// change whenever the smaller world still breaks the same invariant (a
// world that breaks another one is another bug), until no change keeps it
// failing or the budget of plays is spent: fewer faults and triggers,
// simpler servers, no DNS, a plainer network and settings, shorter times.
// Greedy, as Hypothesis and QuickCheck shrink: each pass tries every
// change in a fixed order, so the same failing world always shrinks to the
// same file.

// Shrunk is a failing world made small.
type Shrunk struct {
	Spec *Spec
	// Violation is what the small world breaks (its detail may differ
	// from the original's: the invariant is the same).
	Violation Violation
	// Plays counts the plays the shrinking took; Steps the changes kept.
	Plays, Steps int
}

// Shrink shrinks a world that breaks inv, playing each candidate in t, at
// most budget plays. It returns the original when nothing smaller fails.
func Shrink(t *testing.T, spec *Spec, inv string, detail string, budget int) *Shrunk {
	t.Helper()
	out := &Shrunk{Spec: spec, Violation: Violation{inv, detail}}
	for changed := true; changed && out.Plays < budget; {
		changed = false
		for _, cand := range candidates(out.Spec) {
			if out.Plays >= budget {
				break
			}
			v, plays := breaks(t, cand, inv)
			out.Plays += plays
			if v != nil {
				out.Spec, out.Violation = cand, *v
				out.Steps++
				changed = true
				break // start the pass again on the smaller world
			}
		}
	}
	return out
}

// breaks plays a candidate and returns the violation of inv it shows, nil
// if none (or if the candidate does not load: the settings page refuses
// it, which a shrink may well cause). Determinism needs two plays; the
// other invariants one.
func breaks(t *testing.T, spec *Spec, inv string) (*Violation, int) {
	t.Helper()
	sc, src, err := Load(spec, "")
	if err != nil {
		return nil, 0
	}
	var vs []Violation
	plays := 1
	if inv == InvDeterminism || inv == InvMemory {
		rep := Play(t, spec, sc, src)
		vs, plays = rep.Violations, rep.Plays
	} else {
		res, v := playOnce(t, sc)
		if v != nil {
			vs = []Violation{*v}
		} else {
			vs = Check(res)
		}
	}
	for _, v := range vs {
		if v.Invariant == inv {
			return &v, plays
		}
	}
	return nil, plays
}

// candidates returns the worlds one change smaller than spec, the changes
// that take most away first.
func candidates(s *Spec) []*Spec {
	var out []*Spec
	try := func(change func(c *Spec) bool) {
		c := s.clone()
		if change(c) {
			out = append(out, c)
		}
	}
	// Faults on the link, on the DNS servers and on the mail servers.
	for i := range s.Network.Faults {
		try(func(c *Spec) bool { c.Network.Faults = remove(c.Network.Faults, i); return true })
	}
	for i := range s.Servers {
		srv := &s.Servers[i]
		for j := range srv.Faults {
			try(func(c *Spec) bool { c.Servers[i].Faults = remove(c.Servers[i].Faults, j); return true })
		}
		if srv.Greylist > 0 {
			try(func(c *Spec) bool { c.Servers[i].Greylist = 0; return true })
		}
		if srv.RateLimit != nil {
			try(func(c *Spec) bool { c.Servers[i].RateLimit = nil; return true })
		}
		if srv.Tarpit > 0 {
			try(func(c *Spec) bool { c.Servers[i].Tarpit = 0; return true })
		}
		if srv.Disconnect > 0 {
			try(func(c *Spec) bool { c.Servers[i].Disconnect = 0; return true })
		}
	}
	if s.DNS != nil {
		try(func(c *Spec) bool { c.DNS, c.Device.DNSServers = nil, nil; return true })
		for i, ds := range s.DNS.Servers {
			for j := range ds.Faults {
				try(func(c *Spec) bool { c.DNS.Servers[i].Faults = remove(c.DNS.Servers[i].Faults, j); return true })
			}
		}
	}
	// Triggers: all but the first half, then one at a time.
	if n := len(s.Triggers); n > 2 {
		try(func(c *Spec) bool { c.Triggers = c.Triggers[:n/2]; return true })
		try(func(c *Spec) bool { c.Triggers = c.Triggers[n/2:]; return true })
	}
	for i := range s.Triggers {
		if len(s.Triggers) > 1 {
			try(func(c *Spec) bool { c.Triggers = remove(c.Triggers, i); return true })
		}
	}
	// A server of its own accord.
	for i := range s.Servers {
		if i > 0 {
			try(func(c *Spec) bool { c.Servers = remove(c.Servers, i); return true })
		}
		if s.Servers[i].Certificate != "" {
			try(func(c *Spec) bool { c.Servers[i].Certificate = ""; return true })
		}
		if s.Servers[i].MinTLS != "" {
			try(func(c *Spec) bool { c.Servers[i].MinTLS = ""; return true })
		}
	}
	// A plainer network.
	n := s.Network
	for _, change := range []func(c *Spec) bool{
		func(c *Spec) bool { c.Network.Loss = nil; return n.Loss != nil },
		func(c *Spec) bool { c.Network.PathMTU, c.Network.Blackhole = 0, false; return n.PathMTU != 0 },
		func(c *Spec) bool { c.Network.MSSClamp = 0; return n.MSSClamp != 0 },
		func(c *Spec) bool { c.Network.NATIdle = 0; return n.NATIdle != 0 },
		func(c *Spec) bool { c.Network.BlockedPorts = nil; return n.BlockedPorts != nil },
		func(c *Spec) bool { c.Network.Jitter = 0; return n.Jitter != 0 },
		func(c *Spec) bool { c.Network.RTT = 0; return n.RTT != 0 },
		func(c *Spec) bool { c.Network.Profile = "lan"; return n.Profile != "lan" },
		func(c *Spec) bool { c.Device.Clock = ""; return s.Device.Clock != "" },
		func(c *Spec) bool { c.Device.MTUProbing = false; return s.Device.MTUProbing },
	} {
		try(change)
	}
	// Plainer settings: each back to its factory value.
	for i := range s.Device.Settings {
		try(func(c *Spec) bool { c.Device.Settings = remove(c.Device.Settings, i); return true })
	}
	// Earlier: everything moved so that the first trigger or fault comes
	// at 1 s, keeping their times from one another (an aimed fault keeps
	// its instant).
	first := s.Duration
	for _, tr := range s.Triggers {
		first = min(first, tr.At)
	}
	for _, f := range s.Network.Faults {
		first = min(first, f.At)
	}
	if shift := (first - time.Second).Truncate(time.Second); shift >= time.Second {
		try(func(c *Spec) bool {
			for i := range c.Triggers {
				c.Triggers[i].At -= shift
			}
			for i := range c.Network.Faults {
				c.Network.Faults[i].At -= shift
			}
			c.Duration -= shift
			return true
		})
	}
	// Shorter times: the run, then each fault's and each trigger's.
	last := time.Duration(0)
	for _, tr := range s.Triggers {
		last = max(last, tr.At+tr.For)
	}
	for _, f := range s.Network.Faults {
		last = max(last, f.At+f.For)
	}
	if half := last + (s.Duration-last)/2; half < s.Duration && s.Duration-last > time.Second {
		try(func(c *Spec) bool { c.Duration = half.Round(time.Millisecond); return true })
	}
	for i, f := range s.Network.Faults {
		if f.For > 100*time.Millisecond {
			try(func(c *Spec) bool { c.Network.Faults[i].For = (f.For / 2).Round(time.Millisecond); return true })
		}
	}
	for i, tr := range s.Triggers {
		if tr.For > time.Second {
			try(func(c *Spec) bool { c.Triggers[i].For = (tr.For / 2).Round(time.Second); return true })
		}
	}
	return out
}

func remove[T any](s []T, i int) []T {
	return append(append([]T{}, s[:i]...), s[i+1:]...)
}

// the loader, for breaks; named so a change of its signature shows here.
var _ = scenarios.Parse
