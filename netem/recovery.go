package netem

import "time"

// Loss recovery, as Linux does it with SACK: RACK (RFC 8985) decides what
// is lost, by time, from the most recently sent segment the receiver has
// acknowledged; fast recovery sends again only the segments marked lost,
// paced by Proportional Rate Reduction (RFC 6937); a retransmission
// timeout marks everything not SACKed lost and slow-starts from one
// segment. The states are Linux's: open, recovery, loss. Until the
// acknowledgements pass highSeq (RFC 6582's "recover"), a recovery or a
// timeout is not started again by the same window's losses, so duplicates
// of duplicates cannot set off another one.

type caState uint8

const (
	caOpen caState = iota
	caRecovery
	caLoss
)

// dupThresh is how many segments SACKed above a hole make it lost at
// once (RFC 5681's three duplicate acknowledgements); fewer wait for
// RACK's reordering window.
const dupThresh = 3

// rackDelivered notes a segment the receiver acknowledged (cumulatively or
// by SACK): the most recently sent such segment is RACK's reference.
func (s *sender) rackDelivered(t *txSeg, now time.Time) {
	rtt := now.Sub(t.sentAt)
	if t.retrans && rtt < s.rto.minRTT {
		// Too soon to be the retransmission's: the original's.
		return
	}
	if t.sentAt.After(s.rackXmit) || (t.sentAt.Equal(s.rackXmit) && t.end() > s.rackEnd) {
		s.rackXmit, s.rackRTT, s.rackEnd = t.sentAt, rtt, t.end()
	}
}

// reorderWindow is how long after RACK's reference a segment sent before
// it may still arrive before it counts as lost: a quarter of the minimum
// round trip, or none in recovery or with dupThresh segments SACKed.
func (s *sender) reorderWindow() time.Duration {
	if s.state != caOpen || s.sackedCount >= dupThresh {
		return 0
	}
	return min(s.rto.minRTT/4, s.rto.srtt)
}

// detectLoss marks lost every segment sent before RACK's reference that
// has had its round trip and the reordering window, and arms the reorder
// timer for the next one that may become so. It reports how many it
// marked.
func (c *tcpConn) detectLoss(now time.Time) int {
	s := &c.snd
	if s.rackXmit.IsZero() {
		return 0
	}
	reo := s.reorderWindow()
	why := ReasonReorder
	if s.sackedCount >= dupThresh {
		why = ReasonDupAcks
	}
	marked := 0
	var next time.Time
	for _, t := range s.segs {
		// A retransmission can be lost too: RACK judges it by its own
		// send time.
		if t.sacked || (t.lost && !t.rtxOut) {
			continue
		}
		if !t.sentAt.Before(s.rackXmit) && !(t.sentAt.Equal(s.rackXmit) && t.end() < s.rackEnd) {
			continue // sent after the reference: nothing is known yet
		}
		deadline := t.sentAt.Add(s.rackRTT + reo)
		if now.Before(deadline) {
			if next.IsZero() || deadline.Before(next) {
				next = deadline
			}
			continue
		}
		s.markLost(t, why)
		marked++
	}
	s.reoGen++
	if !next.IsZero() {
		gen := s.reoGen
		c.later(c.n.timerAt(now, next.Sub(now)+timerMin), func() {
			if s.reoGen == gen && c.state == stateEstablished {
				if c.detectLoss(time.Now()) > 0 {
					c.lossDetected()
					c.output()
				}
			}
		})
	}
	return marked
}

func (s *sender) markLost(t *txSeg, why Reason) {
	if t.sacked || (t.lost && !t.rtxOut) {
		return
	}
	if !t.lost {
		t.lost = true
		s.lostCount++
	}
	if t.rtxOut {
		t.rtxOut = false
		s.rtxOutCount--
	}
	t.lostWhy = why
}

// lossDetected enters fast recovery, unless a recovery or a timeout of
// the same window is still under way.
func (c *tcpConn) lossDetected() {
	s := &c.snd
	if s.state != caOpen || s.lostCount == 0 {
		return
	}
	s.state = caRecovery
	s.highSeq = s.nxt
	s.priorCwnd = s.w.cwnd
	s.w.ssthresh = s.cc.ssthresh(&s.w)
	s.prrDelivered, s.prrOut = 0, 0
	s.recoverFS = max(s.pipe(), 1)
	s.fastRetransmit = true
}

// prr sets the window for the acknowledgement that just delivered
// delivered segments during recovery (RFC 6937, with the slow-start
// reduction bound, as Linux's tcp_cwnd_reduction).
func (s *sender) prr(delivered int) {
	s.prrDelivered += delivered
	pipe := s.pipe()
	var sndcnt int
	if pipe > s.w.ssthresh {
		sndcnt = (s.prrDelivered*s.w.ssthresh+s.recoverFS-1)/s.recoverFS - s.prrOut
	} else {
		limit := max(s.prrDelivered-s.prrOut, delivered) + 1
		sndcnt = min(s.w.ssthresh-pipe, limit)
	}
	if s.fastRetransmit {
		sndcnt = max(sndcnt, 1)
	}
	s.w.cwnd = pipe + max(sndcnt, 0)
}

// endRecovery leaves recovery or loss once highSeq is acknowledged.
func (s *sender) endRecovery() {
	switch s.state {
	case caRecovery:
		s.w.cwnd = s.w.ssthresh
	case caLoss:
	default:
		return
	}
	s.state = caOpen
	s.retransStamp = time.Time{}
}

// enterLoss handles a retransmission timeout: everything not SACKed is
// presumed lost, and the window starts again from one segment.
func (s *sender) enterLoss() {
	if s.state != caLoss {
		s.w.ssthresh = s.cc.ssthresh(&s.w)
		s.cc.timeout()
	}
	s.w.cwnd = 1
	s.state = caLoss
	s.highSeq = s.nxt
	for _, t := range s.segs {
		t.rtxOut = false
		if !t.sacked && !t.lost {
			t.lost = true
			s.lostCount++
		}
		if t.lost {
			t.lostWhy = ReasonAfterTimeout
		}
	}
	if len(s.segs) > 0 && s.segs[0].lost {
		s.segs[0].lostWhy = ReasonTimeout
	}
	s.rtxOutCount = 0
	s.fastRetransmit = false
}
