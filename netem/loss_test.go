package netem

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// lossyTransfer sends size bytes from client to server after switching the
// client's uplink to loss, and returns the trace and when the last byte
// arrived.
func lossyTransfer(t *testing.T, seed uint64, loss Loss, size int) (trace string, took time.Duration, err error) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{Seed: seed})
		defer n.Close()
		link := Link{Up: Direction{Delay: 50 * time.Millisecond, Rate: 2 * Mbps}, Down: Direction{Delay: 50 * time.Millisecond, Rate: 2 * Mbps}}
		client, _ := n.AddHost(HostConfig{Name: "client", Addrs: addrs(clientAddr), Link: link})
		server, _ := n.AddHost(HostConfig{Name: "server", Addrs: addrs(serverAddr)})
		done := sink(server, "25", size)
		c, err2 := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err2 != nil {
			t.Fatal(err2)
		}
		defer c.Close()
		link.Up.Loss = loss
		client.SetLink(link)
		start := time.Now()
		c.Write(make([]byte, size))
		c.SetReadDeadline(start.Add(2 * time.Hour))
		readErr := make(chan error, 1)
		go func() { _, e := c.Read(make([]byte, 1)); readErr <- e }()
		select {
		case at := <-done:
			took = at.Sub(start)
		case err = <-readErr:
			took = time.Since(start)
		}
		trace = traceText(n)
	})
	return trace, took, err
}

func TestLossSameSeedSameTrace(t *testing.T) {
	bursty := Loss{EnterBurst: 0.02, ExitBurst: 0.3, BurstRate: 0.9, Rate: 0.01}
	a, tookA, _ := lossyTransfer(t, 7, bursty, 300_000)
	b, tookB, _ := lossyTransfer(t, 7, bursty, 300_000)
	if a != b || tookA != tookB {
		t.Fatalf("two runs with seed 7 differ: %v vs %v", tookA, tookB)
	}
	if !strings.Contains(a, "lost in a burst") || !strings.Contains(a, "retransmit") {
		t.Fatalf("no burst losses and retransmissions in the trace:\n%s", a)
	}
	if c, _, _ := lossyTransfer(t, 8, bursty, 300_000); c == a {
		t.Error("seed 8 gave the same trace as seed 7")
	}
}

// rtoAfter is the retransmission timeout after one clean RTT sample r
// (Linux: SRTT = r, RTTVAR = max(4 * r/2, 200 ms), RTO = SRTT + RTTVAR in
// whole 4 ms ticks), doubled k times, capped at 120 s.
func rtoAfter(r time.Duration, k int) time.Duration {
	rto := ticks(r + max(2*r, minRTO))
	for range k {
		rto = min(2*rto, maxRTO)
	}
	return rto
}

// backoffEnd is how long after the write k timeouts in a row end: the
// write enters the network a nanosecond late (at the dial's end plus the
// handshake's round trip from the network's start), and each timeout is
// armed where the last fired, rounded up by the timer wheel.
func backoffEnd(k int) time.Duration {
	start := time.Unix(0, 0)
	written := start.Add(handshakeRTT + appDelay + appDelay)
	at := written
	for i := range k {
		at = wheelExpiry(start, at, rtoAfter(handshakeRTT, i))
	}
	return at.Sub(written) + appDelay
}

// The handshake's round trip on the test link: SYN and SYN-ACK, 40 bytes
// each at 2 Mbit/s, 50 ms each way.
const handshakeRTT = 100*time.Millisecond + 2*160*time.Microsecond

// TestBurstLongerThanRetriesTimesOut: a burst that never ends outlasts the
// 15 retransmissions; the connection fails with ETIMEDOUT after the sum of
// the backed-off timeouts.
func TestBurstLongerThanRetriesTimesOut(t *testing.T) {
	trace, took, err := lossyTransfer(t, 1, Loss{EnterBurst: 1, ExitBurst: 0, BurstRate: 1}, 1000)
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("read error %v, want ETIMEDOUT", err)
	}
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error %v is not a timeout net.Error", err)
	}
	want := backoffEnd(dataRetries+1) - 0
	if took != want {
		t.Errorf("gave up after %v, want %v", took, want)
	}
	if got := strings.Count(trace, "lost in a burst"); got != dataRetries+1 {
		t.Errorf("%d packets lost in the burst, want %d:\n%s", got, dataRetries+1, trace)
	}
	if !strings.Contains(trace, "connection timed out: 15 retransmissions unanswered") {
		t.Errorf("the trace does not say why the connection failed:\n%s", trace)
	}
}

// TestShortBurstCostsTheBackoff: a burst of k packets costs the sum of the
// first k timeouts; the test reads k from the trace and predicts the
// arrival to the nanosecond.
func TestShortBurstCostsTheBackoff(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4} {
		trace, took, err := lossyTransfer(t, seed, Loss{EnterBurst: 1, ExitBurst: 0.4, BurstRate: 1}, 1000)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		k := strings.Count(trace, "lost in a burst")
		if k < 1 || k > dataRetries {
			t.Fatalf("seed %d: burst of %d packets; the test needs a short one", seed, k)
		}
		// Each timeout is far longer than a packet's time on the link, so
		// the retransmission that gets through finds the link idle.
		want := backoffEnd(k)
		want += 8 * 1040 * time.Second / time.Duration(2*Mbps) // serialization
		want += 50 * time.Millisecond                          // propagation
		if took != want {
			t.Errorf("seed %d: a burst of %d cost %v, want %v\n%s", seed, k, took, want, trace)
		}
	}
}
