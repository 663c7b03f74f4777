package alert_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"alertsim/sim/alert"
)

// BenchmarkBurst composes and delivers a burst of five 1.5 MB snapshots
// (main stream, 4 MP) over loopback. alloc-bytes-per-message-byte is every byte
// allocated for one alert over the size of the composed message: 1 means
// the message was built once and never copied.
func BenchmarkBurst(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var atts []alert.Attachment
	for i := range 5 {
		data := make([]byte, 1_500_000)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		atts = append(atts, alert.Attachment{Name: fmt.Sprintf("snap%d.jpg", i+1), ContentType: "image/jpeg", Data: data})
	}
	addr := sink(b, nil)
	ap := netip.MustParseAddrPort(addr)
	client := &alert.Client{Dial: (&net.Dialer{}).DialContext, HelloName: "cam"}
	srv := alert.Server{Host: ap.Addr().String(), Port: int(ap.Port())}
	env := alert.Envelope{From: "cam@example.com", To: []string{"owner@example.com"}}

	var size int
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		msg, err := alert.Compose(alert.Alert{
			FromAddress: "cam@example.com", To: env.To, Subject: "burst", Date: time.Now(),
			MessageID: "burst@cam", Text: "five snapshots", Attachments: atts,
		})
		if err != nil {
			b.Fatal(err)
		}
		size = len(msg)
		if _, err := client.Send(context.Background(), srv, env, msg); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(size), "alloc-bytes-per-message-byte")
	b.ReportMetric(float64(size)/1e6, "MB/message")
}
