package netem

import "time"

// rtoEstimator is the round-trip estimate and retransmission timeout of
// one sender, as Linux's tcp_rtt_estimator computes them. The timeout is
// SRTT + RTTVAR, where RTTVAR is at least 200 ms and follows the largest
// deviation of the last round trip: in effect SRTT + max(4*deviation,
// 200 ms), not RFC 6298's max(SRTT + 4*RTTVAR, 200 ms). The difference
// matters on a long path: at 150 ms the RFC's figure lets the timer fire
// while a retransmission is still on its way; Linux keeps 200 ms of margin
// above the round trip, and forgets a large deviation only once a round
// trip has passed without one.
type rtoEstimator struct {
	srtt    time.Duration
	mdev    time.Duration // mean deviation, times 4 as Linux keeps it
	mdevMax time.Duration // the largest mdev this round trip
	rttvar  time.Duration // at least minRTO
	rttSeq  uint64        // the round trip ends when this is acknowledged
	minRTT  time.Duration // the smallest sample, for RACK's window
	known   bool
	rto     time.Duration // before backoff
	backoff int           // doublings since the last fresh sample
}

const (
	initialRTO = time.Second
	minRTO     = 200 * time.Millisecond
	maxRTO     = 120 * time.Second
	// jiffy is the kernel's timer tick at HZ=250 (Debian's and most
	// distributions' default): timeouts are whole ticks, rounded up.
	jiffy = 4 * time.Millisecond
)

func newRTO() rtoEstimator { return rtoEstimator{rto: initialRTO} }

// sample takes one round-trip measurement (never of a retransmitted
// segment: Karn's rule is the caller's) and, as RFC 6298 says, clears the
// backoff. una and nxt are the sender's, to tell when a round trip ends.
func (e *rtoEstimator) sample(r time.Duration, una, nxt uint64) {
	if r <= 0 {
		r = time.Microsecond
	}
	if !e.known {
		e.known = true
		e.srtt, e.minRTT = r, r
		e.mdev = 2 * r // 4 * r/2: the first timeout is three round trips
		e.rttvar = max(e.mdev, minRTO)
		e.mdevMax = e.rttvar
		e.rttSeq = nxt
	} else {
		e.minRTT = min(e.minRTT, r)
		m := r - e.srtt
		e.srtt += m / 8
		if m < 0 {
			// A sample below the average moves the deviation less.
			m = -m - e.mdev/4
			if m > 0 {
				m /= 8
			}
		} else {
			m -= e.mdev / 4
		}
		e.mdev += m
		if e.mdev > e.mdevMax {
			e.mdevMax = e.mdev
			e.rttvar = max(e.rttvar, e.mdevMax)
		}
		if una > e.rttSeq {
			if e.mdevMax < e.rttvar {
				e.rttvar -= (e.rttvar - e.mdevMax) / 4
			}
			e.rttSeq = nxt
			e.mdevMax = minRTO
		}
	}
	e.rto = min(ticks(e.srtt+e.rttvar), maxRTO)
	e.backoff = 0
}

// ticks rounds d up to whole jiffies.
func ticks(d time.Duration) time.Duration { return (d + jiffy - 1) / jiffy * jiffy }

// current is the timeout to arm now: the estimate, doubled per backoff.
func (e *rtoEstimator) current() time.Duration {
	d := e.rto
	for range e.backoff {
		d = min(2*d, maxRTO)
		if d == maxRTO {
			break
		}
	}
	return d
}

// expired doubles the timeout for the next expiry.
func (e *rtoEstimator) expired() { e.backoff++ }
