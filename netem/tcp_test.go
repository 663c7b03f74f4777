package netem

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

var (
	clientAddr = netip.MustParseAddr("192.0.2.10")
	serverAddr = netip.MustParseAddr("203.0.113.25")
)

// pair builds a network with a client on link and a server with an ideal
// link, and closes it when the bubble's function returns.
func pair(t *testing.T, link Link) (n *Network, client, server *Host) {
	t.Helper()
	n = New(Config{Seed: 1})
	t.Cleanup(func() { n.Close() })
	var err error
	if client, err = n.AddHost(HostConfig{Name: "client", Addrs: []netip.Addr{clientAddr}, Link: link}); err != nil {
		t.Fatal(err)
	}
	if server, err = n.AddHost(HostConfig{Name: "server", Addrs: []netip.Addr{serverAddr}}); err != nil {
		t.Fatal(err)
	}
	return n, client, server
}

func symmetric(oneWay time.Duration, rate Bitrate) Link {
	return Link{Up: Direction{Delay: oneWay, Rate: rate}, Down: Direction{Delay: oneWay, Rate: rate}}
}

func TestDialAcceptEcho(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 40 ms one way: a round trip is 80 ms.
		_, client, server := pair(t, symmetric(40*time.Millisecond, 0))
		l, err := server.Listen("tcp", ":25")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()

		start := time.Now()
		accepted := make(chan time.Duration, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			accepted <- time.Since(start)
			defer c.Close()
			io.Copy(c, c)
		}()

		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got, want := time.Since(start), 80*time.Millisecond+appDelay; got != want {
			t.Errorf("dial took %v, want one round trip %v", got, want)
		}
		if got, want := <-accepted, 120*time.Millisecond+appDelay; got != want {
			t.Errorf("accept after %v, want one and a half round trips %v", got, want)
		}
		if got, want := c.RemoteAddr().String(), "203.0.113.25:25"; got != want {
			t.Errorf("RemoteAddr = %s, want %s", got, want)
		}

		sent := time.Now()
		msg := []byte("EHLO camera\r\n")
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Errorf("echo = %q, want %q", got, msg)
		}
		if rtt := time.Since(sent); rtt < 80*time.Millisecond || rtt > 80*time.Millisecond+time.Microsecond {
			t.Errorf("echo round trip %v, want 80ms", rtt)
		}
	})
}

func TestTransferTimeFollowsRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const oneWay = 30 * time.Millisecond
		const rate = 750 * Kbps
		_, client, server := pair(t, Link{Up: Direction{Delay: oneWay, Rate: rate}})
		l, _ := server.Listen("tcp", ":25")
		defer l.Close()
		received := make(chan time.Time, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			io.Copy(io.Discard, c)
			received <- time.Now()
		}()
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		// The ACK that completes the handshake is still on the uplink
		// when the first data segment is queued behind it.
		ackDone := time.Now().Add(-appDelay).Add(rate.Serialize(40))
		payload := make([]byte, 100_000)
		start := time.Now()
		if _, err := c.Write(payload); err != nil {
			t.Fatal(err)
		}
		c.Close()
		got := <-received

		// Analytic figure: every segment (payload plus 40 bytes of
		// headers) and the FIN serialize back to back at the uplink rate,
		// then the last one propagates for one way.
		mss := 1460
		segments := (len(payload) + mss - 1) / mss
		wire := len(payload) + 40*segments + 40 // + FIN
		begin := start.Add(appDelay)
		if ackDone.After(begin) {
			begin = ackDone
		}
		want := begin.Add(rate.Serialize(wire)).Add(oneWay)
		if diff := got.Sub(want).Abs(); diff > time.Duration(segments+1)*time.Nanosecond {
			t.Errorf("transfer finished at +%v, want +%v (bytes on the wire %d at %v)", got.Sub(start), want.Sub(start), wire, rate)
		}
	})
}

func TestDialClosedPortIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, client, _ := pair(t, symmetric(50*time.Millisecond, 0))
		start := time.Now()
		_, err := client.Dial(context.Background(), "tcp", "203.0.113.25:465")
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial error %v, want connection refused", err)
		}
		if d := time.Since(start); d != 100*time.Millisecond+appDelay {
			t.Errorf("refusal after %v, want one round trip", d)
		}
		if !traceHas(n, EventPortClosed) || !traceHas(n, EventRefused) {
			t.Errorf("trace does not explain the refusal:\n%v", n.Trace())
		}
	})
}

func TestDialNowhereTimesOutWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, client, _ := pair(t, symmetric(50*time.Millisecond, 0))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := client.Dial(ctx, "tcp", "198.51.100.99:25")
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("dial error %v, want a timeout net.Error", err)
		}
	})
}

func TestReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, client, server := pair(t, symmetric(10*time.Millisecond, 0))
		l, _ := server.Listen("tcp", ":25")
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// Says nothing, like a server that never greets.
			io.Copy(io.Discard, c)
			c.Close()
		}()
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		c.SetReadDeadline(start.Add(5 * time.Minute))
		_, err = c.Read(make([]byte, 10))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read error %v, want deadline exceeded", err)
		}
		if d := time.Since(start); d != 5*time.Minute {
			t.Errorf("read gave up after %v, want 5m", d)
		}
		// A cleared deadline lets the next read wait again.
		c.SetReadDeadline(time.Time{})
		c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("second read error %v, want deadline exceeded", err)
		}
	})
}

func TestCloseGivesEOFAndLateDataIsReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, client, server := pair(t, symmetric(10*time.Millisecond, 0))
		l, _ := server.Listen("tcp", ":25")
		defer l.Close()
		serverDone := make(chan struct{})
		go func() {
			defer close(serverDone)
			c, err := l.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			c.Write([]byte("221 bye\r\n"))
			c.Close()
		}()
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		b, err := io.ReadAll(c)
		if err != nil || string(b) != "221 bye\r\n" {
			t.Fatalf("ReadAll = %q, %v; want the reply then EOF", b, err)
		}
		<-serverDone
		// Data sent to a closed socket is answered with a reset.
		c.Write([]byte("QUIT\r\n"))
		time.Sleep(time.Second)
		if _, err := c.Write([]byte("x")); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("write after reset: %v, want connection reset", err)
		}
	})
}

func TestNetworkCloseUnblocksEveryone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Config{})
		a, _ := n.AddHost(HostConfig{Name: "a", Addrs: []netip.Addr{clientAddr}})
		b, _ := n.AddHost(HostConfig{Name: "b", Addrs: []netip.Addr{serverAddr}})
		l, _ := b.Listen("tcp", ":25")
		accepted := make(chan net.Conn, 1)
		go func() {
			c, _ := l.Accept()
			accepted <- c
		}()
		c, err := a.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		<-accepted
		readErr := make(chan error)
		go func() {
			_, err := c.Read(make([]byte, 1))
			readErr <- err
		}()
		acceptErr := make(chan error)
		go func() {
			_, err := l.Accept()
			acceptErr <- err
		}()
		synctest.Wait()
		n.Close()
		if err := <-readErr; !errors.Is(err, net.ErrClosed) {
			t.Errorf("read after network close: %v, want net.ErrClosed", err)
		}
		if err := <-acceptErr; !errors.Is(err, net.ErrClosed) {
			t.Errorf("accept after network close: %v, want net.ErrClosed", err)
		}
	})
}

// TestSameInstantIsDeterministic has four clients send into one server's
// narrow downlink at the same virtual instant, their goroutines started in a
// random order: which client is served first must not depend on which
// goroutine ran first.
func TestSameInstantIsDeterministic(t *testing.T) {
	run := func() []time.Duration {
		arrivals := make([]time.Duration, 4)
		synctest.Test(t, func(t *testing.T) {
			n := New(Config{})
			defer n.Close()
			srv, _ := n.AddHost(HostConfig{Name: "srv", Addrs: []netip.Addr{serverAddr}, Link: Link{Down: Direction{Rate: 1 * Mbps}}})
			l, _ := srv.Listen("tcp", ":25")
			defer l.Close()
			type arrival struct {
				client int
				at     time.Duration
			}
			got := make(chan arrival, 4)
			start := time.Now()
			go func() {
				for range 4 {
					c, err := l.Accept()
					if err != nil {
						return
					}
					go func() {
						defer c.Close()
						io.ReadFull(c, make([]byte, 5000))
						ip := c.RemoteAddr().(*net.TCPAddr).IP.To4()
						got <- arrival{client: int(ip[3]) - 1, at: time.Since(start)}
					}()
				}
			}()
			var conns []net.Conn
			for i := range 4 {
				h, _ := n.AddHost(HostConfig{Name: string(rune('a' + i)), Addrs: []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i)})}})
				c, err := h.Dial(context.Background(), "tcp", "203.0.113.25:25")
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			}
			synctest.Wait()
			for _, i := range rand.Perm(4) {
				go conns[i].Write(make([]byte, 5000))
				runtime.Gosched()
			}
			for range 4 {
				a := <-got
				arrivals[a.client] = a.at
			}
			for _, c := range conns {
				c.Close()
			}
		})
		return arrivals
	}
	first := run()
	for range 20 {
		if again := run(); !equalDurations(first, again) {
			t.Fatalf("arrival times per client differ between runs:\n%v\n%v", first, again)
		}
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func traceHas(n *Network, kind EventKind) bool {
	for _, e := range n.Trace() {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// TestWorksInRealTime uses the network outside a bubble, as a developer's
// ordinary test might.
func TestWorksInRealTime(t *testing.T) {
	n := New(Config{})
	defer n.Close()
	a, _ := n.AddHost(HostConfig{Name: "a", Addrs: []netip.Addr{clientAddr}})
	b, _ := n.AddHost(HostConfig{Name: "b", Addrs: []netip.Addr{serverAddr}})
	l, _ := b.Listen("tcp", ":25")
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	c, err := a.Dial(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo = %q, %v", buf, err)
	}
}
