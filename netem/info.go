package netem

import (
	"net"
	"time"
)

// TCPInfo is what a sender knows of its connection, the part of Linux's
// TCP_INFO that netem models.
type TCPInfo struct {
	// SRTT and RTTVar are the smoothed round trip and its variation; RTO
	// the retransmission timeout now, backoff included.
	SRTT, RTTVar, RTO time.Duration
	// Cwnd and SSThresh are the congestion window and slow-start
	// threshold, in segments.
	Cwnd, SSThresh int
	// Retransmits counts every segment sent again.
	Retransmits int
}

// ConnInfo returns c's TCPInfo, if c is a netem TCP connection.
func ConnInfo(c net.Conn) (TCPInfo, bool) {
	tc, ok := c.(*tcpConn)
	if !ok {
		return TCPInfo{}, false
	}
	tc.n.mu.Lock()
	defer tc.n.mu.Unlock()
	s := &tc.snd
	return TCPInfo{
		SRTT: s.rto.srtt, RTTVar: s.rto.rttvar, RTO: s.rto.current(),
		Cwnd: s.w.cwnd, SSThresh: s.w.ssthresh, Retransmits: s.totalRetrans,
	}, true
}
