package netem

import (
	"syscall"
	"time"
)

// sender is the sending half of a connection: the send buffer, the
// retransmission queue with its SACK scoreboard, the congestion window,
// the round-trip estimate and the timers. Its mechanisms live in their own
// files: rto.go (the timeout), sack.go (the scoreboard), recovery.go (loss
// detection and recovery), cc.go and cubic.go (the window).
type sender struct {
	queue    []byte // written, not yet segmented
	una, nxt uint64
	wnd      int      // the receiver's advertised window
	segs     []*txSeg // sent, not cumulatively acknowledged, in order

	finPending, finSent bool

	w   window
	cc  congestion
	rto rtoEstimator

	state   caState
	highSeq uint64 // RFC 6582's recover: the end of the window at the loss

	// The scoreboard's counts, kept with the flags of segs.
	sackedCount, lostCount, rtxOutCount int

	// RACK: the most recently sent segment known delivered.
	rackXmit time.Time
	rackRTT  time.Duration
	rackEnd  uint64

	// Proportional Rate Reduction during recovery.
	priorCwnd, recoverFS, prrDelivered, prrOut int
	fastRetransmit                             bool // the first retransmission of a recovery is still due

	timerGen, reoGen uint64
	retries          int       // retransmission timeouts in a row
	retransStamp     time.Time // the first retransmitted segment's send, for black-hole detection
	lastSend         time.Time // for the restart after idle
	probeMSS         int       // MTU probing's segment size; 0 until a black hole is suspected
	totalRetrans     int
}

// txSeg is a segment the sender keeps until the receiver acknowledges it.
type txSeg struct {
	seq     uint64
	payload []byte
	fin     bool
	sentAt  time.Time // its latest transmission
	retrans bool      // sent more than once: no round-trip sample (Karn)
	sacked  bool
	lost    bool
	rtxOut  bool // retransmitted since it was marked lost, not yet acknowledged
	lostWhy Reason
}

func (t *txSeg) end() uint64 {
	e := t.seq + uint64(len(t.payload))
	if t.fin {
		e++
	}
	return e
}

func newSender(k Kernel) sender {
	return sender{
		w:   window{cwnd: initialWindow, ssthresh: infiniteSSThresh},
		cc:  newCongestion(k.Congestion),
		rto: newRTO(),
	}
}

// pipe is the segments presumed in flight (RFC 6675's pipe, counted as
// Linux's tcp_packets_in_flight).
func (s *sender) pipe() int {
	return len(s.segs) - s.sackedCount - s.lostCount + s.rtxOutCount
}

// buffered is what the send buffer holds: unsent and unacknowledged bytes.
func (s *sender) buffered() int {
	b := len(s.queue)
	for _, t := range s.segs {
		b += len(t.payload)
	}
	return b
}

// nextLost is the first segment marked lost and not yet sent again.
func (s *sender) nextLost() *txSeg {
	if s.lostCount == s.rtxOutCount {
		return nil
	}
	for _, t := range s.segs {
		if t.lost && !t.rtxOut {
			return t
		}
	}
	return nil
}

// restartAfterIdle shrinks a window that has not been used for a
// retransmission timeout or more, halving it per timeout down to the
// initial window (RFC 5681 section 4.1, Linux's tcp_cwnd_restart).
func (s *sender) restartAfterIdle(now time.Time) {
	if len(s.segs) > 0 || s.lastSend.IsZero() {
		return
	}
	idle := now.Sub(s.lastSend)
	rto := s.rto.current()
	if idle <= rto {
		return
	}
	restart := min(initialWindow, s.w.cwnd)
	s.w.ssthresh = max(s.w.ssthresh, 3*s.w.cwnd/4)
	for idle -= rto; idle > 0 && s.w.cwnd > restart; idle -= rto {
		s.w.cwnd /= 2
	}
	s.w.cwnd = max(s.w.cwnd, restart)
}

// output sends what the congestion window, the receiver's window and the
// send buffer allow: segments marked lost first, then new data, then the
// FIN. Runs on the event loop.
func (c *tcpConn) output() {
	if c.state != stateEstablished {
		return
	}
	s := &c.snd
	now := time.Now()
	for s.pipe() < s.w.cwnd || s.fastRetransmit {
		if t := s.nextLost(); t != nil {
			c.retransmit(t, now)
			continue
		}
		s.fastRetransmit = false
		if len(s.queue) > 0 {
			window := s.wnd - int(s.nxt-s.una)
			if window <= 0 {
				if len(s.segs) == 0 {
					c.armTimer() // the persist timer: probe the closed window
				}
				return
			}
			s.restartAfterIdle(now)
			if s.pipe() >= s.w.cwnd {
				return
			}
			size := min(len(s.queue), c.effMSS(), window)
			t := &txSeg{seq: s.nxt, payload: s.queue[:size:size]}
			s.queue = s.queue[size:]
			if len(s.queue) == 0 {
				s.queue = nil
			}
			s.nxt += uint64(size)
			c.push(t, now)
			continue
		}
		if s.finPending && !s.finSent {
			s.finSent = true
			c.push(&txSeg{seq: s.nxt, fin: true}, now)
			s.nxt++
			continue
		}
		return
	}
}

// push sends a new segment and keeps it until it is acknowledged.
func (c *tcpConn) push(t *txSeg, now time.Time) {
	s := &c.snd
	s.segs = append(s.segs, t)
	c.transmit(t, now)
	if s.state == caRecovery {
		s.prrOut++
	}
	if len(s.segs) == 1 {
		c.armTimer()
	}
}

// retransmit sends t again: it was marked lost.
func (c *tcpConn) retransmit(t *txSeg, now time.Time) {
	s := &c.snd
	head := t == s.segs[0]
	if s.retransStamp.IsZero() {
		s.retransStamp = t.sentAt
	}
	t.retrans, t.rtxOut = true, true
	s.rtxOutCount++
	s.totalRetrans++
	if s.state == caRecovery {
		s.prrOut++
	}
	s.fastRetransmit = false
	e := TraceEvent{Kind: EventRetransmit, Reason: t.lostWhy, Packet: c.wireSegment(t).packet()}
	if t.lostWhy == ReasonTimeout {
		e.Wait = s.rto.current()
	}
	c.trace(e)
	c.transmit(t, now)
	// Linux restarts the timer when the first unacknowledged segment goes
	// out again, so that the timeout never fires while its
	// retransmission is still on the way.
	if head && t.lostWhy != ReasonTimeout {
		c.armTimer()
	}
}

// wireSegment is what t looks like on the wire now.
func (c *tcpConn) wireSegment(t *txSeg) *segment {
	seg := &segment{flags: flagACK, seq: t.seq, ack: c.rcv.nxt, wnd: c.window(), payload: t.payload, retrans: t.retrans}
	if t.fin {
		seg.flags |= flagFIN
	}
	seg.sack = c.rcv.blocks()
	return seg
}

// transmit puts t on the wire; the acknowledgement it carries makes a
// delayed one unnecessary.
func (c *tcpConn) transmit(t *txSeg, now time.Time) {
	t.sentAt = now
	c.snd.lastSend = now
	c.rcv.acked()
	c.send(c.wireSegment(t))
}

// acknowledged processes the acknowledgement and SACK blocks a segment
// carries.
func (c *tcpConn) acknowledged(seg *segment) {
	s := &c.snd
	now := time.Now()
	delivered := 0
	advanced := seg.ack > s.una && seg.ack <= s.nxt
	var seqFrom time.Time
	retransAcked := false
	if advanced {
		for len(s.segs) > 0 && s.segs[0].end() <= seg.ack {
			t := s.segs[0]
			s.segs[0] = nil
			s.segs = s.segs[1:]
			if !t.sacked {
				delivered++
				if t.retrans {
					retransAcked = true
				} else if seqFrom.IsZero() {
					seqFrom = t.sentAt
				}
				s.rackDelivered(t, now)
			}
			s.forget(t)
		}
		if len(s.segs) > 0 && s.segs[0].seq < seg.ack {
			// Acknowledged in part, after segments were cut to a smaller
			// MSS and sent again.
			head := *s.segs[0]
			head.payload = head.payload[seg.ack-head.seq:]
			head.seq = seg.ack
			s.segs[0] = &head
		}
		s.una = seg.ack
		s.retries = 0
	}
	newly, sackFrom, latest := s.markSACKed(seg.sack)
	delivered += newly
	if latest != nil {
		s.rackDelivered(latest, now)
	}
	var rtt time.Duration
	switch {
	case !seqFrom.IsZero() && !retransAcked:
		rtt = now.Sub(seqFrom)
	case !sackFrom.IsZero():
		rtt = now.Sub(sackFrom)
	}
	if rtt > 0 {
		s.rto.sample(rtt, s.una, s.nxt)
	}

	if s.state != caOpen && s.una >= s.highSeq {
		s.endRecovery()
	}
	if c.detectLoss(now) > 0 {
		c.lossDetected()
	}
	switch s.state {
	case caRecovery:
		s.prr(delivered)
	default:
		if delivered > 0 {
			s.cc.acked(&s.w, delivered, rtt, now, s.nxt, s.una)
		}
	}

	if advanced {
		if len(s.segs) > 0 {
			c.armTimer()
		} else {
			c.stopTimer()
		}
		signal(c.writable)
		c.maybeDone()
	}
	opened := seg.wnd > s.wnd
	s.wnd = seg.wnd
	if advanced || opened || delivered > 0 || len(s.queue) > 0 || (s.finPending && !s.finSent) {
		c.output()
	}
}

// forget updates the scoreboard's counts for a segment leaving it.
func (s *sender) forget(t *txSeg) {
	if t.sacked {
		s.sackedCount--
	}
	if t.lost {
		s.lostCount--
	}
	if t.rtxOut {
		s.rtxOutCount--
	}
}

// resegment cuts unacknowledged segments larger than the MSS.
func (c *tcpConn) resegment() {
	s := &c.snd
	mss := c.effMSS()
	var out []*txSeg
	for _, t := range s.segs {
		for len(t.payload) > mss {
			head := *t
			head.payload = t.payload[:mss:mss]
			head.fin = false
			out = append(out, &head)
			rest := *t
			rest.payload = t.payload[mss:]
			rest.seq += uint64(mss)
			t = &rest
		}
		out = append(out, t)
	}
	s.segs = out
	s.sackedCount, s.lostCount, s.rtxOutCount = 0, 0, 0
	for _, t := range out {
		if t.sacked {
			s.sackedCount++
		}
		if t.lost {
			s.lostCount++
		}
		if t.rtxOut {
			s.rtxOutCount++
		}
	}
}

// pathMTU handles ICMP "fragmentation needed": lower the MSS and send the
// oversized segments again at once (Linux's tcp_simple_retransmit).
func (c *tcpConn) pathMTU(mtu int) {
	mss := mtu - headerBytes(c.remote.Addr())
	if c.state == stateClosed || mss >= c.effMSS() {
		return
	}
	c.pmtuMSS = mss
	c.trace(TraceEvent{Kind: EventFragmentationNeeded, MTU: mtu, MSS: mss})
	c.cutAndResend(mss, ReasonMTUICMP)
}

// cutAndResend cuts the segments larger than mss and marks them lost,
// to be sent again now, without reducing the window: the path, not
// congestion, lost them (Linux's tcp_simple_retransmit).
func (c *tcpConn) cutAndResend(mss int, why Reason) {
	s := &c.snd
	type span struct{ from, to uint64 }
	var big []span
	for _, t := range s.segs {
		if len(t.payload) > mss && !t.sacked {
			big = append(big, span{t.seq, t.end()})
		}
	}
	c.resegment()
	if len(big) == 0 {
		return
	}
	for _, t := range s.segs {
		for _, b := range big {
			if t.seq >= b.from && t.seq < b.to {
				if t.rtxOut {
					t.rtxOut = false
					s.rtxOutCount--
				}
				s.markLost(t, why)
				t.lostWhy = why
			}
		}
	}
	if s.state != caLoss {
		s.state = caLoss
		s.highSeq = s.nxt
	}
	c.output()
	c.armTimer()
}

// armTimer (re)starts the retransmission timer at the current timeout.
func (c *tcpConn) armTimer() {
	s := &c.snd
	s.timerGen++
	gen := s.timerGen
	wait := s.rto.current()
	if c.state == stateSynSent {
		wait = c.host.kernel.synTimeout(c.synSent - 1)
	}
	c.later(c.n.timerAt(time.Now(), wait), func() {
		if s.timerGen == gen {
			c.expired()
		}
	})
}

func (c *tcpConn) stopTimer() { c.snd.timerGen++ }

// expired handles the retransmission timer: send again, back off, or give
// up.
func (c *tcpConn) expired() {
	s := &c.snd
	switch c.state {
	case stateSynSent:
		if time.Since(c.firstSYN) >= c.host.kernel.synBudget() {
			c.trace(TraceEvent{Kind: EventConnectTimeout, Count: c.synSent})
			c.state = stateClosed
			c.dialDone <- syscall.ETIMEDOUT
			return
		}
		c.trace(TraceEvent{Kind: EventSYNRetransmit, Count: c.synSent})
		c.sendSYN()
		c.armTimer()
	case stateSynReceived:
		s.retries++
		s.rto.expired()
		if s.retries > synAckRetries {
			c.trace(TraceEvent{Kind: EventHandshakeAbandoned, Count: synAckRetries + 1})
			c.fail(syscall.ETIMEDOUT)
			return
		}
		c.sendSYNACK()
		c.armTimer()
	case stateEstablished:
		if len(s.segs) == 0 {
			if len(s.queue) > 0 && s.wnd <= int(s.nxt-s.una) {
				s.rto.expired()
				c.send(&segment{flags: flagACK | flagProbe, seq: s.nxt, ack: c.rcv.nxt, wnd: c.window()})
				c.armTimer()
			}
			return
		}
		s.retries++
		if s.retries > dataRetries {
			c.trace(TraceEvent{Kind: EventConnTimeout, Count: dataRetries})
			c.fail(syscall.ETIMEDOUT)
			return
		}
		if s.retransStamp.IsZero() {
			s.retransStamp = s.segs[0].sentAt
		}
		c.suspectBlackhole()
		s.enterLoss()
		s.rto.expired()
		c.output()
		c.armTimer()
	}
}
