package netem

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"
)

// TestCalibration: on loss-free links with room in their buffers, a
// transfer takes the time the arithmetic says, within 3%, for every
// profile and for payloads from 1 KB to 3 MB. The device's MTU is set to
// the path MTU, as a well-configured device has it, so no packet is too
// big.
//
// From the start of the dial to the last byte reaching the server:
//
//	T = RTT                      SYN up, SYN-ACK down (the handshake)
//	  + 8*(40+40)/up             the SYN and the ACK that completes it, serialized up
//	  + 8*40/down                the SYN-ACK serialized down
//	  + 8*(N + 40*S)/up          the payload and one 40-byte header per segment
//	  + sum over slow-start rounds k of max(0, RTT + s - W_k*s)
//	                             the link idle between rounds: round k sends
//	                             W_k = 10*2^k segments of s seconds each, and
//	                             the next begins when the first of them is
//	                             acknowledged; the rounds end when one fills
//	                             the path or the data runs out
//	  + RTT/2                    propagation of the last segment
//
// with MSS = MTU - 40, S = ceil(N/MSS) segments and s = 8*(MSS+40)/up.
// The server's own link is ideal.
func TestCalibration(t *testing.T) {
	for _, p := range Profiles() {
		for _, size := range []int{1_000, 100_000, 3_000_000} {
			t.Run(fmt.Sprintf("%s/%dB", p.Name, size), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p.Loss = Loss{}
					p.Buffer = 0
					mtu := 1500
					if p.PathMTU > 0 {
						mtu = p.PathMTU
					}
					_, client, server := world(t, p.Link(), mtu)
					done := sink(server, "25", size)
					start := time.Now()
					c, err := client.Dial(context.Background(), "tcp", netip.AddrPortFrom(serverAddr, 25).String())
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					if _, err := c.Write(make([]byte, size)); err != nil {
						t.Fatal(err)
					}
					got := (<-done).Sub(start)
					want := calibrated(p, mtu, size)
					diff := (got.Seconds() - want) / want
					t.Logf("took %.6f s, arithmetic %.6f s (%+.3f%%)", got.Seconds(), want, 100*diff)
					if diff > 0.03 || diff < -0.03 {
						t.Errorf("%s, %d bytes: took %.4f s, the arithmetic says %.4f s (%+.1f%%)", p.Name, size, got.Seconds(), want, 100*diff)
					}
				})
			})
		}
	}
}

// calibrated is TestCalibration's formula, in seconds.
func calibrated(p Profile, mtu, size int) float64 {
	mss := mtu - 40
	segments := (size + mss - 1) / mss
	bits := func(bytes int) float64 { return float64(8 * bytes) }
	rtt := p.RTT.Seconds()
	s := bits(mss+40) / float64(p.Up)
	idle := 0.0
	for w, left := initialWindow, segments; left > w; w *= 2 {
		busy := float64(w) * s
		if busy >= rtt+s {
			break
		}
		idle += rtt + s - busy
		left -= w
	}
	return rtt +
		bits(80)/float64(p.Up) + bits(40)/float64(p.Down) +
		bits(size+40*segments)/float64(p.Up) +
		idle +
		rtt/2
}
