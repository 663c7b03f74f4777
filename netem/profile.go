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
	// RTT is the round-trip propagation delay.
	RTT time.Duration
	// Down and Up are the rates towards and from the device.
	Down, Up Bitrate
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
		Up:      Direction{Delay: p.RTT / 2, Rate: p.Up, Loss: p.Loss},
		Down:    Direction{Delay: p.RTT / 2, Rate: p.Down, Loss: p.Loss},
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

var profiles = []Profile{
	{
		Name: "lan", RTT: 500 * time.Microsecond, Down: 1 * Gbps, Up: 1 * Gbps,
		Source: "switched gigabit Ethernet; sub-millisecond round trip",
	},
	{
		Name: "fiber", RTT: 4 * time.Millisecond, Down: 20 * Mbps, Up: 5 * Mbps,
		Source: `WebPageTest connectivity profile "FIOS": 20/5 Mbit/s, 4 ms RTT`,
	},
	{
		Name: "dsl", RTT: 50 * time.Millisecond, Down: 1500 * Kbps, Up: 384 * Kbps, PathMTU: 1492,
		Source: `WebPageTest connectivity profile "DSL": 1.5 Mbit/s / 384 kbit/s, 50 ms RTT; PPPoE path MTU 1492 (RFC 2516: 8 bytes of PPPoE and PPP headers)`,
	},
	{
		Name: "4g-good", RTT: 70 * time.Millisecond, Down: 12 * Mbps, Up: 12 * Mbps, PathMTU: lteMTU,
		Source: `WebPageTest connectivity profile "LTE": 12 Mbit/s both ways, 70 ms RTT; LTE path MTU 1428 (GTP-U overhead)`,
	},
	{
		Name: "4g-weak", RTT: 150 * time.Millisecond, Down: 1600 * Kbps, Up: 750 * Kbps, PathMTU: lteMTU, Loss: weakLoss,
		Source: `Lighthouse "Slow 4G" throttling (bottom quartile of 4G): 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up; LTE path MTU 1428; bursty loss about 0.5%`,
	},
	{
		Name: "4g-edge", RTT: 840 * time.Millisecond, Down: 240 * Kbps, Up: 200 * Kbps, PathMTU: lteMTU, Loss: edgeLoss,
		Source: `WebPageTest connectivity profile "Edge" (cell edge falling back to EDGE): 240/200 kbit/s, 840 ms RTT; LTE path MTU 1428; bursty loss about 2%`,
	},
	{
		Name: "satellite", RTT: 600 * time.Millisecond, Down: 25 * Mbps, Up: 3 * Mbps,
		Source: "geostationary consumer satellite: about 600 ms RTT (FCC Measuring Broadband America), 25/3 Mbit/s plans",
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
