package netem

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

type segFlags uint8

const (
	flagSYN segFlags = 1 << iota
	flagACK
	flagFIN
	flagRST
	flagProbe // a zero-window probe: asks for an acknowledgement
	flagUDP   // not TCP at all: a UDP datagram
)

// segment is one TCP packet.
type segment struct {
	flags    segFlags
	from, to *tcpConn // to is nil on a SYN: the destination host demuxes it
	src, dst netip.AddrPort
	seq      uint64 // stream offset of the first payload byte, or of the FIN
	ack      uint64 // next byte expected, with flagACK
	wnd      int    // receive window, with flagACK
	mss      int    // with flagSYN
	payload  []byte
	key      eventKey
	path     []*hop
	sentAt   time.Time
	retrans  bool // sent before: its acknowledgement gives no RTT sample (Karn)

	udpFrom *udpConn // with flagUDP
}

// headerBytes is the IP and TCP header overhead of one segment.
func headerBytes(a netip.Addr) int {
	if a.Is4() {
		return 20 + 20
	}
	return 40 + 20
}

func (s *segment) wire() int {
	if s.flags&flagUDP != 0 {
		return headerBytes(s.dst.Addr()) - 20 + 8 + len(s.payload)
	}
	return headerBytes(s.dst.Addr()) + len(s.payload)
}

// end is the sequence number after the segment: a FIN takes one.
func (s *segment) end() uint64 {
	e := s.seq + uint64(len(s.payload))
	if s.flags&flagFIN != 0 {
		e++
	}
	return e
}

// describe names the segment for a trace line.
func (s *segment) describe() string {
	switch {
	case s.flags&flagUDP != 0:
		return fmt.Sprintf("%d-byte UDP datagram", len(s.payload))
	case s.flags&flagRST != 0:
		return "RST"
	case s.flags&(flagSYN|flagACK) == flagSYN|flagACK:
		return "SYN-ACK"
	case s.flags&flagSYN != 0:
		return "SYN"
	case len(s.payload) > 0 && s.flags&flagFIN != 0:
		return fmt.Sprintf("%d-byte segment with FIN (seq %d)", len(s.payload), s.seq)
	case len(s.payload) > 0:
		return fmt.Sprintf("%d-byte segment (seq %d)", len(s.payload), s.seq)
	case s.flags&flagFIN != 0:
		return "FIN"
	}
	return "ACK"
}

// forward moves a packet across hop i of its path, or delivers it after
// the last. Runs on the event loop.
func (n *Network) forward(s *segment, i int, at time.Time) {
	if i == 0 {
		n.packets++
	}
	if i == len(s.path) {
		n.arrive(s)
		return
	}
	h := s.path[i]
	if s.flags&flagSYN != 0 && h.link.MSSClamp > 0 && s.mss > h.link.MSSClamp {
		s.mss = h.link.MSSClamp
	}
	if !h.up && h.dir.Queue > 0 && h.backlog(at)+s.wire() > h.dir.Queue {
		n.tracef(h.host, "%s > %s %s dropped on %s: queue full (%d bytes)", s.src, s.dst, s.describe(), h.name, h.dir.Queue)
		return
	}
	// A packet that is lost on the link has still taken its time on it:
	// a radio sends into a dead cell at its own pace.
	next := h.transmit(at, s.wire())
	if n.admit(h, s, at) {
		return
	}
	if s.flags&flagFIN != 0 {
		if f, ok := n.activeFault(h.link, FaultSlowClose, at); ok {
			next = next.Add(f.Delay)
		}
	}
	n.schedule(next, s.key, func() { n.forward(s, i+1, next) })
}

// admit applies the link's rules to a packet crossing hop h, and reports
// whether it was dropped (the trace says why).
func (n *Network) admit(h *hop, s *segment, at time.Time) (dropped bool) {
	drop := func(why string) bool {
		n.tracef(h.host, "%s > %s %s dropped on %s: %s", s.src, s.dst, s.describe(), h.name, why)
		return true
	}
	l := h.link
	if _, down := n.activeFault(l, FaultDown, at); down {
		return drop("link down")
	}
	if h.up && slices.Contains(l.BlockedPorts, s.dst.Port()) {
		return drop(fmt.Sprintf("port %d filtered by the provider", s.dst.Port()))
	}
	if s.flags&flagUDP == 0 && h.tooBig(s.wire()) {
		if l.PMTUD == PMTUDBlackhole {
			return drop(fmt.Sprintf("%d bytes exceed the path MTU %d; ICMP is blocked, the sender is not told", s.wire(), l.PathMTU))
		}
		drop(fmt.Sprintf("%d bytes exceed the path MTU %d; ICMP tells the sender", s.wire(), l.PathMTU))
		n.fragmentationNeeded(h, s, at)
		return true
	}
	// The endpoint on this link's side of the connection.
	local := s.to
	if h.up {
		local = s.from
	}
	if local != nil && l.NATIdleTimeout > 0 {
		if !local.natSeen.IsZero() && at.Sub(local.natSeen) > l.NATIdleTimeout {
			if h.up && s.flags&flagRST == 0 {
				// A new mapping: the server sees an unknown port and
				// answers with a reset, which finds its way back.
				n.scheduleReset(local, at.Add(2*pathDelay(local.path)), "the NAT forgot the idle connection; the server reset the new mapping")
			}
			return drop(fmt.Sprintf("NAT mapping expired after %v idle", l.NATIdleTimeout))
		}
		local.natSeen = at
	}
	if len(s.payload) > 0 {
		if _, stalled := n.activeFault(l, FaultStall, at); stalled {
			return drop("link stalled")
		}
		if f, ok := n.activeFault(l, FaultCut, at); ok && local != nil {
			local.linkBytes += int64(len(s.payload))
			if local.linkBytes > f.Bytes {
				n.resetBoth(local, fmt.Sprintf("cut after %d bytes", f.Bytes))
				return drop(fmt.Sprintf("connection cut after %d bytes", f.Bytes))
			}
		}
	}
	if lost, burst := h.loss.drop(); lost {
		if burst {
			return drop("lost in a burst")
		}
		return drop("lost")
	}
	return false
}

// pathDelay is the propagation delay along path.
func pathDelay(path []*hop) time.Duration {
	var d time.Duration
	for _, h := range path {
		d += h.dir.Delay
	}
	return d
}

// activeFault returns the first fault of kind active on l at time at.
func (n *Network) activeFault(l *Link, kind FaultKind, at time.Time) (Fault, bool) {
	for _, f := range l.Faults {
		if f.Kind == kind && f.active(n.start, at) {
			return f, true
		}
	}
	return Fault{}, false
}

// fragmentationNeeded delivers ICMP "fragmentation needed" to the sender of
// a packet dropped at hop h, after the time it takes to travel back.
func (n *Network) fragmentationNeeded(h *hop, s *segment, at time.Time) {
	c := s.from
	if c == nil {
		return
	}
	var back time.Duration
	for _, p := range s.path {
		back += p.dir.Delay
		if p == h {
			break
		}
	}
	mtu := h.link.PathMTU
	n.schedule(at.Add(back), s.key, func() { c.pathMTU(mtu) })
}

// arrive delivers a packet at its destination host. Runs on the event loop.
func (n *Network) arrive(s *segment) {
	if s.flags&flagUDP != 0 {
		n.arriveUDP(s)
		return
	}
	if s.to != nil {
		s.to.receive(s)
		return
	}
	dst := n.byAddr[s.dst.Addr()]
	if dst == nil {
		n.tracef(s.from.host, "%s > %s %s lost: no host has %s", s.src, s.dst, s.describe(), s.dst.Addr())
		return
	}
	if s.flags&(flagSYN|flagACK) == flagSYN {
		dst.acceptSYN(s)
	}
}
