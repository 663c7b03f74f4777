package netem

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Bitrate is a link rate in bits per second. Zero means unlimited: segments
// take no time to serialize.
type Bitrate int64

// Common rate units.
const (
	Bps  Bitrate = 1
	Kbps Bitrate = 1000
	Mbps Bitrate = 1000 * Kbps
	Gbps Bitrate = 1000 * Mbps
)

func (r Bitrate) String() string {
	switch {
	case r == 0:
		return "unlimited"
	case r%Gbps == 0:
		return fmt.Sprintf("%d Gbit/s", r/Gbps)
	case r >= Mbps:
		return fmt.Sprintf("%g Mbit/s", float64(r)/float64(Mbps))
	case r >= Kbps:
		return fmt.Sprintf("%g kbit/s", float64(r)/float64(Kbps))
	}
	return fmt.Sprintf("%d bit/s", int64(r))
}

// Serialize returns how long it takes to clock n bytes onto a link of rate r.
func (r Bitrate) Serialize(n int) time.Duration {
	if r <= 0 {
		return 0
	}
	// Rounded up to the nanosecond so that back-to-back segments on a
	// slow link never share an instant.
	bits := int64(n) * 8
	return time.Duration((bits*int64(time.Second) + int64(r) - 1) / int64(r))
}

// bytesIn returns how many bytes a link of rate r clocks out in d.
func (r Bitrate) bytesIn(d time.Duration) int {
	if r <= 0 || d <= 0 {
		return 0
	}
	return int(int64(r) * int64(d) / int64(time.Second) / 8)
}

// Direction is one direction of a host's access link.
type Direction struct {
	// Delay is the one-way propagation delay.
	Delay time.Duration
	// Jitter adds up to this much to each packet's delay, drawn from the
	// network's seed. Packets are never reordered: one that would overtake
	// its predecessor arrives just after it.
	Jitter time.Duration
	// Rate is the serialization rate; zero means unlimited.
	Rate Bitrate
	// Queue is the bottleneck buffer of this direction: the bytes that
	// may wait to be serialized (a cellular modem and cell hold seconds of
	// data). Packets that do not fit are dropped (tail drop); zero means
	// unbounded. A full buffer is what makes the round trip grow under
	// load.
	Queue int
	// Loss is the random loss on this direction.
	Loss Loss
	// Lose are stream offsets of TCP data segments lost on this direction
	// on their first transmission, on every connection that crosses it:
	// deterministic losses for tests and the fidelity rig.
	Lose []int64
}

// PMTUD says what happens when a packet is larger than a link's path MTU.
type PMTUD uint8

const (
	// PMTUDWorking returns ICMP "fragmentation needed" to the sender, who
	// lowers its segment size and sends again (RFC 1191).
	PMTUDWorking PMTUD = iota
	// PMTUDBlackhole drops the packet silently, as on paths where ICMP is
	// filtered: the sender retransmits the same size until it gives up.
	PMTUDBlackhole
)

func (p PMTUD) String() string {
	if p == PMTUDBlackhole {
		return "black hole"
	}
	return "working"
}

// Link is a host's access link to the rest of the network. Up carries what
// the host sends, Down what it receives. A path between two hosts is the
// sender's Up followed by the receiver's Down, so a camera on a 4G link and a
// server in a data centre see the 4G figures end to end.
type Link struct {
	Up   Direction
	Down Direction

	// PathMTU is the largest packet the link carries, below the hosts' own
	// MTUs (the GTP tunnel of a 4G bearer leaves about 1428); 0 means no
	// limit of its own.
	PathMTU int
	// PMTUD is what happens to a packet over PathMTU.
	PMTUD PMTUD
	// MSSClamp, when set, lowers the MSS option of SYNs crossing the link
	// to at most this, as carrier routers do to dodge MTU trouble.
	MSSClamp int
	// BlockedPorts are destination ports the provider filters on the way
	// out (port 25 on most consumer lines): SYNs to them vanish.
	BlockedPorts []uint16
	// NATIdleTimeout, when set, puts the host behind a NAT that forgets a
	// TCP mapping idle for this long: later inbound packets are dropped and
	// the next outbound one is answered with a reset.
	NATIdleTimeout time.Duration
	// Faults are events scheduled on the link.
	Faults []Fault
}

// hop is one direction of one host's link, shared by every flow that
// crosses it: a FIFO queue served at the link's rate.
type hop struct {
	name        string // "camera up", for traces
	host        *Host
	up          bool // the host's uplink
	dir         Direction
	link        *Link
	busyUntil   time.Time // when the last queued packet has been clocked out
	lastArrival time.Time // order-preserving jitter
	jitter      *rand.Rand
	loss        lossState
}

// backlog returns the bytes still waiting to be clocked out at time now.
func (h *hop) backlog(now time.Time) int {
	return h.dir.Rate.bytesIn(h.busyUntil.Sub(now))
}

// transmit queues a packet of wire bytes that reaches the hop at time at and
// returns when it arrives at the far end of the hop.
func (h *hop) transmit(at time.Time, wire int) time.Time {
	start := at
	if h.busyUntil.After(start) {
		start = h.busyUntil
	}
	done := start.Add(h.dir.Rate.Serialize(wire))
	h.busyUntil = done
	arrive := done.Add(h.dir.Delay)
	if h.dir.Jitter > 0 {
		arrive = arrive.Add(time.Duration(h.jitter.Int64N(int64(h.dir.Jitter) + 1)))
	}
	if arrive.Before(h.lastArrival) {
		arrive = h.lastArrival
	}
	h.lastArrival = arrive
	return arrive
}

// tooBig reports whether a TCP packet of wire bytes exceeds the hop's path
// MTU. TCP sets Don't Fragment; UDP datagrams are fragmented and pass.
func (h *hop) tooBig(wire int) bool {
	return h.link.PathMTU > 0 && wire > h.link.PathMTU
}

// ParseBitrate reads a rate as people write it: "750kbit/s", "1.6 Mbit/s",
// "12Mbps", "1Gbit/s", "9600bit/s".
func ParseBitrate(s string) (Bitrate, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	if i <= 0 {
		return 0, fmt.Errorf("%q is not a rate: write a number and a unit, like 750kbit/s or 12Mbit/s", s)
	}
	v, err := strconv.ParseFloat(t[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a rate: %v", s, err)
	}
	unit := strings.TrimSpace(t[i:])
	var mult Bitrate
	switch strings.ToLower(unit) {
	case "bit/s", "bps":
		mult = Bps
	case "kbit/s", "kbps":
		mult = Kbps
	case "mbit/s", "mbps":
		mult = Mbps
	case "gbit/s", "gbps":
		mult = Gbps
	default:
		return 0, fmt.Errorf("%q is not a rate: unknown unit %q (bit/s, kbit/s, Mbit/s, Gbit/s)", s, unit)
	}
	r := Bitrate(v * float64(mult))
	if r <= 0 {
		return 0, fmt.Errorf("%q is not a rate: it must be more than zero", s)
	}
	return r, nil
}
