package report

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"alertsim/netem"
)

// upload is the packets of a 100-segment upload from camera to server as
// both links see them, a segment every 10 ms, each acknowledged 50 ms
// later, but for the stall: from 300 ms to 2.3 s the camera's uplink
// drops what it sends (the first segment not acknowledged, again and
// again), which goes again afterwards.
func upload() []netem.Crossing {
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []netem.Crossing
	at := func(d time.Duration) time.Time { return start.Add(d) }
	stalled := func(d time.Duration) bool { return d >= 300*time.Millisecond && d < 2300*time.Millisecond }
	out = append(out,
		netem.Crossing{At: at(0), Host: "cam", Up: true, Src: camera, Dst: server, SYN: true},
		netem.Crossing{At: at(0), Host: "srv", Src: camera, Dst: server, SYN: true},
		netem.Crossing{At: at(5 * time.Millisecond), Host: "cam", Src: server, Dst: camera, SYN: true, ACK: true},
	)
	payload := make([]byte, 1000)
	drop := &netem.TraceEvent{Kind: netem.EventDropped, Reason: netem.ReasonStalled}
	seq := uint64(0)
	for i := 0; seq < 100_000; i++ {
		d := 10*time.Millisecond + time.Duration(i)*10*time.Millisecond
		c := netem.Crossing{At: at(d), Host: "cam", Up: true, Src: camera, Dst: server, ACK: true, Seq: seq, Payload: payload}
		if stalled(d) {
			c.Dropped = drop
			out = append(out, c)
			continue
		}
		out = append(out, c)
		seq += 1000
		out = append(out, netem.Crossing{At: at(d + 50*time.Millisecond), Host: "cam", Src: server, Dst: camera, ACK: true, Ack: seq})
	}
	return out
}

// TestChartIsFlatDuringAStall: the chart of a connection whose uplink
// stalls for two seconds has its acknowledged line flat across the stall,
// the dropped segments marked, and its lines end at the last byte.
func TestChartIsFlatDuringAStall(t *testing.T) {
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	conns := connections(upload(), start, nil)
	if len(conns) != 1 {
		t.Fatalf("%d connections, want 1", len(conns))
	}
	cn := conns[0]
	if !cn.established || cn.client != camera || cn.server != server || cn.host != "cam" {
		t.Errorf("connection %+v", cn)
	}
	for _, p := range cn.acked {
		if p.at > 360*time.Millisecond && p.at < 2300*time.Millisecond {
			t.Errorf("acknowledged %d at %v, during the stall", p.v, p.at)
		}
	}
	if len(cn.drops) != 200 {
		t.Errorf("%d drops marked, want the 200 segments sent during the stall", len(cn.drops))
	}
	if last(cn.acked) != 100_000 || last(cn.sent) != 100_000 {
		t.Errorf("sent %d, acknowledged %d, want 100000", last(cn.sent), last(cn.acked))
	}

	// In the SVG: the acknowledged line has one horizontal stretch over
	// the whole stall.
	var b strings.Builder
	cn.renderChart(&b, 1)
	svg := b.String()
	i := strings.Index(svg, `<polyline class="acked" points="`)
	if i < 0 {
		t.Fatal("no acknowledged line")
	}
	pts := strings.Fields(svg[i+len(`<polyline class="acked" points="`) : i+strings.Index(svg[i:], `"/>`)])
	plotW := chartW - padL - padR
	stall := plotW * 2.0 / (cn.end - cn.start).Seconds() // the last ack before it at 340 ms, the next at 2.35 s
	longest := 0.0
	for j := 1; j < len(pts); j++ {
		x0, y0 := xy(t, pts[j-1])
		x1, y1 := xy(t, pts[j])
		if y0 == y1 {
			longest = max(longest, x1-x0)
		}
	}
	if longest < stall-2 {
		t.Errorf("the longest flat stretch of the acknowledged line is %.1f px, the stall %.1f px", longest, stall)
	}
	if n := strings.Count(svg, `class="dropped"`); n != 201 { // and the legend's
		t.Errorf("%d drop marks", n)
	}
}

func xy(t *testing.T, s string) (float64, float64) {
	a, b, _ := strings.Cut(s, ",")
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("point %q", s)
	}
	return x, y
}

// TestStepLineIsBounded: a line of a hundred thousand rises has at most a
// few corners per pixel column.
func TestStepLineIsBounded(t *testing.T) {
	var ps []point
	for i := range 100_000 {
		ps = append(ps, point{time.Duration(i) * time.Millisecond, uint64(i) * 1000})
	}
	end := 100 * time.Second
	x := func(d time.Duration) float64 { return 700 * float64(d) / float64(end) }
	y := func(v uint64) float64 { return 200 - 200*float64(v)/1e8 }
	n := len(strings.Fields(stepLine(ps, 0, end, x, y)))
	if n > 4*700 {
		t.Errorf("%d points for 700 pixels", n)
	}
}

// TestChartIsTheSameOnEveryMachine: a coordinate is the value the
// arithmetic gives rounded step by step, as on amd64, never fused into
// one multiply-add, which arm64 and amd64 built for v3 do unless told
// not to: of a 664-byte stream, byte 447 is at y = 30 + 166 * 217/664 =
// 84.25, 84.24999999999999 fused, drawn at 84.3 and 84.2. Run it with
// GOARCH=arm64 or GOAMD64=v3 as well.
func TestChartIsTheSameOnEveryMachine(t *testing.T) {
	cn := &conn{
		end:    time.Second,
		sent:   []point{{0, 447}, {500 * time.Millisecond, 664}},
		resent: []point{{100 * time.Millisecond, 447}},
	}
	var b strings.Builder
	cn.renderChart(&b, 1)
	if want := `<circle class="resent" cx="141" cy="84.3" r="2.5">`; !strings.Contains(b.String(), want) {
		t.Errorf("the chart has no %s:\n%s", want, b.String())
	}
}
