package netem

import (
	"testing"
	"time"
)

// TestSlowStartDoublesPerRound: from RFC 6928's ten segments, each segment
// acknowledged adds one, so the window doubles every round trip; past
// ssthresh Reno adds one segment per window.
func TestSlowStartDoublesPerRound(t *testing.T) {
	w := window{cwnd: initialWindow, ssthresh: infiniteSSThresh}
	r := &reno{}
	now := time.Unix(0, 0)
	for round, want := range []int{20, 40, 80} {
		r.acked(&w, w.cwnd, 0, now, 0, 0)
		if w.cwnd != want {
			t.Fatalf("round %d: cwnd %d, want %d", round+1, w.cwnd, want)
		}
	}
	w = window{cwnd: 20, ssthresh: 20}
	for range 20 {
		r.acked(&w, 1, 0, now, 0, 0)
	}
	if w.cwnd != 21 {
		t.Errorf("congestion avoidance: cwnd %d after a window of acknowledgements, want 21", w.cwnd)
	}
}

// TestWindowReductions: a loss leaves CUBIC 0.7 of its window (Reno
// half), and a timeout resets CUBIC's memory of the window it lost at.
func TestWindowReductions(t *testing.T) {
	w := window{cwnd: 100, ssthresh: infiniteSSThresh}
	c := &cubic{}
	if got := c.ssthresh(&w); got != 70 { // 100*717/1024
		t.Errorf("CUBIC ssthresh %d at a window of 100, want 70", got)
	}
	if c.lastMaxCwnd != 100 {
		t.Errorf("CUBIC remembers %d, want the window at the loss, 100", c.lastMaxCwnd)
	}
	w.cwnd = 80 // a second loss below the last maximum: fast convergence
	c.ssthresh(&w)
	if c.lastMaxCwnd != 80*(1024+717)/2048 {
		t.Errorf("fast convergence: remembers %d, want %d", c.lastMaxCwnd, 80*(1024+717)/2048)
	}
	c.timeout()
	if c.lastMaxCwnd != 0 || !c.epochStart.IsZero() {
		t.Errorf("a timeout left CUBIC's state %+v", c)
	}
	if got := (&reno{}).ssthresh(&window{cwnd: 100}); got != 50 {
		t.Errorf("Reno ssthresh %d at a window of 100, want 50", got)
	}
}

// TestCubicGrowsBackToItsMaximum: after a loss CUBIC's window climbs back
// to the window it lost at in K = cbrt(Wmax(1-beta)/C) seconds, slowly
// near it (the plateau), and then ever faster beyond it.
func TestCubicGrowsBackToItsMaximum(t *testing.T) {
	w := window{cwnd: 100, ssthresh: infiniteSSThresh}
	c := &cubic{minDelay: 100 * time.Millisecond}
	w.ssthresh = c.ssthresh(&w)
	w.cwnd = w.ssthresh
	now := time.Unix(1000, 0)
	// K for a drop from 100 to 70: cbrt(30/0.4) = 4.2 s.
	cwndAt := map[time.Duration]int{}
	for step := time.Duration(0); step <= 12*time.Second; step += 100 * time.Millisecond {
		// A round trip's acknowledgements every 100 ms.
		c.acked(&w, w.cwnd, 0, now.Add(step), 0, 0)
		cwndAt[step] = w.cwnd
	}
	if at := cwndAt[4*time.Second]; at < 95 || at > 101 {
		t.Errorf("cwnd %d at 4 s, want near the old maximum 100", at)
	}
	if early, late := cwndAt[time.Second]-cwndAt[0], cwndAt[4500*time.Millisecond]-cwndAt[3500*time.Millisecond]; early <= late {
		t.Errorf("grew %d in the first second and %d around the plateau: not concave", early, late)
	}
	// Beyond the plateau the cubic term takes over: at 12 s the target is
	// 100 + 0.4 (12 - 4.2)^3 = 290, far past what Reno's one segment a
	// round trip would give (about 130).
	if cwndAt[12*time.Second] <= 150 {
		t.Errorf("cwnd %d at 12 s: CUBIC should probe far beyond its old maximum", cwndAt[12*time.Second])
	}
}

// TestHyStartLeavesSlowStartOnDelay: once the round trip of a round grows
// by more than an eighth of the minimum (4 to 16 ms), slow start ends at
// the window it has.
func TestHyStartLeavesSlowStartOnDelay(t *testing.T) {
	w := window{cwnd: 32, ssthresh: infiniteSSThresh}
	c := &cubic{}
	now := time.Unix(1000, 0)
	// A first round at the base round trip, acknowledgements 10 ms apart.
	for i := range 10 {
		c.acked(&w, 1, 100*time.Millisecond, now.Add(time.Duration(i)*10*time.Millisecond), 1000, uint64(i))
	}
	if !w.inSlowStart() {
		t.Fatalf("left slow start at the base round trip (cwnd %d, ssthresh %d)", w.cwnd, w.ssthresh)
	}
	// The next round: 20 ms of queue.
	for i := range 10 {
		c.acked(&w, 1, 120*time.Millisecond, now.Add(time.Second+time.Duration(i)*10*time.Millisecond), 2000, 1001+uint64(i))
	}
	if w.inSlowStart() {
		t.Errorf("still in slow start with 20 ms of queueing (cwnd %d)", w.cwnd)
	}
}
