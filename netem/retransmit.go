package netem

import (
	"syscall"
	"time"
)

// output sends what the window, the uplink queue and the send buffer allow.
// Runs on the event loop.
func (c *tcpConn) output() {
	if c.state != stateEstablished {
		return
	}
	if c.rtoRecovery {
		// After a timeout only the retransmission of the first segment
		// is out, until it is acknowledged (a congestion window of one).
		return
	}
	now := time.Now()
	// Segments to send again come first, paced like new data.
	for len(c.rtxQ) > 0 {
		s := c.rtxQ[0]
		if s.end() <= c.sndUna {
			c.rtxQ = c.rtxQ[1:] // acknowledged meanwhile
			continue
		}
		if c.uplinkFull(now, len(s.payload)) {
			return
		}
		c.rtxQ = c.rtxQ[1:]
		again := *s
		c.send(&again)
	}
	for len(c.sendQ) > 0 {
		window := c.sndWnd - int(c.sndNxt-c.sndUna)
		if window <= 0 {
			if len(c.unacked) == 0 {
				c.armTimer() // the persist timer: probe the closed window
			}
			return
		}
		size := min(len(c.sendQ), c.effMSS(), window)
		if c.uplinkFull(now, size) {
			return
		}
		s := &segment{flags: flagACK, seq: c.sndNxt, ack: c.rcvNxt, wnd: c.window()}
		s.payload = c.sendQ[:size:size]
		c.sendQ = c.sendQ[size:]
		if len(c.sendQ) == 0 {
			c.sendQ = nil
		}
		c.sndNxt += uint64(size)
		c.push(s)
	}
	if c.finPending && !c.finSent {
		c.finSent = true
		c.push(&segment{flags: flagFIN | flagACK, seq: c.sndNxt, ack: c.rcvNxt, wnd: c.window()})
		c.sndNxt++
	}
}

// push sends a new segment and keeps it until it is acknowledged.
func (c *tcpConn) push(s *segment) {
	c.unacked = append(c.unacked, s)
	c.send(s)
	if len(c.unacked) == 1 {
		c.armTimer()
	}
}

// uplinkFull reports whether the host's uplink queue has no room for
// another segment of this size, and if so arranges to try again when it
// has: the connection then waits in its send buffer, not in the network.
func (c *tcpConn) uplinkFull(now time.Time, size int) bool {
	if len(c.path) == 0 {
		return false
	}
	up := c.path[0]
	wire := size + headerBytes(c.remote.Addr())
	limit := localQueueSegs * (c.effMSS() + headerBytes(c.remote.Addr()))
	if up.dir.Rate == 0 || up.backlog(now)+wire <= limit {
		return false
	}
	if !c.wakePending {
		c.wakePending = true
		at := up.busyUntil.Add(-up.dir.Rate.Serialize(limit - wire))
		c.later(at, func() {
			c.wakePending = false
			c.output()
		})
	}
	return true
}

// acknowledged processes the acknowledgement a segment carries.
func (c *tcpConn) acknowledged(s *segment) {
	switch {
	case s.ack > c.sndUna && s.ack <= c.sndNxt:
		var sample *segment
		for len(c.unacked) > 0 && c.unacked[0].end() <= s.ack {
			sample = c.unacked[0]
			c.unacked = c.unacked[1:]
		}
		if len(c.unacked) > 0 && c.unacked[0].seq < s.ack {
			// Acknowledged in part, after segments were cut to a smaller
			// MSS and sent again.
			head := *c.unacked[0]
			head.payload = head.payload[s.ack-head.seq:]
			head.seq = s.ack
			c.unacked[0] = &head
		}
		if sample != nil && !sample.retrans {
			c.sampleRTT(time.Since(sample.sentAt))
		}
		c.sndUna = s.ack
		c.retries = 0
		c.dupAcks = 0
		if c.rtoRecovery {
			c.rtoRecovery = false
			if pending := c.pendingRetransmissions(); pending > 0 {
				c.trace(TraceEvent{Kind: EventRetransmitFollowUp, Count: pending})
			}
		}
		if c.recovering {
			if s.ack < c.recover {
				// A partial acknowledgement: the next hole of the same
				// window is lost too (NewReno, RFC 6582).
				c.retransmit(ReasonPartialAck)
			} else {
				c.recovering = false
			}
		}
		if len(c.unacked) > 0 {
			c.armTimer()
		} else {
			c.stopTimer()
		}
		signal(c.writable)
		c.maybeDone()
	case s.ack == c.sndUna && len(s.payload) == 0 && s.flags&(flagFIN|flagSYN) == 0 && len(c.unacked) > 0:
		// Unlike RFC 5681 the window need not be unchanged: ours shrinks
		// with every segment held out of order.
		c.dupAcks++
		if c.dupAcks == dupAckThreshold && !c.recovering && !c.rtoRecovery && len(c.rtxQ) == 0 {
			c.recovering, c.recover = true, c.sndNxt
			c.retransmit(ReasonDupAcks)
		}
	}
	opened := s.wnd > c.sndWnd
	c.sndWnd = s.wnd
	if opened || len(c.sendQ) > 0 || (c.finPending && !c.finSent) {
		c.output()
	}
}

// retransmit sends the oldest unacknowledged segment again, cut to the
// current MSS.
func (c *tcpConn) retransmit(why Reason) {
	if len(c.unacked) == 0 {
		return
	}
	c.resegment()
	c.unacked[0].retrans = true
	again := *c.unacked[0]
	e := TraceEvent{Kind: EventRetransmit, Reason: why, Packet: again.packet()}
	if why == ReasonTimeout {
		e.Wait = c.rto
	}
	c.trace(e)
	c.send(&again)
}

// pendingRetransmissions counts the queued retransmissions still
// unacknowledged.
func (c *tcpConn) pendingRetransmissions() int {
	k := 0
	for _, s := range c.rtxQ {
		if s.end() > c.sndUna {
			k++
		}
	}
	return k
}

// timedOut handles a retransmission timeout with data outstanding: send
// the first segment again, alone; once it is acknowledged, the others
// follow, paced by the uplink (go-back-N, as after a timeout every
// outstanding segment is presumed lost).
func (c *tcpConn) timedOut() {
	c.retransmit(ReasonTimeout)
	c.rtoRecovery = true
	c.recovering = false
	c.rtxQ = c.rtxQ[:0]
	for _, s := range c.unacked[1:] {
		s.retrans = true
		c.rtxQ = append(c.rtxQ, s)
	}
}

// resegment cuts unacknowledged segments larger than the MSS.
func (c *tcpConn) resegment() {
	mss := c.effMSS()
	var out []*segment
	for _, s := range c.unacked {
		for len(s.payload) > mss {
			head := *s
			head.payload = s.payload[:mss:mss]
			head.flags &^= flagFIN
			out = append(out, &head)
			rest := *s
			rest.payload = s.payload[mss:]
			rest.seq += uint64(mss)
			s = &rest
		}
		out = append(out, s)
	}
	c.unacked = out
}

// pathMTU handles ICMP "fragmentation needed": lower the MSS and send the
// oversized segments again (Linux's tcp_simple_retransmit).
func (c *tcpConn) pathMTU(mtu int) {
	mss := mtu - headerBytes(c.remote.Addr())
	if c.state == stateClosed || mss >= c.effMSS() {
		return
	}
	c.pmtuMSS = mss
	c.trace(TraceEvent{Kind: EventFragmentationNeeded, MTU: mtu, MSS: mss})
	type span struct{ from, to uint64 }
	var lost []span
	for _, s := range c.unacked {
		if len(s.payload) > mss {
			lost = append(lost, span{s.seq, s.end()})
		}
	}
	c.resegment()
	for i, s := range c.unacked {
		for _, l := range lost {
			if s.seq >= l.from && s.seq < l.to {
				again := *s
				again.retrans = true
				c.unacked[i] = &again
				c.send(&again)
				break
			}
		}
	}
	if len(lost) > 0 {
		c.armTimer()
	}
}

// sampleRTT updates the round-trip estimate and the retransmission timeout
// (RFC 6298 section 2).
func (c *tcpConn) sampleRTT(r time.Duration) {
	if !c.rttKnown {
		c.srtt, c.rttvar, c.rttKnown = r, r/2, true
	} else {
		delta := (c.srtt - r).Abs()
		c.rttvar = (3*c.rttvar + delta) / 4
		c.srtt = (7*c.srtt + r) / 8
	}
	c.rto = min(max(c.srtt+4*c.rttvar, minRTO), maxRTO)
}

// armTimer (re)starts the retransmission timer at the current RTO.
func (c *tcpConn) armTimer() {
	c.timerGen++
	gen := c.timerGen
	c.later(time.Now().Add(c.rto), func() {
		if c.timerGen == gen {
			c.expired()
		}
	})
}

func (c *tcpConn) stopTimer() { c.timerGen++ }

// expired handles the retransmission timer: send again, back off, or give
// up.
func (c *tcpConn) expired() {
	c.retries++
	c.rto = min(2*c.rto, maxRTO)
	switch c.state {
	case stateSynSent:
		if c.retries > synRetries {
			c.trace(TraceEvent{Kind: EventConnectTimeout, Count: synRetries + 1})
			c.state = stateClosed
			c.dialDone <- syscall.ETIMEDOUT
			return
		}
		c.trace(TraceEvent{Kind: EventSYNRetransmit, Count: c.retries})
		c.sendSYN()
		c.armTimer()
	case stateSynReceived:
		if c.retries > synAckRetries {
			c.trace(TraceEvent{Kind: EventHandshakeAbandoned, Count: synAckRetries + 1})
			c.fail(syscall.ETIMEDOUT)
			return
		}
		c.sendSYNACK()
		c.armTimer()
	case stateEstablished:
		if len(c.unacked) == 0 {
			if len(c.sendQ) > 0 && c.sndWnd <= int(c.sndNxt-c.sndUna) {
				c.send(&segment{flags: flagACK | flagProbe, seq: c.sndNxt, ack: c.rcvNxt, wnd: c.window()})
				c.armTimer()
			}
			return
		}
		if c.retries > dataRetries {
			c.trace(TraceEvent{Kind: EventConnTimeout, Count: dataRetries})
			c.fail(syscall.ETIMEDOUT)
			return
		}
		c.timedOut()
		c.armTimer()
	}
}
