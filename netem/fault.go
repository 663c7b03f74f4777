package netem

import (
	"fmt"
	"net/netip"
	"time"
)

// FaultKind is what a scheduled fault does to a link.
type FaultKind uint8

const (
	// FaultDown drops every packet in both directions from At for For
	// (forever when For is zero): signal loss.
	FaultDown FaultKind = iota
	// FaultReset resets, at At, every TCP connection crossing the link,
	// at both ends: a middlebox restarting.
	FaultReset
	// FaultStall drops every packet that carries data from At for For
	// (forever when For is zero); handshakes and bare acknowledgements
	// still pass, so connections open and then hang.
	FaultStall
	// FaultSlowClose holds every FIN crossing the link for Delay, from At
	// for For (forever when For is zero): the other end learns late that
	// the connection is closed.
	FaultSlowClose
	// FaultCut resets a connection, at both ends, once Bytes of data have
	// crossed the link on it, counted from At.
	FaultCut
	// FaultNoSignal takes the host's bearer away from At for For (forever
	// when For is zero), as when a 4G modem loses its signal: the host has
	// no route, so a dial or a datagram fails at once with ENETUNREACH,
	// and what its open connections send or are sent is lost until the
	// signal returns. FaultDown, by contrast, keeps the route and loses
	// every packet, so a dial waits out its SYN retries.
	FaultNoSignal
)

var faultNames = [...]string{"down", "reset", "stall", "slow-close", "cut", "no-signal"}

func (k FaultKind) String() string {
	if int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", uint8(k))
}

// ParseFaultKind returns the kind called name ("down", "slow-close").
func ParseFaultKind(name string) (FaultKind, bool) {
	for i, n := range faultNames {
		if n == name {
			return FaultKind(i), true
		}
	}
	return 0, false
}

// FaultKinds returns the names of every fault kind.
func FaultKinds() []string { return faultNames[:] }

// Fault is an event scheduled on a link, at a time counted from the start
// of the network.
type Fault struct {
	Kind  FaultKind
	At    time.Duration
	For   time.Duration
	Delay time.Duration // FaultSlowClose
	Bytes int64         // FaultCut
}

func (f Fault) String() string {
	s := fmt.Sprintf("%s at %v", f.Kind, f.At)
	switch f.Kind {
	case FaultReset:
		return s
	case FaultCut:
		return fmt.Sprintf("%s after %d bytes", s, f.Bytes)
	case FaultSlowClose:
		s += fmt.Sprintf(" (FIN held %v)", f.Delay)
	}
	if f.For > 0 {
		s += fmt.Sprintf(" for %v", f.For)
	}
	return s
}

// active reports whether the fault applies at time now of a network started
// at start.
func (f Fault) active(start, now time.Time) bool {
	from := start.Add(f.At)
	if now.Before(from) {
		return false
	}
	return f.For == 0 || now.Before(from.Add(f.For))
}

// Validate checks a fault's fields for its kind.
func (f Fault) Validate() error {
	switch {
	case f.At < 0 || f.For < 0 || f.Delay < 0:
		return fmt.Errorf("netem: fault %v: negative time", f.Kind)
	case f.Kind == FaultCut && f.Bytes <= 0:
		return fmt.Errorf("netem: a cut fault needs a positive byte count")
	case f.Kind == FaultSlowClose && f.Delay == 0:
		return fmt.Errorf("netem: a slow-close fault needs a delay")
	case int(f.Kind) >= len(faultNames):
		return fmt.Errorf("netem: unknown fault kind %d", f.Kind)
	}
	return nil
}

// noRoute is the dial and send paths' check of a host's link: while a
// FaultNoSignal is active at time at (the instant the action enters the
// network, appTime), nothing can leave the host, and the attempt (flow,
// from the address it would have had) fails at once. It records the
// refusal from the calling goroutine, not the event loop, so the trace
// orders it after the loop's events of the same instant (the fault
// beginning) whichever ran first (see Trace). The caller holds n.mu.
func (n *Network) noRoute(h *Host, proto Proto, src netip.Addr, dst netip.AddrPort, at time.Time) bool {
	if _, ok := n.activeFault(&h.link, FaultNoSignal, at); !ok {
		return false
	}
	n.record(h, TraceEvent{Kind: EventUnreachable, Flow: Flow{Proto: proto, Src: netip.AddrPortFrom(src, 0), Dst: dst}, fromCaller: true})
	n.outOfOrder = true
	return true
}
