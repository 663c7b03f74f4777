package netem

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"
)

// TestTLSHandshakeOverPathMTU: a real crypto/tls handshake over a 4G-like
// link whose path MTU is 1400. Go's ClientHello alone (with its
// X25519MLKEM768 key share) is bigger than that.
func TestTLSHandshakeOverPathMTU(t *testing.T) {
	for _, tc := range []struct {
		name      string
		deviceMTU int
		pmtud     PMTUD
		ok        bool
	}{
		{"device MTU 1500, black hole", 1500, PMTUDBlackhole, false},
		{"device MTU 1380, black hole", 1380, PMTUDBlackhole, true},
		{"device MTU 1500, PMTUD working", 1500, PMTUDWorking, true},
		{"device MTU 1380, PMTUD working", 1380, PMTUDWorking, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cryptotest.SetGlobalRandom(t, 1)
				oneWay := Direction{Delay: 40 * time.Millisecond, Rate: 5 * Mbps}
				n, client, server := world(t, Link{Up: oneWay, Down: oneWay, PathMTU: 1400, PMTUD: tc.pmtud}, tc.deviceMTU)
				l, _ := server.Listen("tcp", ":465")
				defer l.Close()
				cert := selfSigned(t)
				go func() {
					c, err := l.Accept()
					if err != nil {
						return
					}
					defer c.Close()
					s := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
					s.SetDeadline(time.Now().Add(2 * time.Minute))
					s.Handshake()
				}()

				conn, err := client.Dial(context.Background(), "tcp", "203.0.113.25:465")
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				err = tls.Client(conn, &tls.Config{ServerName: "server.test", InsecureSkipVerify: true}).HandshakeContext(ctx)

				dropped := traceLines(n, "exceed the path MTU 1400")
				if tc.ok {
					if err != nil {
						t.Fatalf("handshake failed: %v\n%s", err, traceText(n))
					}
					if tc.pmtud == PMTUDWorking && tc.deviceMTU > 1400 && len(traceLines(n, "ICMP fragmentation needed")) == 0 {
						t.Errorf("no ICMP in the trace:\n%s", traceText(n))
					}
					if tc.deviceMTU < 1400 && len(dropped) > 0 {
						t.Errorf("segments dropped although they fit:\n%v", dropped)
					}
					return
				}
				if ne, ok := err.(net.Error); err == nil || (ok && !ne.Timeout()) && ctx.Err() == nil {
					t.Fatalf("handshake error %v, want it to time out", err)
				}
				if ctx.Err() == nil {
					t.Fatalf("handshake ended (%v) before its 30 s timeout", err)
				}
				if len(dropped) == 0 || len(traceLines(n, "1500 bytes exceed the path MTU 1400; ICMP is blocked")) == 0 {
					t.Errorf("the trace does not name the dropped 1500-byte segments:\n%s", traceText(n))
				}
			})
		})
	}
}

// TestMSSClamp: a router clamping the MSS makes a device with MTU 1500 fit
// a smaller path, as carriers do.
func TestMSSClamp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, client, server := world(t, Link{PathMTU: 1400, PMTUD: PMTUDBlackhole, MSSClamp: 1360}, 1500)
		l, _ := server.Listen("tcp", ":25")
		defer l.Close()
		got := make(chan int, 1)
		go func() {
			c, _ := l.Accept()
			b := make([]byte, 10000)
			k := 0
			for k < len(b) {
				m, err := c.Read(b[k:])
				if err != nil {
					break
				}
				k += m
			}
			c.Close()
			got <- k
		}()
		c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
		if err != nil {
			t.Fatal(err)
		}
		c.Write(make([]byte, 10000))
		if k := <-got; k != 10000 {
			t.Fatalf("received %d bytes", k)
		}
		c.Close()
		if d := traceLines(n, "dropped"); len(d) > 0 {
			t.Errorf("segments dropped despite the clamp:\n%v", d)
		}
	})
}

// TestMTUProbingFindsTheBlackHole: with tcp_mtu_probing = 1, a connection
// whose full-sized segments vanish falls back to an MSS of 1024 once its
// retransmissions have gone unanswered for 3 s, and gets through; without
// it, it never does.
func TestMTUProbingFindsTheBlackHole(t *testing.T) {
	for _, probing := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			n := New(Config{Seed: 1})
			defer n.Close()
			link := Link{Up: Direction{Delay: 75 * time.Millisecond}, Down: Direction{Delay: 75 * time.Millisecond}, PathMTU: 1428, PMTUD: PMTUDBlackhole}
			client, _ := n.AddHost(HostConfig{Name: "client", Addrs: addrs(clientAddr), Link: link, Kernel: Kernel{MTUProbing: probing}})
			server, _ := n.AddHost(HostConfig{Name: "server", Addrs: addrs(serverAddr)})
			done := sink(server, "25", 3000)
			start := time.Now()
			c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(make([]byte, 3000))
			select {
			case at := <-done:
				if !probing {
					t.Fatal("got through the black hole without MTU probing")
				}
				// RACK at 0.3 s, timeouts at 0.8, 1.7, 3.5 s; the
				// last finds 3 s of silence and goes at MSS 1024.
				if took := at.Sub(start); took < 3500*time.Millisecond || took > 4500*time.Millisecond {
					t.Errorf("got through after %v, want about 4 s", took)
				}
				wantTrace(t, n, "suspecting an MTU black hole, MSS lowered to 1024")
			case <-time.After(time.Minute):
				if probing {
					t.Fatal("still stuck after a minute with MTU probing")
				}
			}
		})
	}
}
