package netem

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestDupAckThreshold: three segments SACKed above a hole make it lost at
// once (fast retransmit, RFC 5681's three duplicate acknowledgements), and
// only it is sent again.
func TestDupAckThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, c := testSender(t, Kernel{})
		locked(n, func() { sendSegments(c, 10) })
		time.Sleep(150 * time.Millisecond)
		n.mu.Lock()
		defer n.mu.Unlock()
		c.acknowledged(ack(c, 0, [2]int{1, 3})) // two above the hole
		if c.snd.lostCount != 0 {
			t.Fatalf("two SACKed segments marked the hole lost at once; RACK waits for its window")
		}
		c.acknowledged(ack(c, 0, [2]int{1, 4})) // three
		segs, reasons := retransmissions(n, c.effMSS())
		if !slices.Equal(segs, []int{0}) || reasons[0] != ReasonDupAcks {
			t.Fatalf("retransmitted %v for %v, want segment 0 for three SACKed above it", segs, reasons)
		}
		if c.snd.state != caRecovery {
			t.Errorf("state %v, want recovery", c.snd.state)
		}
	})
}

// TestReorderWindow: one segment SACKed above a hole makes it lost a
// quarter of the minimum round trip later (RACK, RFC 8985), not before.
func TestReorderWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, c := testSender(t, Kernel{})
		n.mu.Lock()
		sendSegments(c, 2)
		sent := time.Now()
		n.mu.Unlock()
		time.Sleep(150 * time.Millisecond)
		n.mu.Lock()
		c.acknowledged(ack(c, 0, [2]int{1, 2}))
		n.mu.Unlock()
		time.Sleep(time.Second)
		n.mu.Lock()
		defer n.mu.Unlock()
		var at time.Duration
		for _, e := range n.trace {
			if e.Kind == EventRetransmit {
				at = e.At.Sub(sent)
				if e.Reason != ReasonReorder {
					t.Errorf("retransmitted for %v, want the reorder window", e.Reason)
				}
				break
			}
		}
		// Sent at 0, the later one delivered after 150 ms: lost at
		// 150 ms + 150/4 ms, on the timer wheel with TCP_TIMEOUT_MIN.
		acked := sent.Add(150 * time.Millisecond)
		if want := wheelExpiry(n.start, acked, 150*time.Millisecond/4+timerMin).Sub(sent); at != want {
			t.Errorf("hole retransmitted %v after it was sent, want %v", at, want)
		}
	})
}

// TestRecoverGuard: a second hole found in the same window during
// recovery is repaired without reducing the window again (RFC 6582's
// recover); once the window is acknowledged, a new loss may start a new
// recovery.
func TestRecoverGuard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, c := testSender(t, Kernel{})
		locked(n, func() { sendSegments(c, 10) })
		time.Sleep(150 * time.Millisecond)
		n.mu.Lock()
		defer n.mu.Unlock()
		c.acknowledged(ack(c, 0, [2]int{1, 4}))
		first := c.snd.w.ssthresh
		if first != 7 {
			t.Fatalf("ssthresh %d after the first loss of a window of 10, want 7 (CUBIC's 0.7)", first)
		}
		// Segment 4 is missing too: SACKs of 5-7 show it.
		c.acknowledged(ack(c, 0, [2]int{1, 4}, [2]int{5, 8}))
		if segs, _ := retransmissions(n, c.effMSS()); !slices.Equal(segs, []int{0, 4}) {
			t.Errorf("retransmitted %v, want 0 then 4", segs)
		}
		if c.snd.w.ssthresh != first || c.snd.state != caRecovery {
			t.Errorf("ssthresh %d in state %v after the second hole, want %d, still one recovery", c.snd.w.ssthresh, c.snd.state, first)
		}
		// Everything up to highSeq acknowledged: recovery ends at ssthresh.
		c.acknowledged(ack(c, 10))
		if c.snd.state != caOpen || c.snd.w.cwnd < first {
			t.Errorf("state %v, cwnd %d after the window was acknowledged, want open at %d", c.snd.state, c.snd.w.cwnd, first)
		}
	})
}

// TestTimeoutSparesSACKedSegments: after a retransmission timeout only
// what the receiver lacks is sent again, the head first, alone.
func TestTimeoutSparesSACKedSegments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, c := testSender(t, Kernel{})
		n.mu.Lock()
		sendSegments(c, 10)
		n.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		n.mu.Lock()
		// SACKs of 3-9 arrive within the reorder window's reach, and
		// then nothing more: RACK repairs 0-2, whose retransmissions
		// are lost too, and the timer fires.
		c.acknowledged(ack(c, 0, [2]int{3, 10}))
		n.mu.Unlock()
		time.Sleep(2 * time.Second)
		n.mu.Lock()
		defer n.mu.Unlock()
		// The timeout's retransmission of the head arrives: the window
		// opens and what else is missing follows.
		c.acknowledged(ack(c, 1, [2]int{3, 10}))
		c.acknowledged(ack(c, 3, [2]int{3, 10}))
		segs, reasons := retransmissions(n, c.effMSS())
		for _, s := range segs {
			if s >= 3 {
				t.Fatalf("retransmitted %v: segment %d was SACKed", segs, s)
			}
		}
		if !slices.Contains(reasons, ReasonTimeout) {
			t.Fatalf("no timeout in %v", reasons)
		}
		if !slices.Contains(segs, 2) {
			t.Errorf("retransmitted %v after the head was acknowledged: segment 2 is still missing", segs)
		}
		if c.snd.state != caLoss {
			t.Errorf("state %v after the timeout, want loss until the window is acknowledged", c.snd.state)
		}
	})
}

// TestTimerRestartsWithTheHead: when the first unacknowledged segment is
// sent again by fast retransmit, the retransmission timer starts again
// from then, so that it cannot fire while the retransmission is on its
// way (Linux's tcp_xmit_retransmit_queue).
func TestTimerRestartsWithTheHead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, c := testSender(t, Kernel{})
		n.mu.Lock()
		sendSegments(c, 10)
		n.mu.Unlock()
		time.Sleep(300 * time.Millisecond)
		n.mu.Lock()
		c.acknowledged(ack(c, 0, [2]int{1, 4}))
		fast := time.Now()
		rto := c.snd.rto.current()
		n.mu.Unlock()
		time.Sleep(10 * time.Second)
		n.mu.Lock()
		defer n.mu.Unlock()
		for _, e := range n.trace {
			if e.Kind == EventRetransmit && e.Reason == ReasonTimeout {
				if got, want := e.At, wheelExpiry(n.start, fast, rto); !got.Equal(want) {
					t.Errorf("timeout %v after the fast retransmission, want its RTO %v on the timer wheel: %v", got.Sub(fast), rto, want.Sub(fast))
				}
				return
			}
		}
		t.Error("no timeout")
	})
}

// TestTimeoutWindowIsOne: after a retransmission timeout the window is one
// segment, so only the head is sent again until it is acknowledged
// (RFC 5681 section 3.1, Linux's tcp_enter_loss), however many were
// outstanding.
func TestTimeoutWindowIsOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, c := testSender(t, Kernel{})
		n.mu.Lock()
		sendSegments(c, 10)
		n.mu.Unlock()
		// Nothing is ever acknowledged: the timer fires, and fires again
		// twice as late, each time sending the head alone.
		time.Sleep(1500 * time.Millisecond)
		n.mu.Lock()
		defer n.mu.Unlock()
		segs, reasons := retransmissions(n, c.effMSS())
		if len(segs) == 0 {
			t.Fatal("no timeout in 1.5 s")
		}
		for i, seg := range segs {
			if seg != 0 || reasons[i] != ReasonTimeout {
				t.Fatalf("retransmitted %v for %v; want the head alone at each timeout", segs, reasons)
			}
		}
		if c.snd.w.cwnd != 1 {
			t.Errorf("cwnd %v after a timeout, want 1", c.snd.w.cwnd)
		}
	})
}
