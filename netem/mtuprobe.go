package netem

import "time"

// Black-hole detection (Linux's tcp_mtu_probing = 1): when the
// retransmissions of one segment have gone unanswered for as long as
// tcp_retries1 doubling timeouts from 200 ms (3 s), the connection
// suspects that its packets are too big for a path that drops them
// silently, and falls back to tcp_base_mss (1024), then to half of that on
// each later suspicion. Linux probes upwards again later; netem does not.

// blackholeAfter is the time retries1 timeouts take from 200 ms.
const blackholeAfter = time.Duration((2<<retries1)-1) * minRTO

// mtuProbeFloor is tcp_mtu_probe_floor.
const mtuProbeFloor = 48

// suspectBlackhole runs on a retransmission timeout.
func (c *tcpConn) suspectBlackhole() {
	s := &c.snd
	if !c.host.kernel.MTUProbing || time.Since(s.retransStamp) < blackholeAfter {
		return
	}
	mss := baseMSS
	if s.probeMSS > 0 {
		mss = max(s.probeMSS/2, mtuProbeFloor)
	}
	if mss >= c.effMSS() {
		s.probeMSS = mss
		return
	}
	s.probeMSS = mss
	c.trace(TraceEvent{Kind: EventMTUProbing, MSS: mss})
	c.resegment()
}
