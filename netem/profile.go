package netem

import (
	"slices"
	"time"
)

// Profile is a named access link as users know it ("4g-weak"), with the
// public figures it was taken from. A profile describes the device's side
// of the path end to end: the round trip is split evenly between the up and
// down directions, and servers sit on an ideal link.
type Profile struct {
	Name string
	// RTT is the round-trip propagation delay, without queueing.
	RTT time.Duration
	// Down and Up are the rates towards and from the device.
	Down, Up Bitrate
	// Buffer is how much the bottleneck of each direction holds, as time
	// at its rate: a queue that fills under load, so that the round trip
	// grows (cellular modems and cells hold seconds of data), and drops
	// what does not fit. Zero is unbounded.
	Buffer time.Duration
	// PathMTU is the largest packet the access network carries (0: no
	// limit below the hosts' own MTUs). ICMP works; a scenario can make the
	// path a black hole.
	PathMTU int
	// Loss applies to both directions.
	Loss Loss
	// Source says where the figures come from.
	Source string
}

// Link returns the device access link the profile describes.
func (p Profile) Link() Link {
	return Link{
		Up:      Direction{Delay: p.RTT / 2, Rate: p.Up, Loss: p.Loss, Queue: p.Up.bytesIn(p.Buffer)},
		Down:    Direction{Delay: p.RTT / 2, Rate: p.Down, Loss: p.Loss, Queue: p.Down.bytesIn(p.Buffer)},
		PathMTU: p.PathMTU,
	}
}

// The 4G path MTU: GTP-U tunnels each packet between the cell and the core
// in 36 bytes of GTP, UDP and IPv4 headers, more with VLAN or MPLS tags, and
// carriers commonly hand devices 1428 (N. Jones, "MTU in LTE & 5G
// Transmission Networks", nickvsnetworking.com).
const lteMTU = 1428

// Cellular loss comes in bursts (handovers, fades), modelled as a
// Gilbert-Elliott channel (G. Haßlinger, O. Hohlfeld, "The Gilbert-Elliott
// Model for Packet Loss in Real Time Services on the Internet", MMB 2008).
// No public fit gives these exact parameters; they are chosen for the
// average loss and burst length stated beside them.
var (
	// About 0.5% of packets, in bursts of 4 on average.
	weakLoss = Loss{EnterBurst: 0.0016, ExitBurst: 0.25, BurstRate: 0.8}
	// About 2% of packets, in bursts of 8 on average.
	edgeLoss = Loss{Rate: 0.002, EnterBurst: 0.0025, ExitBurst: 0.125, BurstRate: 0.9}
)

// Cellular buffers: H. Jiang, Y. Wang, K. Lee, I. Rhee, "Tackling
// Bufferbloat in 3G/4G Networks" (ACM IMC 2012) measured round trips of
// several seconds under a bulk upload or download on every carrier they
// tried, the queue sitting in the cell and the modem; the profiles give
// cellular links one to four seconds of buffer at their rate, wired ones
// tens to hundreds of milliseconds (J. Gettys, K. Nichols, "Bufferbloat:
// Dark Buffers in the Internet", ACM Queue 2011, for DSL modems).
var profiles = []Profile{
	{
		Name: "lan", RTT: 500 * time.Microsecond, Down: 1 * Gbps, Up: 1 * Gbps, Buffer: 10 * time.Millisecond,
		Source: "switched gigabit Ethernet; sub-millisecond round trip; a switch port's buffer (10 ms)",
	},
	{
		Name: "fiber", RTT: 4 * time.Millisecond, Down: 20 * Mbps, Up: 5 * Mbps, Buffer: 100 * time.Millisecond,
		Source: `WebPageTest connectivity profile "FIOS": 20/5 Mbit/s, 4 ms RTT; an ONT's buffer (100 ms)`,
	},
	{
		Name: "dsl", RTT: 50 * time.Millisecond, Down: 1500 * Kbps, Up: 384 * Kbps, PathMTU: 1492, Buffer: 500 * time.Millisecond,
		Source: `WebPageTest connectivity profile "DSL": 1.5 Mbit/s / 384 kbit/s, 50 ms RTT; PPPoE path MTU 1492 (RFC 2516: 8 bytes of PPPoE and PPP headers); a DSL modem's buffer (Gettys and Nichols, "Bufferbloat", ACM Queue 2011: hundreds of ms)`,
	},
	{
		Name: "4g-good", RTT: 70 * time.Millisecond, Down: 12 * Mbps, Up: 12 * Mbps, PathMTU: lteMTU, Buffer: time.Second,
		Source: `WebPageTest connectivity profile "LTE": 12 Mbit/s both ways, 70 ms RTT (Opensignal's "State of LTE" reports, 2016-2018, put the average 4G download at 16-17 Mbit/s worldwide); LTE path MTU 1428 (GTP-U overhead); 1 s of buffer (Jiang et al., "Tackling Bufferbloat in 3G/4G Networks", IMC 2012)`,
	},
	{
		Name: "4g-weak", RTT: 100 * time.Millisecond, Down: 5 * Mbps, Up: 2400 * Kbps, PathMTU: lteMTU, Loss: weakLoss, Buffer: 2 * time.Second,
		Source: `weak-signal LTE as the PTZ installer guide (reference 002) describes it: three 4 MP snapshots (3-4 MB) in one mail in 15-20 s and three sub-stream ones (150-450 KB) in 2-4 s, which needs about 2.4 Mbit/s up at a 100 ms round trip (5 Mbit/s down); Lighthouse's "Slow 4G" (750 kbit/s) cannot do the first in under 45 s and is kept as 4g-slow; LTE path MTU 1428; bursty loss about 0.5%; 2 s of buffer (Jiang et al., IMC 2012)`,
	},
	{
		Name: "4g-slow", RTT: 150 * time.Millisecond, Down: 1600 * Kbps, Up: 750 * Kbps, PathMTU: lteMTU, Loss: weakLoss, Buffer: 2 * time.Second,
		Source: `Lighthouse and Chrome DevTools "Slow 4G" throttling: 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up; LTE path MTU 1428; bursty loss about 0.5%; 2 s of buffer (Jiang et al., IMC 2012)`,
	},
	{
		Name: "4g-edge", RTT: 840 * time.Millisecond, Down: 240 * Kbps, Up: 200 * Kbps, PathMTU: lteMTU, Loss: edgeLoss, Buffer: 4 * time.Second,
		Source: `WebPageTest connectivity profile "Edge" (cell edge falling back to EDGE): 240/200 kbit/s, 840 ms RTT; LTE path MTU 1428; bursty loss about 2%; 4 s of buffer (Jiang et al., IMC 2012: the slowest links queue the longest)`,
	},
	{
		Name: "satellite", RTT: 600 * time.Millisecond, Down: 25 * Mbps, Up: 3 * Mbps, Buffer: time.Second,
		Source: "geostationary consumer satellite: about 600 ms RTT (FCC Measuring Broadband America), 25/3 Mbit/s plans; a terminal's buffer (1 s)",
	},
}

// LookupProfile returns the profile called name.
func LookupProfile(name string) (Profile, bool) {
	i := slices.IndexFunc(profiles, func(p Profile) bool { return p.Name == name })
	if i < 0 {
		return Profile{}, false
	}
	return profiles[i], true
}

// Profiles returns every profile.
func Profiles() []Profile { return slices.Clone(profiles) }

// ProfileNames returns the names of every profile.
func ProfileNames() []string {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	return names
}
