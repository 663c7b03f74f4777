package netem

import (
	"context"
	"io"
	"testing"
	"testing/synctest"
	"time"
)

// upload750 sends 1 MB from a device on 750 kbit/s, 150 ms, with a 256 KB
// buffer (the fidelity rig's link), losing the given segments once, and
// returns when the server had it all and the network.
func upload750(t *testing.T, lose ...int64) (time.Duration, []TraceEvent) {
	var took time.Duration
	var trace []TraceEvent
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{Seed: 1})
		defer n.Close()
		d := Direction{Delay: 75 * time.Millisecond, Rate: 750 * Kbps, Queue: 256 << 10}
		up := d
		up.Lose = lose
		client, _ := n.AddHost(HostConfig{Name: "client", Addrs: addrs(clientAddr), Link: Link{Up: up, Down: d}})
		server, _ := n.AddHost(HostConfig{Name: "server", Addrs: addrs(serverAddr)})
		done := sink(server, "25", 1_000_000)
		start := time.Now()
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write(make([]byte, 1_000_000))
		took = (<-done).Sub(start)
		trace = n.Trace()
	})
	return took, trace
}

// TestNoSpuriousCascade: one segment lost in the middle of a 1 MB upload
// at 150 ms costs one retransmission and about its own time on the link
// (Linux: +16 ms, make fidelity), and back-to-back losses one each; no
// timeout fires, nothing is sent twice that arrived.
func TestNoSpuriousCascade(t *testing.T) {
	base, _ := upload750(t)
	for _, lose := range [][]int64{{342 * 1460}, {342 * 1460, 343 * 1460, 344 * 1460}} {
		took, trace := upload750(t, lose...)
		retrans := 0
		for _, e := range trace {
			if e.Kind == EventRetransmit {
				retrans++
				if e.Reason == ReasonTimeout {
					t.Errorf("a retransmission timeout with %d losses: %s", len(lose), e.Text())
				}
			}
		}
		if retrans != len(lose) {
			t.Errorf("%d losses, %d retransmissions", len(lose), retrans)
		}
		// Each retransmission takes its 16 ms on the link again.
		if extra := took - base; extra > time.Duration(len(lose))*20*time.Millisecond {
			t.Errorf("%d losses added %v to %v", len(lose), extra, base)
		}
	}
}

// TestBufferInflatesTheRoundTrip: an upload into a 100 KB bottleneck
// buffer at 750 kbit/s fills it, so the sender's smoothed round trip grows
// from 150 ms towards 150 ms + 100 KB / 750 kbit/s = 1.24 s (Linux: 1.22 s
// at its peak, make fidelity), and the buffer drops what does not fit.
func TestBufferInflatesTheRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{Seed: 1})
		defer n.Close()
		d := Direction{Delay: 75 * time.Millisecond, Rate: 750 * Kbps, Queue: 100 << 10}
		client, _ := n.AddHost(HostConfig{Name: "client", Addrs: addrs(clientAddr), Link: Link{Up: d, Down: d}})
		server, _ := n.AddHost(HostConfig{Name: "server", Addrs: addrs(serverAddr)})
		l, _ := server.Listen("tcp", ":25")
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				io.Copy(io.Discard, c)
				c.Close()
			}
		}()
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		go c.Write(make([]byte, 2_000_000))
		var peak time.Duration
		for range 100 {
			time.Sleep(100 * time.Millisecond)
			info, _ := ConnInfo(c)
			peak = max(peak, info.SRTT)
		}
		if peak < 1150*time.Millisecond || peak > 1300*time.Millisecond {
			t.Errorf("peak smoothed round trip %v, want about 1.24 s", peak)
		}
		full := false
		for _, e := range n.Trace() {
			full = full || e.Reason == ReasonQueueFull
		}
		if !full {
			t.Error("the buffer never overflowed")
		}
	})
}
