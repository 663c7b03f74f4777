package netem

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

var clean = Direction{Delay: 25 * time.Millisecond, Rate: 2 * Mbps}

// TestFilteredPortTimesOutAfterSYNSchedule: an ISP filtering port 25 makes
// the SYNs vanish. Linux >= 6.5 waits 1 s after each of the first five and
// then doubles, sending eleven in the 127 s that tcp_syn_retries = 6
// allows, and gives up at the next timeout; older kernels double from the
// first, seven SYNs. The timer wheel makes each wait a little longer
// (1.024 s for 1 s), so the last is at 70 s and the end at 135 s (Linux
// 6.18, make fidelity, with four retries: 35.5 s; the table, with
// six: 135 s).
func TestFilteredPortTimesOutAfterSYNSchedule(t *testing.T) {
	for _, tc := range []struct {
		kernel Kernel
		syns   string
		giveUp time.Duration
	}{
		{Kernel{}, "0s 1s 2s 3s 4s 5s 7s 11s 19s 36s 1m10s", 135168 * time.Millisecond},
		{Kernel{ExponentialSYN: true}, "0s 1s 3s 7s 15s 31s 1m6s", 131072 * time.Millisecond},
		{Kernel{SYNRetries: 4}, "0s 1s 2s 3s 4s 5s 7s 11s 19s", 35584 * time.Millisecond},
	} {
		t.Run(tc.kernel.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := New(Config{Seed: 1})
				defer n.Close()
				client, _ := n.AddHost(HostConfig{Name: "client", Addrs: addrs(clientAddr), Link: Link{Up: clean, Down: clean, BlockedPorts: []uint16{25}}, Kernel: tc.kernel})
				server, _ := n.AddHost(HostConfig{Name: "server", Addrs: addrs(serverAddr)})
				l, _ := server.Listen("tcp", ":25")
				defer l.Close()
				start := time.Now()
				_, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
				if !errors.Is(err, syscall.ETIMEDOUT) {
					t.Fatalf("dial error %v, want ETIMEDOUT", err)
				}
				if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
					t.Errorf("dial error %v is not a timeout", err)
				}
				if d := time.Since(start); d != tc.giveUp {
					t.Errorf("gave up after %v, want %v", d, tc.giveUp)
				}
				var at []string
				for _, e := range n.Trace() {
					if e.Kind == EventDropped && e.Reason == ReasonPortFiltered && e.Packet.Kind == PacketSYN && e.Hop == "client uplink" {
						at = append(at, e.At.Sub(start).Round(time.Second).String())
					}
				}
				if got := strings.Join(at, " "); got != tc.syns {
					t.Errorf("SYNs filtered at %s, want %s", got, tc.syns)
				}
				// Another port of the same server is reachable.
				l2, _ := server.Listen("tcp", ":587")
				defer l2.Close()
				go func() {
					if c, err := l2.Accept(); err == nil {
						c.Close()
					}
				}()
				c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:587")
				if err != nil {
					t.Fatalf("port 587: %v", err)
				}
				c.Close()
			})
		})
	}
}

// TestDialTimeoutFromContext: a device's own connect timeout ends the dial
// first, with a timeout error.
func TestDialTimeoutFromContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, client, _ := world(t, Link{Up: clean, Down: clean, BlockedPorts: []uint16{25}}, 0)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		_, err := client.Dial(ctx, "tcp", "203.0.113.25:25")
		if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != 30*time.Second {
			t.Fatalf("dial: %v after %v; want a timeout after 30s", err, time.Since(start))
		}
	})
}

// serveDiscard accepts one connection and reads it to the end.
func serveDiscard(t *testing.T, server *Host, port string) {
	t.Helper()
	l, err := server.Listen("tcp", ":"+port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		io.Copy(io.Discard, c)
		c.Close()
	}()
}

// TestOutageDuringData: the link goes down while a message is being sent;
// the client's own timeout fires and the trace shows the outage.
func TestOutageDuringData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Up: clean, Down: clean, Faults: []Fault{{Kind: FaultDown, At: 2 * time.Second, For: time.Minute}}}
		n, client, server := world(t, link, 0)
		serveDiscard(t, server, "25")
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// 1 MB takes 4 s at 2 Mbit/s: the outage starts halfway.
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write(make([]byte, 1_000_000))
		_, err = c.Read(make([]byte, 1)) // waiting for the reply to DATA
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v, want the client's deadline", err)
		}
		wantTrace(t, n, "link down (down at 2s for 1m0s)", "dropped on client uplink: link down")
	})
}

// TestOutageShorterThanRetriesHeals: after the link comes back, the
// retransmission timer delivers the rest.
func TestOutageShorterThanRetriesHeals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Up: clean, Down: clean, Faults: []Fault{{Kind: FaultDown, At: time.Second, For: 5 * time.Second}}}
		n, client, server := world(t, link, 0)
		done := sink(server, "25", 1_000_000)
		c, _ := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		defer c.Close()
		c.Write(make([]byte, 1_000_000))
		if at := (<-done).Sub(n.start); at < 6*time.Second || at > 30*time.Second {
			t.Errorf("transfer done at %v; the outage ends at 6s", at)
		}
		wantTrace(t, n, "link up again")
	})
}

func TestResetFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Up: clean, Down: clean, Faults: []Fault{{Kind: FaultReset, At: 3 * time.Second}}}
		n, client, server := world(t, link, 0)
		l, _ := server.Listen("tcp", ":25")
		defer l.Close()
		serverErr := make(chan error, 1)
		go func() {
			c, _ := l.Accept()
			_, err := c.Read(make([]byte, 1))
			serverErr <- err
			c.Close()
		}()
		c, _ := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		defer c.Close()
		_, err := c.Read(make([]byte, 1))
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client read: %v, want a reset", err)
		}
		if err := <-serverErr; !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("server read: %v, want a reset", err)
		}
		if time.Since(n.start) != 3*time.Second {
			t.Errorf("reset at %v, want 3s", time.Since(n.start))
		}
	})
}

// TestStallHangsTheConnection: handshakes pass, data does not.
func TestStallHangsTheConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Up: clean, Down: clean, Faults: []Fault{{Kind: FaultStall}}}
		n, client, server := world(t, link, 0)
		serveDiscard(t, server, "25")
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatalf("dial through a stalled link: %v", err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Minute))
		c.Write([]byte("EHLO camera\r\n"))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v", err)
		}
		wantTrace(t, n, "dropped on client uplink: link stalled")
	})
}

// TestCutAfterBytes: the connection is reset once the byte budget is spent.
func TestCutAfterBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Up: clean, Down: clean, Faults: []Fault{{Kind: FaultCut, Bytes: 50_000}}}
		n, client, server := world(t, link, 0)
		l, _ := server.Listen("tcp", ":25")
		defer l.Close()
		got := make(chan int64, 1)
		go func() {
			c, _ := l.Accept()
			k, _ := io.Copy(io.Discard, c)
			got <- k
			c.Close()
		}()
		c, _ := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		defer c.Close()
		c.Write(make([]byte, 200_000))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client read: %v, want a reset", err)
		}
		if k := <-got; k > 50_000 {
			t.Errorf("server received %d bytes, more than the 50000 allowed", k)
		}
		wantTrace(t, n, "connection cut after 50000 bytes")
	})
}

// TestSlowClose: the FIN reaches the other end late.
func TestSlowClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Up: clean, Down: clean, Faults: []Fault{{Kind: FaultSlowClose, Delay: 20 * time.Second}}}
		_, client, server := world(t, link, 0)
		l, _ := server.Listen("tcp", ":25")
		defer l.Close()
		eof := make(chan time.Duration, 1)
		go func() {
			c, _ := l.Accept()
			start := time.Now()
			io.Copy(io.Discard, c)
			eof <- time.Since(start)
			c.Close()
		}()
		c, _ := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		c.Close()
		if d := <-eof; d < 20*time.Second {
			t.Errorf("server saw the close after %v, want at least 20s", d)
		}
	})
}

// TestNATForgetsIdleConnection: after the NAT's idle timeout, the server's
// next packet is dropped and the device's next one gets a reset.
func TestNATForgetsIdleConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Up: clean, Down: clean, NATIdleTimeout: 5 * time.Minute}
		n, client, server := world(t, link, 0)
		l, _ := server.Listen("tcp", ":25")
		defer l.Close()
		go func() {
			c, _ := l.Accept()
			time.Sleep(10 * time.Minute) // the server thinks a long time
			c.Write([]byte("250 OK\r\n"))
			io.Copy(io.Discard, c)
			c.Close()
		}()
		c, _ := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		defer c.Close()
		time.Sleep(11 * time.Minute)
		c.Write([]byte("QUIT\r\n"))
		if _, err := c.Read(make([]byte, 8)); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("read after the mapping expired: %v, want a reset", err)
		}
		wantTrace(t, n, "dropped on client downlink: NAT mapping expired after 5m0s idle", "the NAT forgot the idle connection")
	})
}

// TestDownlinkQueueDrops: a burst larger than a downlink's queue loses
// packets, which are sent again.
func TestDownlinkQueueDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Down: Direction{Delay: 25 * time.Millisecond, Rate: 1 * Mbps, Queue: 20_000}}
		n, client, server := world(t, link, 0)
		l, _ := server.Listen("tcp", ":25")
		defer l.Close()
		go func() {
			c, _ := l.Accept()
			c.Write(make([]byte, 100_000))
			c.Close()
		}()
		c, _ := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		defer c.Close()
		k, err := io.Copy(io.Discard, c)
		if err != nil || k != 100_000 {
			t.Fatalf("received %d bytes, %v", k, err)
		}
		wantTrace(t, n, "queue full (20000 bytes)")
	})
}

// TestJitterKeepsOrder: jitter varies arrival times but never reorders.
// It watches UDP datagrams, which nothing puts back in order on the way
// up (TCP's reassembly would hide a reordering link): they must be read in
// the order they were sent, each no earlier than its jitter-free arrival
// and no more than the jitter later.
func TestJitterKeepsOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const jitter = 30 * time.Millisecond
		link := Link{Up: Direction{Delay: 20 * time.Millisecond, Jitter: jitter, Rate: 10 * Mbps}}
		_, client, server := world(t, link, 0)
		srv, err := server.ListenPacket("udp", ":9000")
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		const count = 200
		type arrival struct {
			seq int
			at  time.Time
		}
		got := make(chan []arrival, 1)
		go func() {
			var out []arrival
			buf := make([]byte, 16)
			for len(out) < count {
				k, _, err := srv.ReadFrom(buf)
				if err != nil || k != 4 {
					break
				}
				out = append(out, arrival{int(binary.BigEndian.Uint32(buf)), time.Now()})
			}
			got <- out
		}()
		c, _ := client.Dial(context.Background(), "udp", "203.0.113.25:9000")
		defer c.Close()
		start := time.Now().Add(appDelay)
		for i := range count {
			c.Write(binary.BigEndian.AppendUint32(nil, uint32(i)))
		}
		arrivals := <-got
		if len(arrivals) != count {
			t.Fatalf("%d of %d datagrams arrived", len(arrivals), count)
		}
		wire := headerBytes(serverAddr) - 20 + 8 + 4
		var most time.Duration
		for i, a := range arrivals {
			if a.seq != i {
				t.Fatalf("datagram %d arrived in place %d: the link reordered them", a.seq, i)
			}
			late := a.at.Sub(start.Add(time.Duration(i+1)*link.Up.Rate.Serialize(wire) + link.Up.Delay))
			if late < 0 || late > jitter {
				t.Errorf("datagram %d arrived %v after its jitter-free time, want 0..%v", i, late, jitter)
			}
			most = max(most, late)
		}
		if most < jitter/2 {
			t.Errorf("no datagram was delayed more than %v: is the jitter applied?", most)
		}
	})
}
