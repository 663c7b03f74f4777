package netem

import (
	"testing"
	"time"
)

// TestRTOAsLinux: the first sample r gives r + max(2r, 200 ms) in whole
// 4 ms ticks (three round trips on a long path); steady samples bring it
// down to SRTT + 200 ms, never below; each expiry doubles it up to 120 s;
// a fresh sample ends the backoff.
func TestRTOAsLinux(t *testing.T) {
	e := newRTO()
	if e.current() != time.Second {
		t.Fatalf("initial RTO %v, want 1s", e.current())
	}
	e.sample(150*time.Millisecond, 0, 0)
	if got := e.current(); got != 452*time.Millisecond {
		t.Errorf("after one 150 ms sample: %v, want 150 + 300 ms in 4 ms ticks = 452ms", got)
	}
	e2 := newRTO()
	e2.sample(20*time.Millisecond, 0, 0)
	if got := e2.current(); got != 220*time.Millisecond {
		t.Errorf("after one 20 ms sample: %v, want 20 + 200 ms", got)
	}
	// Many round trips of the same sample: the deviation decays to the
	// 200 ms floor.
	for i := range uint64(200) {
		e.sample(150*time.Millisecond, i*10, i*10+10)
	}
	if got := e.current(); got != 352*time.Millisecond {
		t.Errorf("steady 150 ms: %v, want 150 + 200 ms in ticks = 352ms", got)
	}
	for k, want := range []time.Duration{704 * time.Millisecond, 1408 * time.Millisecond, 2816 * time.Millisecond} {
		e.expired()
		if got := e.current(); got != want {
			t.Errorf("after %d expiries: %v, want %v", k+1, got, want)
		}
	}
	for range 20 {
		e.expired()
	}
	if got := e.current(); got != maxRTO {
		t.Errorf("backed off to %v, want the 120 s cap", got)
	}
	e.sample(150*time.Millisecond, 5000, 5010)
	if got := e.current(); got > time.Second {
		t.Errorf("a fresh sample left the backoff: %v", got)
	}
}

// TestTimerWheel: a timer never fires early and is rounded up to its
// level's granularity, as Linux's (HZ=250: 4 ms jiffies; 32 ms beyond
// 252 ms, 256 ms beyond 2.016 s).
func TestTimerWheel(t *testing.T) {
	start := time.Unix(0, 0)
	for _, tc := range []struct{ now, wait, want time.Duration }{
		{0, 40 * time.Millisecond, 44 * time.Millisecond}, // level 0: the next jiffy
		{0, time.Second, 1024 * time.Millisecond},         // level 1: 8 jiffies
		{0, 3 * time.Second, 3072 * time.Millisecond},     // level 2: 64 jiffies
		{10 * time.Millisecond, 450 * time.Millisecond, 480 * time.Millisecond},
	} {
		got := wheelExpiry(start, start.Add(tc.now), tc.wait).Sub(start)
		if got != tc.want {
			t.Errorf("armed at %v for %v: fires at %v, want %v", tc.now, tc.wait, got, tc.want)
		}
		if got < tc.now+tc.wait {
			t.Errorf("armed at %v for %v: fires early, at %v", tc.now, tc.wait, got)
		}
	}
}
