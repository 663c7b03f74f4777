package netem

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// TestNoSignalRefusesAtOnce: with the bearer gone a dial fails at once with
// ENETUNREACH, where a link that is down lets it wait out its SYN retries;
// once the signal is back a dial connects.
func TestNoSignalRefusesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Up: clean, Down: clean, Faults: []Fault{{Kind: FaultNoSignal, At: time.Second, For: time.Minute}}}
		n, client, server := world(t, link, 0)
		serveDiscard(t, server, "25")
		time.Sleep(2 * time.Second)
		start := time.Now()
		_, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if !errors.Is(err, syscall.ENETUNREACH) || time.Since(start) != 0 {
			t.Fatalf("dial without signal: %v after %v; want ENETUNREACH at once", err, time.Since(start))
		}
		// A datagram has no route either (a DNS query).
		u, err := client.Dial(context.Background(), "udp", "203.0.113.25:53")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Write([]byte("query")); !errors.Is(err, syscall.ENETUNREACH) {
			t.Errorf("datagram without signal: %v, want ENETUNREACH", err)
		}
		u.Close()
		wantTrace(t, n, "no signal: the bearer is gone (no-signal at 1s for 1m0s)",
			"192.0.2.10 > 203.0.113.25:25 connect failed at once: network unreachable (no signal)",
			"192.0.2.10 > 203.0.113.25:53 datagram failed at once: network unreachable (no signal)")

		time.Sleep(time.Minute)
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatalf("dial once the signal is back: %v", err)
		}
		c.Close()
		wantTrace(t, n, "signal back: the bearer is up again")
	})
}

// TestNoSignalSilencesOpenConnections: a connection open when the signal
// goes hears nothing until it returns (its packets are lost, and it
// retransmits), then carries on.
func TestNoSignalSilencesOpenConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Up: clean, Down: clean, Faults: []Fault{{Kind: FaultNoSignal, At: time.Second, For: 5 * time.Second}}}
		n, client, server := world(t, link, 0)
		done := sink(server, "25", 1_000_000)
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write(make([]byte, 1_000_000))
		if at := (<-done).Sub(n.start); at < 6*time.Second {
			t.Errorf("transfer done at %v, before the signal came back at 6s", at)
		}
		wantTrace(t, n, "dropped on client uplink: no signal", "retransmit")
	})
}

// TestNoSignalTraceOrderAtTheSameInstant: a dial at the very instant the
// signal goes is refused, and the trace says the signal went first, on
// every run, whichever of the dialling goroutine and the event loop ran
// first at that instant.
func TestNoSignalTraceOrderAtTheSameInstant(t *testing.T) {
	for range 20 {
		synctest.Test(t, func(t *testing.T) {
			link := Link{Up: clean, Down: clean, Faults: []Fault{{Kind: FaultNoSignal, At: time.Second, For: time.Minute}}}
			n, client, _ := world(t, link, 0)
			time.Sleep(time.Second)
			if _, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25"); !errors.Is(err, syscall.ENETUNREACH) {
				t.Fatalf("dial at the instant the signal goes: %v", err)
			}
			time.Sleep(time.Millisecond) // the event loop has done the instant's work
			var kinds []EventKind
			for _, e := range n.Trace() {
				kinds = append(kinds, e.Kind)
			}
			if len(kinds) != 2 || kinds[0] != EventLinkDown || kinds[1] != EventUnreachable {
				t.Errorf("trace kinds %v, want the signal gone, then the refusal", kinds)
			}
		})
	}
}
