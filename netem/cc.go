package netem

import "time"

// congestion is a congestion control algorithm, in whole segments as
// Linux counts them. The sender owns cwnd and ssthresh; the algorithm
// moves them.
type congestion interface {
	// acked is called for each acknowledgement that delivers segments
	// outside recovery, with the round-trip sample it gave (0 if none) and
	// the sequence number the sender has sent up to.
	acked(w *window, delivered int, rtt time.Duration, now time.Time, sndNxt, sndUna uint64)
	// ssthresh is the threshold after a loss, from the window at the loss.
	ssthresh(w *window) int
	// timeout resets the algorithm after a retransmission timeout.
	timeout()
}

// window is a sender's congestion window and slow-start threshold, in
// segments.
type window struct {
	cwnd, ssthresh int
}

// initialWindow is RFC 6928's ten segments, Linux's default since 3.0.
const initialWindow = 10

const infiniteSSThresh = 1 << 30

func (w *window) inSlowStart() bool { return w.cwnd < w.ssthresh }

// slowStart grows the window by one segment per segment delivered, up to
// ssthresh, and returns what is left of delivered beyond it (Linux's
// tcp_slow_start).
func (w *window) slowStart(delivered int) int {
	c := min(w.cwnd+delivered, w.ssthresh)
	delivered -= c - w.cwnd
	w.cwnd = c
	return delivered
}

func newCongestion(c Congestion) congestion {
	if c == Reno {
		return &reno{}
	}
	return &cubic{}
}

// reno is RFC 5681's congestion avoidance: one segment per window's
// worth of acknowledged segments.
type reno struct{ count int }

func (r *reno) acked(w *window, delivered int, _ time.Duration, _ time.Time, _, _ uint64) {
	if w.inSlowStart() {
		if delivered = w.slowStart(delivered); delivered == 0 {
			return
		}
	}
	r.count += delivered
	if r.count >= w.cwnd {
		r.count -= w.cwnd
		w.cwnd++
	}
}

func (r *reno) ssthresh(w *window) int { return max(w.cwnd/2, 2) }

func (r *reno) timeout() { r.count = 0 }
