package fidelity

import (
	"time"

	"alertsim/netem"
)

// The rig's kernel settings, the same in the device's and the server's
// namespaces (and, for netem, what it models): CUBIC (also set on each
// socket with TCP_CONGESTION), SACK on, timestamps off (netem's segments
// carry no options, so both sides put 1460 bytes in a segment), no ECN,
// tcp_no_metrics_save so that one upload does not teach the next its
// ssthresh, tcp_mtu_probing as the experiment says (0 by default), and
// tcp_syn_retries and tcp_syn_linear_timeouts from the experiment's Kernel
// (6 and 4 by default; 0 for the older schedule). TLP and RACK stay as
// Linux ships them.

const (
	kb = 1000
	mb = 1000 * kb
	ms = time.Millisecond
)

// segment is the offset of the nth full segment (MSS 1460).
func segment(n int) int64 { return int64(n) * 1460 }

// Experiments is the rig's list, the rows of its table.
func Experiments() []Experiment {
	short := netem.Kernel{SYNRetries: 4}
	shortOld := netem.Kernel{SYNRetries: 4, ExponentialSYN: true}
	bulk := func(name string, rtt time.Duration, rate netem.Bitrate, size int) Experiment {
		return Experiment{Name: name, Kind: Bulk, RTT: rtt, Up: rate, Down: rate, Buffer: 256 * 1024, Size: size}
	}
	lossy := func(name string, n ...int) Experiment {
		e := bulk(name, 150*ms, 750*netem.Kbps, 1*mb)
		e.Kind = Loss
		for _, k := range n {
			e.Lose = append(e.Lose, segment(k))
		}
		return e
	}
	return []Experiment{
		{Name: "black hole, MTU 1500 over 1428, ~0 RTT: retransmissions", Kind: Blackhole, PathMTU: 1428, Retransmissions: 6},
		{Name: "black hole, MTU 1500 over 1428, 150 ms RTT: retransmissions", Kind: Blackhole, RTT: 150 * ms, PathMTU: 1428, Retransmissions: 6},
		{Name: "black hole, MTU 1380 over 1428, 150 ms RTT: TLS handshake", Kind: Handshake, RTT: 150 * ms, PathMTU: 1428, DeviceMTU: 1380},
		{Name: "MTU 1500 over 1428, ICMP allowed, 150 ms RTT: TLS handshake", Kind: Handshake, RTT: 150 * ms, PathMTU: 1428, ICMP: true},
		{Name: "black hole, MTU probing on, 150 ms RTT: first segment cut to 1024 bytes", Kind: Probing, RTT: 150 * ms, PathMTU: 1428, Kernel: netem.Kernel{MTUProbing: true}},
		{Name: "SYNs to a filtered port, Linux >= 6.5, 4 retries: SYNs, failure", Kind: SYNs, RTT: 150 * ms, Kernel: short},
		{Name: "SYNs to a filtered port, Linux < 6.5, 4 retries: SYNs, failure", Kind: SYNs, RTT: 150 * ms, Kernel: shortOld},
		bulk("100 KB at 750 kbit/s, ~0 RTT", 0, 750*netem.Kbps, 100*kb),
		bulk("1 MB at 750 kbit/s, ~0 RTT", 0, 750*netem.Kbps, 1*mb),
		bulk("3 MB at 750 kbit/s, ~0 RTT", 0, 750*netem.Kbps, 3*mb),
		bulk("100 KB at 750 kbit/s, 150 ms RTT", 150*ms, 750*netem.Kbps, 100*kb),
		bulk("1 MB at 750 kbit/s, 150 ms RTT", 150*ms, 750*netem.Kbps, 1*mb),
		bulk("3 MB at 750 kbit/s, 150 ms RTT", 150*ms, 750*netem.Kbps, 3*mb),
		bulk("100 KB at 12 Mbit/s, 70 ms RTT", 70*ms, 12*netem.Mbps, 100*kb),
		bulk("1 MB at 12 Mbit/s, 70 ms RTT", 70*ms, 12*netem.Mbps, 1*mb),
		bulk("3 MB at 12 Mbit/s, 70 ms RTT", 70*ms, 12*netem.Mbps, 3*mb),
		lossy("1 loss in 1 MB at 750 kbit/s, 150 ms RTT: time added", 342),
		lossy("3 back-to-back losses in 1 MB, 150 ms RTT: time added", 342, 343, 344),
		{Name: "3 MB into a 100 KB buffer at 750 kbit/s, 150 ms RTT: peak srtt before the first loss, time", Kind: Load, RTT: 150 * ms, Up: 750 * netem.Kbps, Down: 750 * netem.Kbps, Buffer: 100 * 1024, Size: 3 * mb},
	}
}
