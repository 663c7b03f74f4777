package netem

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// inBubble runs f in a synctest bubble from a benchmark. synctest.Test
// takes a *testing.T, which a benchmark does not have: it gets a bare one,
// and f reports problems through its result instead of through t.
func inBubble(b *testing.B, f func() error) {
	b.Helper()
	var err error
	synctest.Test(&testing.T{}, func(*testing.T) { err = f() })
	if err != nil {
		b.Fatal(err)
	}
}

// upload sends size bytes from a device on profile p to a server and
// returns the virtual time it took and the packets the network carried.
func upload(p Profile, size int) (took time.Duration, packets uint64, err error) {
	n := New(Config{Seed: 1})
	defer n.Close()
	mtu := 1500
	if p.PathMTU > 0 {
		mtu = p.PathMTU
	}
	client, _ := n.AddHost(HostConfig{Name: "client", Addrs: addrs(clientAddr), Link: p.Link(), MTU: mtu})
	server, _ := n.AddHost(HostConfig{Name: "server", Addrs: addrs(serverAddr)})
	l, _ := server.Listen("tcp", ":25")
	defer l.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- 0
			return
		}
		k, _ := io.CopyN(io.Discard, c, int64(size))
		got <- k
		c.Close()
	}()
	start := time.Now()
	c, err := client.Dial(context.Background(), "tcp", "203.0.113.25:25")
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	c.Write(make([]byte, size))
	if k := <-got; k != int64(size) {
		return 0, 0, fmt.Errorf("received %d of %d bytes", k, size)
	}
	n.mu.Lock()
	packets = n.packets
	n.mu.Unlock()
	return time.Since(start), packets, nil
}

// BenchmarkUpload4gWeak measures the wall time of emulating an upload over
// the 4g-weak profile (bursty loss included), and the allocations per
// packet the network carries (data and acknowledgements) and per data
// segment of the upload.
func BenchmarkUpload4gWeak(b *testing.B) {
	weak, _ := LookupProfile("4g-weak")
	for _, size := range []int{3_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("%dMB", size/1_000_000), func(b *testing.B) {
			var virtual time.Duration
			var packets uint64
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				inBubble(b, func() (err error) {
					virtual, packets, err = upload(weak, size)
					return err
				})
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(virtual.Seconds(), "virtual-s/op")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(packets), "allocs/packet")
			b.ReportMetric(float64(packets), "packets/op")
			mss := weak.PathMTU - 40
			segments := (size + mss - 1) / mss
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(segments), "allocs/segment")
		})
	}
}
