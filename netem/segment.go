package netem

import (
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
	sack     []sackBlock // with flagACK
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
	return headerBytes(s.dst.Addr()) + sackOptionBytes(len(s.sack)) + len(s.payload)
}

// end is the sequence number after the segment: a FIN takes one.
func (s *segment) end() uint64 {
	e := s.seq + uint64(len(s.payload))
	if s.flags&flagFIN != 0 {
		e++
	}
	return e
}

// flow is the segment's addresses, for the trace.
func (s *segment) flow() Flow {
	if s.flags&flagUDP != 0 {
		return Flow{Proto: UDP, Src: s.src, Dst: s.dst}
	}
	return Flow{Proto: TCP, Src: s.src, Dst: s.dst}
}

// packet describes the segment for the trace.
func (s *segment) packet() Packet {
	p := Packet{Payload: len(s.payload), Wire: s.wire()}
	switch {
	case s.flags&flagUDP != 0:
		p.Kind = PacketDatagram
	case s.flags&flagRST != 0:
		p.Kind = PacketRST
	case s.flags&(flagSYN|flagACK) == flagSYN|flagACK:
		p.Kind = PacketSYNACK
	case s.flags&flagSYN != 0:
		p.Kind = PacketSYN
	case len(s.payload) > 0 && s.flags&flagFIN != 0:
		p.Kind, p.Seq = PacketDataFIN, s.seq
	case len(s.payload) > 0:
		p.Kind, p.Seq = PacketData, s.seq
	case s.flags&flagFIN != 0:
		p.Kind = PacketFIN
	default:
		p.Kind = PacketACK
	}
	return p
}

// dropped records that s was dropped: on hop h, or at host when h is nil.
func (n *Network) dropped(host *Host, h *hop, s *segment, e TraceEvent) {
	e.Kind = EventDropped
	e.Flow = s.flow()
	e.Packet = s.packet()
	if h != nil {
		e.Hop = h.name
	}
	n.record(host, e)
	if h != nil {
		e.At, e.Host = time.Now(), host.name
		n.tapped(h, s, e.At, &e)
	}
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
	if h.dir.Queue > 0 && h.dir.Rate > 0 && h.backlog(at)+s.wire() > h.dir.Queue {
		n.dropped(h.host, h, s, TraceEvent{Reason: ReasonQueueFull, Bytes: int64(h.dir.Queue)})
		return
	}
	// A packet that is lost on the link has still taken its time on it:
	// a radio sends into a dead cell at its own pace.
	next := h.transmit(at, s.wire())
	if n.admit(h, s, at) {
		return
	}
	n.tapped(h, s, at, nil)
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
	drop := func(e TraceEvent) bool {
		n.dropped(h.host, h, s, e)
		return true
	}
	l := h.link
	if _, down := n.activeFault(l, FaultDown, at); down {
		return drop(TraceEvent{Reason: ReasonLinkDown})
	}
	if _, gone := n.activeFault(l, FaultNoSignal, at); gone {
		return drop(TraceEvent{Reason: ReasonNoSignal})
	}
	if h.up && slices.Contains(l.BlockedPorts, s.dst.Port()) {
		return drop(TraceEvent{Reason: ReasonPortFiltered})
	}
	if s.flags&flagUDP == 0 && h.tooBig(s.wire()) {
		if l.PMTUD == PMTUDBlackhole {
			return drop(TraceEvent{Reason: ReasonMTUBlackhole, MTU: l.PathMTU})
		}
		drop(TraceEvent{Reason: ReasonMTUICMP, MTU: l.PathMTU})
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
				n.scheduleReset(local, at.Add(2*pathDelay(local.path)), TraceEvent{Reason: ReasonNATExpired})
			}
			return drop(TraceEvent{Reason: ReasonNATExpired, Wait: l.NATIdleTimeout})
		}
		local.natSeen = at
	}
	if len(s.payload) > 0 {
		if _, stalled := n.activeFault(l, FaultStall, at); stalled {
			return drop(TraceEvent{Reason: ReasonStalled})
		}
		if f, ok := n.activeFault(l, FaultCut, at); ok && local != nil {
			local.linkBytes += int64(len(s.payload))
			if local.linkBytes > f.Bytes {
				n.resetBoth(local, TraceEvent{Reason: ReasonCut, Bytes: f.Bytes})
				return drop(TraceEvent{Reason: ReasonCut, Bytes: f.Bytes})
			}
		}
	}
	if len(h.dir.Lose) > 0 && len(s.payload) > 0 && !s.retrans && s.flags&flagUDP == 0 && slices.Contains(h.dir.Lose, int64(s.seq)) {
		return drop(TraceEvent{Reason: ReasonLost})
	}
	if lost, burst := h.loss.drop(); lost {
		if burst {
			return drop(TraceEvent{Reason: ReasonLostBurst})
		}
		return drop(TraceEvent{Reason: ReasonLost})
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
		n.dropped(s.from.host, nil, s, TraceEvent{Reason: ReasonNoHost})
		return
	}
	if s.flags&(flagSYN|flagACK) == flagSYN {
		dst.acceptSYN(s)
	}
}
