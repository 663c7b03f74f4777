package netem

import (
	"net/netip"
	"time"
)

// Crossing is a packet crossing one direction of a host's access link, as
// a tap on that link sees it: the headers TCP or UDP would put on it and
// the payload, for a packet capture. Sequence and acknowledgement numbers
// are stream offsets from the start of each direction (the SYN is offset
// 0 of its side, the first data byte too); a capture adds each side's
// initial sequence number.
type Crossing struct {
	// At is when the packet reached the link.
	At time.Time
	// Host is whose link it is; Up tells its uplink from its downlink.
	Host string
	Up   bool
	Src  netip.AddrPort
	Dst  netip.AddrPort
	// UDP marks a datagram; the TCP fields are zero.
	UDP                bool
	SYN, ACK, FIN, RST bool
	Seq, Ack           uint64
	// Window is the receive window advertised, in bytes.
	Window int
	// MSS is the option of a SYN.
	MSS int
	// SACK are the blocks [from, to) an acknowledgement reports held.
	SACK [][2]uint64
	// Payload is the packet's data, not to be changed: the network keeps
	// using it.
	Payload []byte
	// Dropped, when the link dropped the packet, is the trace event that
	// says why.
	Dropped *TraceEvent
}

// Tap is told of every packet crossing a host's link. It runs on the
// network's event loop with the network's lock held, in the order the
// network ran the packets: it must only record, never call back into the
// network.
type Tap func(Crossing)

// tapped tells the tap of s crossing hop h at time at; dropped says why
// the hop dropped it, if it did.
func (n *Network) tapped(h *hop, s *segment, at time.Time, dropped *TraceEvent) {
	if n.cfg.Tap == nil {
		return
	}
	c := Crossing{
		At: at, Host: h.host.name, Up: h.up, Src: s.src, Dst: s.dst,
		UDP: s.flags&flagUDP != 0, SYN: s.flags&flagSYN != 0, ACK: s.flags&flagACK != 0,
		FIN: s.flags&flagFIN != 0, RST: s.flags&flagRST != 0,
		Seq: s.seq, Ack: s.ack, Window: s.wnd, MSS: s.mss, Payload: s.payload, Dropped: dropped,
	}
	for _, b := range s.sack {
		c.SACK = append(c.SACK, [2]uint64{b.from, b.to})
	}
	n.cfg.Tap(c)
}
