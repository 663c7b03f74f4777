package fidelity

import "time"

// sampleEvery is how often both sides read the sender's round trip and
// retransmissions during an upload (TCP_INFO on the kernel, netem.ConnInfo).
const sampleEvery = 20 * time.Millisecond

// loadStats keeps the largest smoothed round trip a sender reported while
// the bottleneck buffer filled, that is before its first retransmission:
// the round trip under load, which the buffer's size and the rate decide.
// (Means over the whole upload depend on where in CUBIC's cycles the
// upload ends, and vary by some 6% from one kernel run to the next; the
// kernel's peak RTO varies by 12%, 1.47 to 1.66 s, so it is not
// measured.)
type loadStats struct {
	peakSRTT    time.Duration
	retransmits bool
}

func (s *loadStats) add(srtt time.Duration, retransmits int) {
	if retransmits > 0 {
		s.retransmits = true
	}
	if s.retransmits {
		return
	}
	s.peakSRTT = max(s.peakSRTT, srtt)
}

func (s *loadStats) srtt() time.Duration { return s.peakSRTT }
