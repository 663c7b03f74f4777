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
	// Source says where the figures come from.
	Source string
}

// Link returns the device access link the profile describes.
func (p Profile) Link() Link {
	return Link{
		Up:   Direction{Delay: p.RTT / 2, Rate: p.Up},
		Down: Direction{Delay: p.RTT / 2, Rate: p.Down},
	}
}

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
		Name: "dsl", RTT: 50 * time.Millisecond, Down: 1500 * Kbps, Up: 384 * Kbps,
		Source: `WebPageTest connectivity profile "DSL": 1.5 Mbit/s / 384 kbit/s, 50 ms RTT`,
	},
	{
		Name: "4g-good", RTT: 70 * time.Millisecond, Down: 12 * Mbps, Up: 12 * Mbps,
		Source: `WebPageTest connectivity profile "LTE": 12 Mbit/s both ways, 70 ms RTT`,
	},
	{
		Name: "4g-weak", RTT: 150 * time.Millisecond, Down: 1600 * Kbps, Up: 750 * Kbps,
		Source: `Lighthouse "Slow 4G" throttling (bottom quartile of 4G): 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up`,
	},
	{
		Name: "4g-edge", RTT: 840 * time.Millisecond, Down: 240 * Kbps, Up: 200 * Kbps,
		Source: `WebPageTest connectivity profile "Edge" (cell edge falling back to EDGE): 240/200 kbit/s, 840 ms RTT`,
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

// Profiles returns every profile, in order of name as listed in the docs.
func Profiles() []Profile { return slices.Clone(profiles) }

// ProfileNames returns the names of every profile.
func ProfileNames() []string {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	return names
}
