package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"alertsim/netem"
	"alertsim/sim/alert"
)

// TestExplainNamesTheCause: the replay's "why" section ties each failed
// attempt to what the network did meanwhile: for the MTU black hole, the
// oversize segments dropped without ICMP, for every attempt.
func TestExplainNamesTheCause(t *testing.T) {
	res := libraryResult(t, "network/ptz-4g-mtu1500-handshake-blackhole.yaml")
	why := strings.Join(Explain(res), "\n")
	attempts := strings.Count(why, "timeout at tls")
	causes := strings.Count(why, "x dropped: 1500 bytes exceed the path MTU 1428; ICMP is blocked")
	if attempts != len(res.FailureLog) || attempts == 0 || causes != attempts {
		t.Errorf("%d failures, %d explained as timeouts, %d with the black hole as cause:\n%s", len(res.FailureLog), attempts, causes, why)
	}

	if why := Explain(libraryResult(t, "ptz/ptz-gmail-465-motion.yaml")); len(why) != 0 {
		t.Errorf("a clean run explained:\n%s", strings.Join(why, "\n"))
	}
}

// TestExplainCountsEveryDrop: a packet the network drops at a host (a SYN
// to an address nobody has, a datagram to a port nobody listens on) is a
// cause as much as one dropped on a link.
func TestExplainCountsEveryDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netem.New(netem.Config{Seed: 1})
		defer n.Close()
		link := netem.Link{Up: netem.Direction{Delay: 25 * time.Millisecond}, Down: netem.Direction{Delay: 25 * time.Millisecond}}
		camera, err := n.AddHost(netem.HostConfig{Name: "camera", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Link: link})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.AddHost(netem.HostConfig{Name: "dns", Addrs: []netip.Addr{netip.MustParseAddr("198.51.100.53")}}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		q, _ := camera.Dial(context.Background(), "udp", "198.51.100.53:53")
		q.Write([]byte("where is smtp.example.com?"))
		q.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := camera.Dial(ctx, "tcp", "203.0.113.99:25"); err == nil {
			t.Fatal("dialled an address no host has")
		}
		res := &Result{Start: start, Trace: n.Trace(), FailureLog: []alert.Failure{
			{Time: time.Now(), Server: "smtp.example.com:25", Class: alert.ClassConnectTimeout, Stage: "connect", Attempt: 1,
				Conns: []netip.AddrPort{netip.MustParseAddrPort("192.0.2.10:49153")}},
		}}
		// The first SYN and the datagram are dropped at the same instant;
		// the network's event order puts the SYN first. In 10 s a current
		// Linux sends seven SYNs (0, 1, 2, 3, 4, 5 and 7 s, each a little later
		// on the timer wheel: 1.024 s for the first wait).
		got := strings.Join(Explain(res), "\n")
		want := `00:00:10.000  attempt 1 to smtp.example.com:25: connect-timeout at connect
    network: 7 x dropped: no host has 203.0.113.99
      e.g. 00:00:00.025  camera: 192.0.2.10:49153 > 203.0.113.99:25 SYN lost: no host has 203.0.113.99
    network: 1 x dropped: nothing listens on UDP port 53
      e.g. 00:00:00.025  dns: 192.0.2.10:49152 > 198.51.100.53:53 26-byte UDP datagram dropped: nothing listens on UDP port 53
    network: 6 x retransmitted
      e.g. 00:00:01.024  camera: 192.0.2.10:49153 > 203.0.113.99:25 retransmit SYN (1)`
		if got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	})
}

// TestExplainFollowsEachAttemptsConnection: a connection the camera gave
// up on goes on retransmitting in the background; what it suffers then is
// no part of the next attempt's story. Each of the three attempts of the
// MTU black hole is explained by its own connection alone: the drops and
// retransmissions the trace has of that connection up to the failure,
// each example on its own port.
func TestExplainFollowsEachAttemptsConnection(t *testing.T) {
	res := libraryResult(t, "network/ptz-4g-mtu1500-handshake-blackhole.yaml")
	why := strings.Join(Explain(res), "\n")
	attempts := strings.Split(why, "  attempt ")[1:]
	if len(attempts) != 3 || len(res.FailureLog) != 3 {
		t.Fatalf("%d attempts explained, %d failures, want 3:\n%s", len(attempts), len(res.FailureLog), why)
	}
	for i, a := range attempts {
		port := uint16(49152 + i)
		drops, again := 0, 0
		for _, e := range res.Trace {
			if e.Flow.Src.Port() != port || e.At.After(res.FailureLog[i].Time) {
				continue
			}
			switch e.Kind {
			case netem.EventDropped:
				drops++
			case netem.EventRetransmit:
				again++
			}
		}
		if drops == 0 || again == 0 {
			t.Fatalf("attempt %d: the trace has %d drops and %d retransmissions of port %d", i+1, drops, again, port)
		}
		if !strings.Contains(a, fmt.Sprintf("network: %d x dropped: 1500 bytes exceed", drops)) || !strings.Contains(a, fmt.Sprintf("network: %d x retransmitted", again)) {
			t.Errorf("attempt %d is not explained by its own %d drops and %d retransmissions:\n%s", i+1, drops, again, a)
		}
		for _, l := range strings.Split(a, "\n") {
			if strings.Contains(l, "e.g.") && !strings.Contains(l, fmt.Sprintf("192.0.2.10:%d >", port)) {
				t.Errorf("attempt %d is explained by another connection's line: %s", i+1, l)
			}
		}
	}
}

// TestExplainNamesNoSignal: a dial refused for want of a route is the
// cause of an unreachable attempt, and the outage that began it is named.
func TestExplainNamesNoSignal(t *testing.T) {
	why := strings.Join(Explain(libraryResult(t, "network/ptz-4g-no-signal-when-intruder-walks-in.yaml")), "\n")
	for _, want := range []string{
		"attempt 1 to smtp.gmail.com:465: unreachable at connect",
		"network: 1 x no signal: the bearer is gone (no-signal at 5s for 1m30s)",
		"network: 1 x refused at once: network unreachable (no signal)",
	} {
		if !strings.Contains(why, want) {
			t.Errorf("why lacks %q:\n%s", want, why)
		}
	}
}
