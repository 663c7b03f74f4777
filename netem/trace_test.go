package netem

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// TestTraceText renders an event of every kind, every reason and every
// packet kind, and compares it with the wording golden records hold: a
// rewording shows up here, next to the type, rather than as a changed
// record in the scenario library. A kind, reason or packet kind without a
// case here fails the test.
func TestTraceText(t *testing.T) {
	cli := netip.MustParseAddrPort("192.0.2.10:49152")
	srv := netip.MustParseAddrPort("203.0.113.25:25")
	tcp := Flow{Proto: TCP, Src: cli, Dst: srv}
	back := Flow{Proto: TCP, Src: srv, Dst: cli}
	v6 := Flow{Proto: TCP, Src: netip.MustParseAddrPort("[2001:db8::a]:49152"), Dst: netip.MustParseAddrPort("[2001:db8::19]:587")}
	dns := Flow{Proto: UDP, Src: cli, Dst: netip.MustParseAddrPort("198.51.100.53:53")}
	a := Record{Name: "smtp.gmail.com", Type: dnsmessage.TypeA, Addr: netip.MustParseAddr("203.0.113.10")}
	asked := DNSTrace{Name: "smtp.gmail.com", Type: dnsmessage.TypeA}
	with := func(d DNSTrace, f func(*DNSTrace)) DNSTrace { f(&d); return d }
	data := Packet{Kind: PacketData, Seq: 335512, Payload: 1340, Wire: 1380}

	cases := []struct {
		e    TraceEvent
		want string
	}{
		{TraceEvent{Kind: EventConnect, Flow: tcp}, "192.0.2.10:49152 > 203.0.113.25:25 connect (SYN)"},
		{TraceEvent{Kind: EventConnect, Flow: v6}, "[2001:db8::a]:49152 > [2001:db8::19]:587 connect (SYN)"},
		{TraceEvent{Kind: EventSYNRetransmit, Flow: tcp, Count: 3}, "192.0.2.10:49152 > 203.0.113.25:25 retransmit SYN (3)"},
		{TraceEvent{Kind: EventConnectTimeout, Flow: tcp, Count: 7}, "192.0.2.10:49152 > 203.0.113.25:25 connect timed out: no answer to 7 SYNs"},
		{TraceEvent{Kind: EventEstablished, Flow: tcp}, "192.0.2.10:49152 > 203.0.113.25:25 established"},
		{TraceEvent{Kind: EventPortClosed, Flow: tcp}, "192.0.2.10:49152 > 203.0.113.25:25 refused: port closed (RST)"},
		{TraceEvent{Kind: EventRefused, Flow: tcp}, "192.0.2.10:49152 > 203.0.113.25:25 connection refused"},
		{TraceEvent{Kind: EventReset, Flow: tcp, Reason: ReasonNetworkReset}, "192.0.2.10:49152 > 203.0.113.25:25 reset: reset by the network"},
		{TraceEvent{Kind: EventReset, Flow: tcp, Reason: ReasonNATExpired}, "192.0.2.10:49152 > 203.0.113.25:25 reset: the NAT forgot the idle connection; the server reset the new mapping"},
		{TraceEvent{Kind: EventReset, Flow: back, Reason: ReasonCut, Bytes: 50000}, "203.0.113.25:25 > 192.0.2.10:49152 reset: cut after 50000 bytes"},
		{TraceEvent{Kind: EventResetByPeer, Flow: tcp}, "192.0.2.10:49152 > 203.0.113.25:25 connection reset by peer"},

		{TraceEvent{Kind: EventDropped, Flow: back, Hop: "camera downlink", Reason: ReasonLinkDown, Packet: Packet{Kind: PacketACK, Wire: 40}},
			"203.0.113.25:25 > 192.0.2.10:49152 ACK dropped on camera downlink: link down"},
		{TraceEvent{Kind: EventDropped, Flow: tcp, Hop: "camera uplink", Reason: ReasonPortFiltered, Packet: Packet{Kind: PacketSYN, Wire: 40}},
			"192.0.2.10:49152 > 203.0.113.25:25 SYN dropped on camera uplink: port 25 filtered by the provider"},
		{TraceEvent{Kind: EventDropped, Flow: tcp, Hop: "camera uplink", Reason: ReasonMTUBlackhole, MTU: 1428, Packet: Packet{Kind: PacketData, Seq: 1, Payload: 1460, Wire: 1500}},
			"192.0.2.10:49152 > 203.0.113.25:25 1460-byte segment (seq 1) dropped on camera uplink: 1500 bytes exceed the path MTU 1428; ICMP is blocked, the sender is not told"},
		{TraceEvent{Kind: EventDropped, Flow: back, Hop: "camera downlink", Reason: ReasonMTUICMP, MTU: 1400, Packet: Packet{Kind: PacketDataFIN, Seq: 2920, Payload: 1460, Wire: 1500}},
			"203.0.113.25:25 > 192.0.2.10:49152 1460-byte segment with FIN (seq 2920) dropped on camera downlink: 1500 bytes exceed the path MTU 1400; ICMP tells the sender"},
		{TraceEvent{Kind: EventDropped, Flow: back, Hop: "camera downlink", Reason: ReasonNATExpired, Wait: 5 * time.Minute, Packet: Packet{Kind: PacketFIN, Wire: 40}},
			"203.0.113.25:25 > 192.0.2.10:49152 FIN dropped on camera downlink: NAT mapping expired after 5m0s idle"},
		{TraceEvent{Kind: EventDropped, Flow: tcp, Hop: "camera uplink", Reason: ReasonStalled, Packet: data},
			"192.0.2.10:49152 > 203.0.113.25:25 1340-byte segment (seq 335512) dropped on camera uplink: link stalled"},
		{TraceEvent{Kind: EventDropped, Flow: tcp, Hop: "camera uplink", Reason: ReasonCut, Bytes: 50000, Packet: data},
			"192.0.2.10:49152 > 203.0.113.25:25 1340-byte segment (seq 335512) dropped on camera uplink: connection cut after 50000 bytes"},
		{TraceEvent{Kind: EventDropped, Flow: tcp, Hop: "camera uplink", Reason: ReasonLost, Packet: Packet{Kind: PacketSYNACK, Wire: 40}},
			"192.0.2.10:49152 > 203.0.113.25:25 SYN-ACK dropped on camera uplink: lost"},
		{TraceEvent{Kind: EventDropped, Flow: tcp, Hop: "camera uplink", Reason: ReasonLostBurst, Packet: Packet{Kind: PacketRST, Wire: 40}},
			"192.0.2.10:49152 > 203.0.113.25:25 RST dropped on camera uplink: lost in a burst"},
		{TraceEvent{Kind: EventDropped, Flow: back, Hop: "camera downlink", Reason: ReasonQueueFull, Bytes: 20000, Packet: data},
			"203.0.113.25:25 > 192.0.2.10:49152 1340-byte segment (seq 335512) dropped on camera downlink: queue full (20000 bytes)"},
		{TraceEvent{Kind: EventDropped, Flow: tcp, Reason: ReasonNoHost, Packet: Packet{Kind: PacketSYN, Wire: 40}},
			"192.0.2.10:49152 > 203.0.113.25:25 SYN lost: no host has 203.0.113.25"},
		{TraceEvent{Kind: EventDropped, Flow: dns, Reason: ReasonNoListener, Packet: Packet{Kind: PacketDatagram, Payload: 32, Wire: 60}},
			"192.0.2.10:49152 > 198.51.100.53:53 32-byte UDP datagram dropped: nothing listens on UDP port 53"},
		{TraceEvent{Kind: EventDropped, Flow: dns, Reason: ReasonBufferFull, Packet: Packet{Kind: PacketDatagram, Payload: 512, Wire: 540}},
			"192.0.2.10:49152 > 198.51.100.53:53 512-byte UDP datagram dropped: receive buffer full"},

		{TraceEvent{Kind: EventRetransmit, Flow: tcp, Reason: ReasonTimeout, Wait: 400*time.Millisecond + 123*time.Microsecond, Packet: data},
			"192.0.2.10:49152 > 203.0.113.25:25 retransmit 1340-byte segment (seq 335512): timeout, next in 400ms"},
		{TraceEvent{Kind: EventRetransmit, Flow: tcp, Reason: ReasonDupAcks, Packet: data},
			"192.0.2.10:49152 > 203.0.113.25:25 retransmit 1340-byte segment (seq 335512): three later segments acknowledged (SACK)"},
		{TraceEvent{Kind: EventRetransmit, Flow: tcp, Reason: ReasonReorder, Packet: data},
			"192.0.2.10:49152 > 203.0.113.25:25 retransmit 1340-byte segment (seq 335512): a later segment acknowledged (SACK), this one overdue"},
		{TraceEvent{Kind: EventRetransmit, Flow: tcp, Reason: ReasonAfterTimeout, Packet: data},
			"192.0.2.10:49152 > 203.0.113.25:25 retransmit 1340-byte segment (seq 335512): outstanding at the timeout"},
		{TraceEvent{Kind: EventRetransmit, Flow: tcp, Reason: ReasonMTUICMP, Packet: data},
			"192.0.2.10:49152 > 203.0.113.25:25 retransmit 1340-byte segment (seq 335512): the first one was too big for the path: cut to the MSS ICMP gave"},
		{TraceEvent{Kind: EventMTUProbing, Flow: tcp, MSS: 1024},
			"192.0.2.10:49152 > 203.0.113.25:25 no answer to retransmissions for 3s: suspecting an MTU black hole, MSS lowered to 1024"},
		{TraceEvent{Kind: EventFragmentationNeeded, Flow: tcp, MTU: 1400, MSS: 1360},
			"192.0.2.10:49152 > 203.0.113.25:25 ICMP fragmentation needed, next-hop MTU 1400: MSS lowered to 1360"},
		{TraceEvent{Kind: EventConnTimeout, Flow: tcp, Count: 15},
			"192.0.2.10:49152 > 203.0.113.25:25 connection timed out: 15 retransmissions unanswered"},
		{TraceEvent{Kind: EventHandshakeAbandoned, Flow: back, Count: 6},
			"203.0.113.25:25 > 192.0.2.10:49152 handshake abandoned: no answer to 6 SYN-ACKs"},

		{TraceEvent{Kind: EventLinkDown, Fault: Fault{Kind: FaultDown, At: 2 * time.Second, For: time.Minute}}, "link down (down at 2s for 1m0s)"},
		{TraceEvent{Kind: EventLinkDown, Fault: Fault{Kind: FaultDown, At: 10 * time.Second}}, "link down (down at 10s)"},
		{TraceEvent{Kind: EventLinkUp}, "link up again"},
		{TraceEvent{Kind: EventStalled, Fault: Fault{Kind: FaultStall, At: 10 * time.Second, For: 30 * time.Second}}, "link stalled: data is dropped (stall at 10s for 30s)"},
		{TraceEvent{Kind: EventUnstalled}, "link no longer stalled"},
		{TraceEvent{Kind: EventNetworkReset, Host: "camera"}, "the network resets every connection of camera"},
		{TraceEvent{Kind: EventLinkDown, Fault: Fault{Kind: FaultNoSignal, At: 5 * time.Second, For: 90 * time.Second}}, "no signal: the bearer is gone (no-signal at 5s for 1m30s)"},
		{TraceEvent{Kind: EventLinkUp, Fault: Fault{Kind: FaultNoSignal, At: 5 * time.Second, For: 90 * time.Second}}, "signal back: the bearer is up again"},
		{TraceEvent{Kind: EventUnreachable, Flow: Flow{Proto: TCP, Src: netip.MustParseAddrPort("192.0.2.10:0"), Dst: srv}},
			"192.0.2.10 > 203.0.113.25:25 connect failed at once: network unreachable (no signal)"},
		{TraceEvent{Kind: EventUnreachable, Flow: Flow{Proto: UDP, Src: netip.MustParseAddrPort("192.0.2.10:0"), Dst: dns.Dst}},
			"192.0.2.10 > 198.51.100.53:53 datagram failed at once: network unreachable (no signal)"},
		{TraceEvent{Kind: EventDropped, Flow: back, Hop: "camera downlink", Reason: ReasonNoSignal, Packet: data},
			"203.0.113.25:25 > 192.0.2.10:49152 1340-byte segment (seq 335512) dropped on camera downlink: no signal"},

		{TraceEvent{Kind: EventDNSAnswer, Flow: dns, DNS: with(asked, func(d *DNSTrace) { d.Answers = []Record{a} })},
			"dns: A smtp.gmail.com? from 192.0.2.10:49152: A 203.0.113.10"},
		{TraceEvent{Kind: EventDNSAnswer, Flow: dns, DNS: DNSTrace{Name: "mail.example.com", Type: dnsmessage.TypeAAAA, Answers: []Record{
			{Name: "mail.example.com", Type: dnsmessage.TypeCNAME, Target: "smtp.gmail.com"},
			{Name: "smtp.gmail.com", Type: dnsmessage.TypeAAAA, Addr: netip.MustParseAddr("2001:db8::10")}}}},
			"dns: AAAA mail.example.com? from 192.0.2.10:49152: CNAME smtp.gmail.com, AAAA 2001:db8::10"},
		{TraceEvent{Kind: EventDNSAnswer, Flow: dns, DNS: DNSTrace{Name: "example.com", Type: dnsmessage.TypeMX, Answers: []Record{{Name: "example.com", Type: dnsmessage.TypeMX, Pref: 10, Target: "mx1.example.com"}}}},
			"dns: MX example.com? from 192.0.2.10:49152: MX 10 mx1.example.com"},
		{TraceEvent{Kind: EventDNSAnswer, Flow: dns, DNS: DNSTrace{Name: "example.com", Type: dnsmessage.TypeA}},
			"dns: A example.com? from 192.0.2.10:49152: no records of that type"},
		{TraceEvent{Kind: EventDNSAnswer, Flow: dns, DNS: with(asked, func(d *DNSTrace) {
			d.RCode, d.Fault, d.Faulty = dnsmessage.RCodeNameError, DNSFault{Kind: DNSNXDomain}, true
		})}, "dns: A smtp.gmail.com? from 192.0.2.10:49152: NXDOMAIN (fault: nxdomain)"},
		{TraceEvent{Kind: EventDNSAnswer, Flow: dns, DNS: with(asked, func(d *DNSTrace) {
			d.RCode, d.Fault, d.Faulty = dnsmessage.RCodeServerFailure, DNSFault{Kind: DNSServFail}, true
		})}, "dns: A smtp.gmail.com? from 192.0.2.10:49152: SERVFAIL (fault: servfail)"},
		{TraceEvent{Kind: EventDNSAnswer, Flow: dns, DNS: with(asked, func(d *DNSTrace) {
			d.RCode, d.Fault, d.Faulty = dnsmessage.RCodeRefused, DNSFault{Kind: DNSRefused}, true
		})}, "dns: A smtp.gmail.com? from 192.0.2.10:49152: REFUSED (fault: refused)"},
		{TraceEvent{Kind: EventDNSAnswer, Flow: dns, DNS: with(asked, func(d *DNSTrace) {
			d.Answers, d.Fault, d.Faulty = []Record{a}, DNSFault{Kind: DNSDelay, Delay: 3 * time.Second}, true
		})}, "dns: A smtp.gmail.com? from 192.0.2.10:49152: A 203.0.113.10 (fault: delay 3s)"},
		{TraceEvent{Kind: EventDNSAnswer, Flow: dns, DNS: with(asked, func(d *DNSTrace) {
			wrong := netip.MustParseAddr("192.0.2.99")
			d.Answers, d.Fault, d.Faulty = []Record{{Name: "smtp.gmail.com", Type: dnsmessage.TypeA, Addr: wrong}}, DNSFault{Kind: DNSWrongAddress, Addr: wrong}, true
		})}, "dns: A smtp.gmail.com? from 192.0.2.10:49152: A 192.0.2.99 (fault: wrong-address)"},
		{TraceEvent{Kind: EventDNSAnswer, Flow: dns, DNS: with(asked, func(d *DNSTrace) { d.RCode = dnsmessage.RCodeNotImplemented })},
			"dns: A smtp.gmail.com? from 192.0.2.10:49152: RCodeNotImplemented"},
		{TraceEvent{Kind: EventDNSNoAnswer, Flow: dns, DNS: with(asked, func(d *DNSTrace) { d.Fault, d.Faulty = DNSFault{Kind: DNSNoAnswer}, true })},
			"dns: A smtp.gmail.com? from 192.0.2.10:49152: no answer (fault: no-answer)"},
		{TraceEvent{Kind: EventDNSDropped, Flow: dns, Reason: ReasonMalformed}, "dns: malformed query from 192.0.2.10:49152 dropped"},
		{TraceEvent{Kind: EventDNSDropped, Flow: dns, Reason: ReasonNoQuestion}, "dns: query without a question from 192.0.2.10:49152 dropped"},
		{TraceEvent{Kind: EventDNSEncodeFailed, Flow: dns, Reason: ReasonBadRecord, Err: errors.New("segment length too long"),
			DNS: with(asked, func(d *DNSTrace) {
				d.Record = Record{Name: "smtp.gmail.com", Type: dnsmessage.TypeCNAME, Target: "x..y"}
			})},
			"dns: A smtp.gmail.com? from 192.0.2.10:49152: cannot encode CNAME x..y: segment length too long"},
		{TraceEvent{Kind: EventDNSEncodeFailed, Flow: dns, Reason: ReasonBadMessage, Err: errors.New("insufficient data for resource body length"), DNS: asked},
			"dns: A smtp.gmail.com? from 192.0.2.10:49152: cannot encode the answer: insufficient data for resource body length"},
	}
	for _, tc := range cases {
		if got := tc.e.Text(); got != tc.want {
			t.Errorf("%v (%v):\n got %s\nwant %s", tc.e.Kind, tc.e.Reason, got, tc.want)
		}
	}

	// A new constant without a case above fails here.
	var kinds [len(eventKindNames)]bool
	var reasons [len(reasonNames)]bool
	var packets [PacketDatagram + 1]bool
	for _, tc := range cases {
		e := tc.e
		kinds[e.Kind] = true
		reasons[e.Reason] = true
		packets[e.Packet.Kind] = true
	}
	for k := EventKind(1); int(k) < len(kinds); k++ {
		if !kinds[k] {
			t.Errorf("no rendering case for kind %v", k)
		}
	}
	for r := Reason(1); int(r) < len(reasons); r++ {
		if !reasons[r] {
			t.Errorf("no rendering case for reason %v", r)
		}
	}
	for p := PacketKind(1); int(p) < len(packets); p++ {
		if !packets[p] {
			t.Errorf("no rendering case for packet kind %d", p)
		}
	}
}
