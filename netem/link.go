package netem

import (
	"fmt"
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

// Direction is one direction of a host's access link.
type Direction struct {
	// Delay is the one-way propagation delay.
	Delay time.Duration
	// Rate is the serialization rate; zero means unlimited.
	Rate Bitrate
}

// Link is a host's access link to the rest of the network. Up carries what
// the host sends, Down what it receives. A path between two hosts is the
// sender's Up followed by the receiver's Down, so a camera on a 4G link and a
// server in a data centre see the 4G figures end to end.
type Link struct {
	Up   Direction
	Down Direction
}

// hop is one direction of one host's link, shared by every connection that
// crosses it: it is a FIFO queue served at the link rate.
type hop struct {
	name      string // "camera up", for traces
	dir       Direction
	busyUntil time.Time // when the last queued segment has left
}

// transmit queues a segment of wire bytes that reaches the hop at time at
// and returns when it arrives at the far end of the hop.
func (h *hop) transmit(at time.Time, wire int) time.Time {
	start := at
	if h.busyUntil.After(start) {
		start = h.busyUntil
	}
	done := start.Add(h.dir.Rate.Serialize(wire))
	h.busyUntil = done
	return done.Add(h.dir.Delay)
}
