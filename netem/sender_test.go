package netem

import (
	"net/netip"
	"testing"
	"time"
)

// A sender under test: a connection whose packets go nowhere, driven by
// acknowledgements the test writes, so that one mechanism can be watched
// alone. Call it inside a synctest bubble; the caller holds n.mu while it
// touches the connection.
func testSender(t *testing.T, k Kernel) (*Network, *tcpConn) {
	t.Helper()
	n := New(Config{Seed: 1})
	t.Cleanup(func() { n.Close() })
	h, err := n.AddHost(HostConfig{Name: "sender", Addrs: addrs(clientAddr), Kernel: k})
	if err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	// No host has the remote address: what the sender sends is lost
	// without a trace of its own, and only the test acknowledges.
	c := newConn(h, netip.AddrPortFrom(clientAddr, 40000), netip.AddrPortFrom(netip.MustParseAddr("198.51.100.7"), 25), stateEstablished)
	c.snd.wnd = 1 << 22
	c.snd.rto.sample(150*time.Millisecond, 0, 0)
	return n, c
}

// sendSegments queues k full segments and lets the window send them.
func sendSegments(c *tcpConn, k int) {
	c.snd.queue = make([]byte, k*c.effMSS())
	c.output()
}

// ack is an acknowledgement of everything before una, with SACK blocks
// covering segments [from, to) of the MSS.
func ack(c *tcpConn, una int, sacked ...[2]int) *segment {
	mss := uint64(c.effMSS())
	s := &segment{flags: flagACK, ack: uint64(una) * mss, wnd: 1 << 22}
	for _, b := range sacked {
		s.sack = append(s.sack, sackBlock{uint64(b[0]) * mss, uint64(b[1]) * mss})
	}
	return s
}

// retransmissions returns the trace's retransmissions, by segment number.
func retransmissions(n *Network, mss int) (segs []int, reasons []Reason) {
	for _, e := range n.trace {
		if e.Kind == EventRetransmit {
			segs = append(segs, int(e.Packet.Seq)/mss)
			reasons = append(reasons, e.Reason)
		}
	}
	return segs, reasons
}

// locked runs f with the network's lock held. Never sleep under it: the
// event loop would wait on the lock, which a synctest bubble does not
// count as blocked, and virtual time would stop.
func locked(n *Network, f func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f()
}
