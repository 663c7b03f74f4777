package netem

import (
	"math"
	"time"
)

// cubic is RFC 9438 as Linux's tcp_cubic.c has it: the window follows
// W(t) = C (t - K)^3 + Wmax after a loss, with C = 0.4 and beta = 0.7,
// fast convergence, the TCP-friendly region, and HyStart, which leaves slow
// start when the round trip grows (queueing) or when the acknowledgements
// of a round come back as a train longer than half the minimum round trip.
type cubic struct {
	lastMaxCwnd int
	epochStart  time.Time
	originPoint int
	k           float64 // seconds
	tcpCwnd     int     // what Reno would have, for the friendly region
	ackCount    int
	count       int // acknowledged segments towards the next increment
	minDelay    time.Duration

	// HyStart.
	found       bool
	roundStart  time.Time
	lastAck     time.Time
	endSeq      uint64
	currRTT     time.Duration
	sampleCount int
}

const (
	cubicBeta           = 0.7
	cubicC              = 0.4
	hystartLowWindow    = 16
	hystartMinSamples   = 8
	hystartAckDelta     = 2 * time.Millisecond
	hystartDelayMin     = 4 * time.Millisecond
	hystartDelayMax     = 16 * time.Millisecond
	cubicBetaScaleTimes = 15 // Linux's beta_scale: 8*(1024+717)/3/(1024-717)
)

func (c *cubic) acked(w *window, delivered int, rtt time.Duration, now time.Time, sndNxt, sndUna uint64) {
	if rtt > 0 {
		// Delay samples just after a loss say nothing about the path.
		if c.epochStart.IsZero() || now.Sub(c.epochStart) >= time.Second {
			if c.minDelay == 0 || rtt < c.minDelay {
				c.minDelay = rtt
			}
			if !c.found && w.inSlowStart() && w.cwnd >= hystartLowWindow {
				c.hystart(w, rtt, now, sndNxt, sndUna)
			}
		}
	}
	if w.inSlowStart() {
		if sndUna > c.endSeq {
			c.resetRound(now, sndNxt)
		}
		if delivered = w.slowStart(delivered); delivered == 0 {
			return
		}
	}
	cnt := c.update(w, delivered, now)
	c.count += delivered
	if c.count >= cnt {
		c.count = 0
		w.cwnd++
	}
}

// update returns how many acknowledged segments the window waits for
// before it grows by one (Linux's bictcp_update).
func (c *cubic) update(w *window, delivered int, now time.Time) int {
	c.ackCount += delivered
	cwnd := w.cwnd
	if c.epochStart.IsZero() {
		c.epochStart = now
		c.ackCount = delivered
		c.tcpCwnd = cwnd
		if c.lastMaxCwnd <= cwnd {
			c.k = 0
			c.originPoint = cwnd
		} else {
			c.k = math.Cbrt(float64(c.lastMaxCwnd-cwnd) / cubicC)
			c.originPoint = c.lastMaxCwnd
		}
	}
	t := float64(now.Sub(c.epochStart)+c.minDelay) / float64(time.Second)
	offs := float64(t - c.k)
	delta := float64(cubicC * offs * offs * offs)
	target := float64(c.originPoint) + delta
	cnt := 100 * cwnd
	if target > float64(cwnd) {
		cnt = int(float64(cwnd) / float64(target-float64(cwnd)))
	}
	if c.lastMaxCwnd == 0 && cnt > 20 {
		cnt = 20 // five per cent a round trip while the path is unknown
	}
	// The TCP-friendly region: never slower than Reno would be.
	d := cwnd * cubicBetaScaleTimes / 8
	for d > 0 && c.ackCount > d {
		c.ackCount -= d
		c.tcpCwnd++
	}
	if c.tcpCwnd > cwnd {
		if m := cwnd / (c.tcpCwnd - cwnd); cnt > m {
			cnt = m
		}
	}
	return max(cnt, 2)
}

func (c *cubic) ssthresh(w *window) int {
	c.epochStart = time.Time{}
	if w.cwnd < c.lastMaxCwnd {
		// Fast convergence: leave room for a newcomer.
		c.lastMaxCwnd = w.cwnd * (1024 + 717) / 2048
	} else {
		c.lastMaxCwnd = w.cwnd
	}
	return max(w.cwnd*717/1024, 2)
}

func (c *cubic) timeout() {
	*c = cubic{}
}

func (c *cubic) resetRound(now time.Time, sndNxt uint64) {
	c.roundStart, c.lastAck = now, now
	c.endSeq = sndNxt
	c.currRTT = 0
	c.sampleCount = 0
}

// hystart decides whether slow start has gone far enough.
func (c *cubic) hystart(w *window, rtt time.Duration, now time.Time, sndNxt, sndUna uint64) {
	if sndUna > c.endSeq {
		c.resetRound(now, sndNxt)
	}
	// An acknowledgement train as long as half the minimum round trip
	// means the window already fills the path.
	if now.Sub(c.lastAck) <= hystartAckDelta {
		c.lastAck = now
		if now.Sub(c.roundStart) > (c.minDelay+time.Millisecond)/2 {
			c.found = true
			w.ssthresh = w.cwnd
			return
		}
	}
	if c.currRTT == 0 || rtt < c.currRTT {
		c.currRTT = rtt
	}
	if c.sampleCount < hystartMinSamples {
		c.sampleCount++
		return
	}
	thresh := min(max(c.minDelay/8, hystartDelayMin), hystartDelayMax)
	if c.currRTT > c.minDelay+thresh {
		c.found = true
		w.ssthresh = w.cwnd
	}
}
