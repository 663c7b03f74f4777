package netem

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// The trace is a list of typed events, not of sentences: code that explains
// a failure (scenarios.Explain) switches on an event's Kind and Reason and
// reads its fields, so rewording a line cannot silently change what it
// finds. The wording people read lives in one place, Text, and golden
// records print it, so trace_test.go pins it for every kind.
//
// Events are built from values the event loop already holds; nothing is
// formatted until someone asks for the text.

// TraceEvent is one thing the network did that explains a delay or a failure:
// a connection attempt, a dropped packet and why, a retransmission, a reset,
// an outage, a DNS answer. Events are recorded by the event loop, so their
// order is deterministic; the one exception, a dial or datagram refused
// for want of a route (EventUnreachable), is recorded by the caller, and
// Trace puts it after the loop's events of its instant.
//
// Which fields are set depends on Kind; the others are zero.
type TraceEvent struct {
	At   time.Time
	Host string // the host where it was observed
	Kind EventKind
	// Reason says why, for drops, retransmissions, resets and DNS queries
	// dropped or not answered.
	Reason Reason
	// Flow is the connection or datagram as seen from Host (a drop's is
	// the packet's own direction); zero for events of a link.
	Flow Flow
	// Packet is the packet dropped or retransmitted.
	Packet Packet
	// Hop is the link direction a packet was dropped on ("camera
	// uplink"); empty for drops at a host.
	Hop string

	// MTU is the path MTU a packet exceeded, or ICMP's next-hop MTU.
	MTU int
	// MSS is what ICMP lowered the connection's MSS to.
	MSS int
	// Count is the SYNs, SYN-ACKs or retransmissions left unanswered
	// (timeouts), or the number of a SYN retransmission.
	Count int
	// Bytes is a full queue's limit, or a cut fault's byte count.
	Bytes int64
	// Wait is the NAT's idle timeout (ReasonNATExpired), or the timeout
	// before the next retransmission (ReasonTimeout).
	Wait time.Duration
	// Fault is the link fault that began (EventLinkDown, EventStalled).
	Fault Fault
	// DNS is the question and answer of the DNS kinds.
	DNS DNSTrace
	// Err is why a DNS answer could not be encoded.
	Err error

	// fromCaller: recorded by an application's goroutine rather than the
	// event loop (see noRoute).
	fromCaller bool
}

// EventKind is what happened.
type EventKind uint8

const (
	_ EventKind = iota
	// EventConnect: a dial sent its first SYN.
	EventConnect
	// EventSYNRetransmit: a SYN went unanswered and was sent again (Count
	// is the number of the SYN that went unanswered).
	EventSYNRetransmit
	// EventConnectTimeout: a dial gave up after Count SYNs.
	EventConnectTimeout
	// EventEstablished: the dialling end got the SYN-ACK.
	EventEstablished
	// EventPortClosed: a SYN reached a port nobody listens on, which
	// answers with a reset. Host is the server.
	EventPortClosed
	// EventRefused: the dialling end got that reset.
	EventRefused
	// EventReset: the network reset the connection at this end, for
	// Reason (ReasonNetworkReset, ReasonNATExpired, ReasonCut).
	EventReset
	// EventResetByPeer: the other end sent a reset.
	EventResetByPeer
	// EventDropped: a packet did not arrive, for Reason.
	EventDropped
	// EventRetransmit: a data segment was sent again, for Reason
	// (ReasonTimeout, ReasonDupAcks, ReasonPartialAck).
	EventRetransmit
	// EventMTUProbing: retransmissions have gone unanswered for long
	// enough that the connection suspects a path MTU black hole, and
	// lowers its MSS to MSS (Kernel.MTUProbing).
	EventMTUProbing
	// EventFragmentationNeeded: ICMP told the sender the next-hop MTU,
	// and it lowered its MSS.
	EventFragmentationNeeded
	// EventConnTimeout: Count retransmissions in a row went unanswered;
	// the connection fails with ETIMEDOUT.
	EventConnTimeout
	// EventHandshakeAbandoned: the accepting end gave up after Count
	// SYN-ACKs.
	EventHandshakeAbandoned
	// EventLinkDown and EventLinkUp: a FaultDown began, and ended.
	EventLinkDown
	EventLinkUp
	// EventStalled and EventUnstalled: a FaultStall began, and ended.
	EventStalled
	EventUnstalled
	// EventNetworkReset: a FaultReset: every connection of Host is reset
	// (an EventReset follows for each end).
	EventNetworkReset
	// EventDNSAnswer: the DNS service answered a question.
	EventDNSAnswer
	// EventDNSNoAnswer: a DNSNoAnswer fault swallowed a question.
	EventDNSNoAnswer
	// EventDNSDropped: the DNS service could not read a query
	// (ReasonMalformed, ReasonNoQuestion).
	EventDNSDropped
	// EventDNSEncodeFailed: the DNS service could not build its answer
	// (ReasonBadRecord, ReasonBadMessage); Err says why.
	EventDNSEncodeFailed
	// EventUnreachable: a dial (TCP) or a datagram (UDP) failed at once
	// with ENETUNREACH: the host's link had no signal (FaultNoSignal).
	// Flow's source port is 0: none was bound.
	EventUnreachable
)

var eventKindNames = [...]string{
	EventConnect:             "connect",
	EventSYNRetransmit:       "syn-retransmit",
	EventConnectTimeout:      "connect-timeout",
	EventEstablished:         "established",
	EventPortClosed:          "port-closed",
	EventRefused:             "refused",
	EventReset:               "reset",
	EventResetByPeer:         "reset-by-peer",
	EventDropped:             "dropped",
	EventRetransmit:          "retransmit",
	EventMTUProbing:          "mtu-probing",
	EventFragmentationNeeded: "fragmentation-needed",
	EventConnTimeout:         "timeout",
	EventHandshakeAbandoned:  "handshake-abandoned",
	EventLinkDown:            "link-down",
	EventLinkUp:              "link-up",
	EventStalled:             "stalled",
	EventUnstalled:           "unstalled",
	EventNetworkReset:        "network-reset",
	EventDNSAnswer:           "dns-answer",
	EventDNSNoAnswer:         "dns-no-answer",
	EventDNSDropped:          "dns-dropped",
	EventDNSEncodeFailed:     "dns-encode-failed",
	EventUnreachable:         "unreachable",
}

func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && eventKindNames[k] != "" {
		return eventKindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Reason is why a packet was dropped, a segment retransmitted, a
// connection reset or a DNS query dropped.
type Reason uint8

const (
	_ Reason = iota

	// Drops (EventDropped).

	// ReasonLinkDown: a FaultDown is active.
	ReasonLinkDown
	// ReasonPortFiltered: the provider filters the destination port.
	ReasonPortFiltered
	// ReasonMTUBlackhole: Packet.Wire exceeds the path MTU and ICMP is
	// filtered, so the sender is not told.
	ReasonMTUBlackhole
	// ReasonMTUICMP: Packet.Wire exceeds the path MTU; an
	// EventFragmentationNeeded follows at the sender.
	ReasonMTUICMP
	// ReasonNATExpired: the NAT forgot a mapping idle for Wait. Also the
	// reason of the EventReset that follows.
	ReasonNATExpired
	// ReasonStalled: a FaultStall is active and the packet carries data.
	ReasonStalled
	// ReasonCut: the connection passed a FaultCut's Bytes. Also the
	// reason of the EventResets that follow.
	ReasonCut
	// ReasonLost: random loss.
	ReasonLost
	// ReasonLostBurst: random loss, in a burst.
	ReasonLostBurst
	// ReasonQueueFull: the downlink's queue of Bytes had no room.
	ReasonQueueFull
	// ReasonNoHost: no host has the destination address.
	ReasonNoHost
	// ReasonNoListener: nothing listens on the destination UDP port.
	ReasonNoListener
	// ReasonBufferFull: the UDP socket's receive buffer is full.
	ReasonBufferFull
	// ReasonNoSignal: a FaultNoSignal is active: the host has no bearer.
	ReasonNoSignal

	// Retransmissions (EventRetransmit).

	// ReasonTimeout: the retransmission timer expired; the next one is
	// due after Wait.
	ReasonTimeout
	// ReasonDupAcks: three later segments acknowledged by SACK (fast
	// retransmit).
	ReasonDupAcks
	// ReasonReorder: a later segment was acknowledged by SACK and this one
	// was not within a quarter of the round trip after (RACK).
	ReasonReorder
	// ReasonAfterTimeout: not acknowledged when the retransmission timer
	// expired, so sent again after the first one (the receiver's SACK
	// blocks spare those it holds).
	ReasonAfterTimeout

	// Resets (EventReset), besides ReasonNATExpired and ReasonCut.

	// ReasonNetworkReset: a FaultReset.
	ReasonNetworkReset

	// DNS (EventDNSDropped, EventDNSEncodeFailed).

	// ReasonMalformed: the query is not a DNS message.
	ReasonMalformed
	// ReasonNoQuestion: the query has no question.
	ReasonNoQuestion
	// ReasonBadRecord: DNS.Record cannot be encoded.
	ReasonBadRecord
	// ReasonBadMessage: the answer as a whole cannot be encoded.
	ReasonBadMessage
)

var reasonNames = [...]string{
	ReasonLinkDown:     "link-down",
	ReasonPortFiltered: "port-filtered",
	ReasonMTUBlackhole: "mtu-blackhole",
	ReasonMTUICMP:      "mtu-icmp",
	ReasonNATExpired:   "nat-expired",
	ReasonStalled:      "stalled",
	ReasonCut:          "cut",
	ReasonLost:         "lost",
	ReasonLostBurst:    "lost-in-burst",
	ReasonQueueFull:    "queue-full",
	ReasonNoHost:       "no-host",
	ReasonNoListener:   "no-listener",
	ReasonBufferFull:   "buffer-full",
	ReasonNoSignal:     "no-signal",
	ReasonTimeout:      "timeout",
	ReasonDupAcks:      "duplicate-acks",
	ReasonReorder:      "reorder-window",
	ReasonAfterTimeout: "after-timeout",
	ReasonNetworkReset: "network-reset",
	ReasonMalformed:    "malformed",
	ReasonNoQuestion:   "no-question",
	ReasonBadRecord:    "bad-record",
	ReasonBadMessage:   "bad-message",
}

func (r Reason) String() string {
	if r == 0 {
		return "none"
	}
	if int(r) < len(reasonNames) && reasonNames[r] != "" {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// Proto is a flow's transport protocol.
type Proto uint8

const (
	_ Proto = iota
	TCP
	UDP
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return "none"
}

// Flow is a connection or a datagram's addresses.
type Flow struct {
	Proto    Proto
	Src, Dst netip.AddrPort
}

// PacketKind is what a packet is, by its flags.
type PacketKind uint8

const (
	_ PacketKind = iota
	PacketSYN
	PacketSYNACK
	PacketACK // no payload; a window probe too
	PacketData
	PacketDataFIN // data, and the FIN
	PacketFIN
	PacketRST
	PacketDatagram // UDP
)

// Packet describes a packet dropped or retransmitted.
type Packet struct {
	Kind PacketKind
	// Seq is the stream offset of the first payload byte (PacketData,
	// PacketDataFIN).
	Seq uint64
	// Payload is the payload's bytes, Wire the packet's with its headers.
	Payload, Wire int
}

func (p Packet) String() string {
	switch p.Kind {
	case PacketDatagram:
		return fmt.Sprintf("%d-byte UDP datagram", p.Payload)
	case PacketRST:
		return "RST"
	case PacketSYNACK:
		return "SYN-ACK"
	case PacketSYN:
		return "SYN"
	case PacketDataFIN:
		return fmt.Sprintf("%d-byte segment with FIN (seq %d)", p.Payload, p.Seq)
	case PacketData:
		return fmt.Sprintf("%d-byte segment (seq %d)", p.Payload, p.Seq)
	case PacketFIN:
		return "FIN"
	}
	return "ACK"
}

// DNSTrace is the question a DNS service was asked, and its answer.
type DNSTrace struct {
	// Name is the name asked, lower case, without the final dot.
	Name  string
	Type  dnsmessage.Type
	RCode dnsmessage.RCode
	// Answers are the records of the answer, CNAMEs first.
	Answers []Record
	// Fault is the fault that decided the answer, when Faulty.
	Fault  DNSFault
	Faulty bool
	// Record is the record that could not be encoded (ReasonBadRecord).
	Record Record
}

// record adds an event at the current time. The caller holds n.mu.
func (n *Network) record(host *Host, e TraceEvent) {
	e.At = time.Now()
	e.Host = host.name
	n.trace = append(n.trace, e)
}

// Trace returns what the network recorded so far, in order of time, then
// of recording.
func (n *Network) Trace() []TraceEvent {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Clone(n.trace)
	if n.outOfOrder {
		// A refusal without a route is recorded by the dialling goroutine
		// (see noRoute), which may run before or after the event loop at
		// the same instant: it goes after the loop's events of its instant.
		slices.SortStableFunc(out, func(a, b TraceEvent) int {
			if c := a.At.Compare(b.At); c != 0 {
				return c
			}
			switch {
			case a.fromCaller == b.fromCaller:
				return 0
			case a.fromCaller:
				return 1
			}
			return -1
		})
	}
	return out
}

func (e TraceEvent) String() string {
	return fmt.Sprintf("%s %s %s", e.At.Format("15:04:05.000000000"), e.Host, e.Text())
}

// Text is the event as a line of a record: what happened, to which flow
// and packet, and why.
func (e TraceEvent) Text() string {
	flow := fmt.Sprintf("%s > %s", e.Flow.Src, e.Flow.Dst)
	switch e.Kind {
	case EventConnect:
		return flow + " connect (SYN)"
	case EventSYNRetransmit:
		return fmt.Sprintf("%s retransmit SYN (%d)", flow, e.Count)
	case EventConnectTimeout:
		return fmt.Sprintf("%s connect timed out: no answer to %d SYNs", flow, e.Count)
	case EventEstablished:
		return flow + " established"
	case EventPortClosed:
		return flow + " refused: port closed (RST)"
	case EventRefused:
		return flow + " connection refused"
	case EventReset:
		return flow + " reset: " + e.Why()
	case EventResetByPeer:
		return flow + " connection reset by peer"
	case EventDropped:
		switch {
		case e.Reason == ReasonNoHost:
			return fmt.Sprintf("%s %v lost: %s", flow, e.Packet, e.Why())
		case e.Hop == "":
			return fmt.Sprintf("%s %v dropped: %s", flow, e.Packet, e.Why())
		}
		return fmt.Sprintf("%s %v dropped on %s: %s", flow, e.Packet, e.Hop, e.Why())
	case EventRetransmit:
		return fmt.Sprintf("%s retransmit %v: %s", flow, e.Packet, e.Why())
	case EventMTUProbing:
		return fmt.Sprintf("%s no answer to retransmissions for %v: suspecting an MTU black hole, MSS lowered to %d", flow, blackholeAfter, e.MSS)
	case EventFragmentationNeeded:
		return fmt.Sprintf("%s ICMP fragmentation needed, next-hop MTU %d: MSS lowered to %d", flow, e.MTU, e.MSS)
	case EventConnTimeout:
		return fmt.Sprintf("%s connection timed out: %d retransmissions unanswered", flow, e.Count)
	case EventHandshakeAbandoned:
		return fmt.Sprintf("%s handshake abandoned: no answer to %d SYN-ACKs", flow, e.Count)
	case EventLinkDown:
		if e.Fault.Kind == FaultNoSignal {
			return fmt.Sprintf("no signal: the bearer is gone (%v)", e.Fault)
		}
		return fmt.Sprintf("link down (%v)", e.Fault)
	case EventLinkUp:
		if e.Fault.Kind == FaultNoSignal {
			return "signal back: the bearer is up again"
		}
		return "link up again"
	case EventUnreachable:
		what := "connect"
		if e.Flow.Proto == UDP {
			what = "datagram"
		}
		return fmt.Sprintf("%s > %s %s failed at once: network unreachable (no signal)", e.Flow.Src.Addr(), e.Flow.Dst, what)
	case EventStalled:
		return fmt.Sprintf("link stalled: data is dropped (%v)", e.Fault)
	case EventUnstalled:
		return "link no longer stalled"
	case EventNetworkReset:
		return "the network resets every connection of " + e.Host
	case EventDNSAnswer:
		return e.asked() + ": " + e.DNS.outcome()
	case EventDNSNoAnswer:
		return fmt.Sprintf("%s: no answer (fault: %v)", e.asked(), e.DNS.Fault.Kind)
	case EventDNSDropped:
		return fmt.Sprintf("dns: %s from %s dropped", e.Why(), e.Flow.Src)
	case EventDNSEncodeFailed:
		if e.Reason == ReasonBadRecord {
			return fmt.Sprintf("%s: cannot encode %v: %v", e.asked(), e.DNS.Record, e.Err)
		}
		return fmt.Sprintf("%s: cannot encode the answer: %v", e.asked(), e.Err)
	}
	return fmt.Sprintf("%s %v (%v)", flow, e.Kind, e.Reason)
}

// Why is the reason in words, with its figures: "port 25 filtered by the
// provider", "timeout, next in 2s".
func (e TraceEvent) Why() string {
	switch e.Reason {
	case ReasonLinkDown:
		return "link down"
	case ReasonPortFiltered:
		return fmt.Sprintf("port %d filtered by the provider", e.Flow.Dst.Port())
	case ReasonMTUBlackhole:
		return fmt.Sprintf("%d bytes exceed the path MTU %d; ICMP is blocked, the sender is not told", e.Packet.Wire, e.MTU)
	case ReasonMTUICMP:
		if e.Kind == EventRetransmit {
			return "the first one was too big for the path: cut to the MSS ICMP gave"
		}
		return fmt.Sprintf("%d bytes exceed the path MTU %d; ICMP tells the sender", e.Packet.Wire, e.MTU)
	case ReasonNATExpired:
		if e.Kind == EventReset {
			return "the NAT forgot the idle connection; the server reset the new mapping"
		}
		return fmt.Sprintf("NAT mapping expired after %v idle", e.Wait)
	case ReasonStalled:
		return "link stalled"
	case ReasonCut:
		if e.Kind == EventReset {
			return fmt.Sprintf("cut after %d bytes", e.Bytes)
		}
		return fmt.Sprintf("connection cut after %d bytes", e.Bytes)
	case ReasonLost:
		return "lost"
	case ReasonLostBurst:
		return "lost in a burst"
	case ReasonQueueFull:
		return fmt.Sprintf("queue full (%d bytes)", e.Bytes)
	case ReasonNoHost:
		return fmt.Sprintf("no host has %s", e.Flow.Dst.Addr())
	case ReasonNoListener:
		return fmt.Sprintf("nothing listens on UDP port %d", e.Flow.Dst.Port())
	case ReasonBufferFull:
		return "receive buffer full"
	case ReasonNoSignal:
		return "no signal"
	case ReasonTimeout:
		return "timeout, next in " + e.Wait.Round(time.Millisecond).String()
	case ReasonDupAcks:
		return "three later segments acknowledged (SACK)"
	case ReasonReorder:
		return "a later segment acknowledged (SACK), this one overdue"
	case ReasonAfterTimeout:
		return "outstanding at the timeout"
	case ReasonNetworkReset:
		return "reset by the network"
	case ReasonMalformed:
		return "malformed query"
	case ReasonNoQuestion:
		return "query without a question"
	}
	return e.Reason.String()
}

// asked is a DNS event's question: "dns: A smtp.gmail.com? from
// 192.0.2.10:49152".
func (e TraceEvent) asked() string {
	return fmt.Sprintf("dns: %s %s? from %s", strings.TrimPrefix(e.DNS.Type.String(), "Type"), e.DNS.Name, e.Flow.Src)
}

// outcome is a DNS answer in words, and the fault that made it.
func (d DNSTrace) outcome() string {
	s := describeAnswer(d.RCode, d.Answers)
	if d.Faulty {
		s += fmt.Sprintf(" (fault: %v", d.Fault.Kind)
		if d.Fault.Kind == DNSDelay {
			s += fmt.Sprintf(" %v", d.Fault.Delay)
		}
		s += ")"
	}
	return s
}

func describeAnswer(rcode dnsmessage.RCode, answers []Record) string {
	switch rcode {
	case dnsmessage.RCodeSuccess:
	case dnsmessage.RCodeNameError:
		return "NXDOMAIN"
	case dnsmessage.RCodeServerFailure:
		return "SERVFAIL"
	case dnsmessage.RCodeRefused:
		return "REFUSED"
	default:
		return rcode.String()
	}
	if len(answers) == 0 {
		return "no records of that type"
	}
	parts := make([]string, len(answers))
	for i, a := range answers {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}
