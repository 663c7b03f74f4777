package report

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"alertsim/internal/mailview"
	"alertsim/netem"
	"alertsim/scenarios"
)

// Each TCP connection of a captured run gets a time-sequence chart of the
// client's stream, as tcptrace draws one: the highest byte sent and the
// highest byte acknowledged, over time, as the client's own link saw
// them. Where the two lines run flat, nothing got through: a loss, a
// stall, a black hole, a link down; copies sent again are marked, and
// copies the network dropped are crosses with why in their tooltip.

// conn is one TCP connection and what its chart shows.
type conn struct {
	client, server netip.AddrPort
	host           string // the client's host, whose link the lines are seen at
	start, end     time.Duration
	established    bool
	sent, acked    []point // the highest byte so far, at each rise
	resent         []point // data sent again (its last byte)
	drops          []drop  // data of the client dropped, at its last byte
	ackDrops       []drop  // the server's packets dropped, at the ack line
	bytesUp        uint64  // the client's stream, as far as sent
	bytesDown      uint64  // the server's stream, as far as sent
	session        string  // the server session's lane, when one accepted it
}

type point struct {
	at time.Duration
	v  uint64
}

type drop struct {
	point
	why string
}

// connections follows every TCP connection in a run's packets, in the
// order they were opened; start is the start of the run, sessions the
// servers' sessions, to tell which one each connection reached.
func connections(packets []netem.Crossing, start time.Time, sessions []scenarios.ServerSession) []*conn {
	var out []*conn
	byFlow := map[[2]netip.AddrPort]*conn{}
	for _, c := range packets {
		if c.UDP {
			continue
		}
		at := c.At.Sub(start)
		k := [2]netip.AddrPort{c.Src, c.Dst}
		cn, up := byFlow[k], true
		if cn == nil {
			cn, up = byFlow[[2]netip.AddrPort{c.Dst, c.Src}], false
		}
		if c.SYN && !c.ACK && cn == nil {
			// A SYN seen first where it was sent: its host is the client.
			cn = &conn{client: c.Src, server: c.Dst, host: c.Host, start: at}
			byFlow[k] = cn
			out = append(out, cn)
			up = true
		}
		if cn == nil {
			continue // a stray packet of no connection seen opening
		}
		cn.end = max(cn.end, at)
		end := c.Seq + uint64(len(c.Payload))
		if up && c.Dropped != nil && len(c.Payload) > 0 {
			cn.drops = append(cn.drops, drop{point{at, end}, c.Dropped.Why()})
		}
		if !up && c.Dropped != nil {
			cn.ackDrops = append(cn.ackDrops, drop{point{at, last(cn.acked)}, c.Dropped.Why()})
		}
		if !up {
			cn.bytesDown = max(cn.bytesDown, end)
			if c.SYN && c.ACK {
				cn.established = true
			}
		}
		if c.Host != cn.host {
			continue // the client's own link is where its lines are seen
		}
		switch {
		case up && c.Up && len(c.Payload) > 0:
			if end > last(cn.sent) {
				cn.sent = append(cn.sent, point{at, end})
			} else {
				cn.resent = append(cn.resent, point{at, end})
			}
			cn.bytesUp = max(cn.bytesUp, end)
		case !up && !c.Up && c.ACK && c.Dropped == nil:
			if c.Ack > last(cn.acked) {
				cn.acked = append(cn.acked, point{at, c.Ack})
			}
		}
	}
	for _, s := range sessions {
		for _, cn := range out {
			if s.Remote == cn.client.String() && s.Local == cn.server.String() {
				cn.session = s.Source
			}
		}
	}
	return out
}

func last(ps []point) uint64 {
	if len(ps) == 0 {
		return 0
	}
	return ps[len(ps)-1].v
}

// Chart geometry, in CSS pixels.
const (
	chartW, chartH         = 760.0, 230.0
	padL, padR, padT, padB = 74.0, 16.0, 30.0, 34.0
)

// renderChart draws the connection's chart.
func (cn *conn) renderChart(b *strings.Builder, id int) {
	span := max(cn.end-cn.start, time.Millisecond)
	top := max(max(last(cn.sent), last(cn.acked)), 1)
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	x := func(t time.Duration) float64 { return padL + plotW*float64(t-cn.start)/float64(span) }
	// The conversions round each product before it is added (the Go
	// spec's rule against fusing), so that a coordinate is the same on
	// machines that would fuse the two into one multiply-add.
	y := func(v uint64) float64 { return padT + float64(plotH*(1-float64(v)/float64(top))) }

	fmt.Fprintf(b, `<svg class="chart" id="chart-%d" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="bytes sent and acknowledged over time">`,
		id, num(chartW), num(chartH), num(chartW), num(chartH))
	fmt.Fprintf(b, `<rect class="plot" x="%s" y="%s" width="%s" height="%s"/>`, num(padL), num(padT), num(plotW), num(plotH))
	// Axes: time from the SYN, bytes of the client's stream.
	step := niceDuration(span / 6)
	for t := time.Duration(0); t <= span; t += step {
		px := x(cn.start + t)
		fmt.Fprintf(b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(px), num(padT), num(px), num(padT+plotH))
		fmt.Fprintf(b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`, num(px), num(padT+plotH+14), esc("+"+t.String()))
	}
	fmt.Fprintf(b, `<text class="axis" x="%s" y="%s" text-anchor="middle">time since the SYN at %s</text>`, num(padL+plotW/2), num(chartH-4), scenarios.Clock(cn.start))
	unit, name := byteUnit(top)
	ystep := niceBytes(max(top/4/unit, 1)) * unit
	for v := uint64(0); v <= top; v += ystep {
		py := y(v)
		fmt.Fprintf(b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(padL), num(py), num(padL+plotW), num(py))
		fmt.Fprintf(b, `<text class="tick" x="%s" y="%s" text-anchor="end">%d %s</text>`, num(padL-6), num(py+4), v/unit, name)
	}
	// The lines, each held flat to the end of the connection: a line that
	// stops rising is the news.
	fmt.Fprintf(b, `<polyline class="acked" points="%s"/>`, stepLine(cn.acked, cn.start, cn.end, x, y))
	fmt.Fprintf(b, `<polyline class="sent" points="%s"/>`, stepLine(cn.sent, cn.start, cn.end, x, y))
	for _, p := range cn.resent {
		fmt.Fprintf(b, `<circle class="resent" cx="%s" cy="%s" r="2.5"><title>%s sent again, up to byte %d</title></circle>`, num(x(p.at)), num(y(p.v)), scenarios.Clock(p.at), p.v)
	}
	for _, d := range cn.drops {
		fmt.Fprintf(b, `<path class="dropped" d="M%s %sl6 6m0 -6l-6 6"><title>%s dropped, up to byte %d: %s</title></path>`, num(x(d.at)-3), num(y(d.v)-3), scenarios.Clock(d.at), d.v, esc(d.why))
	}
	for _, d := range cn.ackDrops {
		fmt.Fprintf(b, `<path class="ack-dropped" d="M%s %sl6 6m0 -6l-6 6"><title>%s the server's packet dropped: %s</title></path>`, num(x(d.at)-3), num(y(d.v)-3), scenarios.Clock(d.at), esc(d.why))
	}
	// The legend, above the plot.
	lx := padL
	for _, item := range []struct{ class, text string }{{"sent", "highest byte sent"}, {"acked", "highest byte acknowledged"}, {"resent", "sent again"}, {"dropped", "dropped"}, {"ack-dropped", "the server's packet dropped"}} {
		switch item.class {
		case "sent", "acked":
			fmt.Fprintf(b, `<line class="%s" x1="%s" y1="12" x2="%s" y2="12"/>`, item.class, num(lx), num(lx+16))
		case "resent":
			fmt.Fprintf(b, `<circle class="resent" cx="%s" cy="12" r="2.5"/>`, num(lx+8))
		case "dropped", "ack-dropped":
			fmt.Fprintf(b, `<path class="%s" d="M%s 9l6 6m0 -6l-6 6"/>`, item.class, num(lx+5))
		}
		fmt.Fprintf(b, `<text class="legend" x="%s" y="16">%s</text>`, num(lx+20), item.text)
		lx += 20 + float64(float64(len(item.text))*6.2) + 14
	}
	b.WriteString(`</svg>`)
}

// stepLine is the points of a line that holds each value until the next,
// from start (at zero) to end, at most one corner per half pixel: a 4 MB
// upload is thousands of segments and a chart is 670 pixels wide.
func stepLine(ps []point, start, end time.Duration, x func(time.Duration) float64, y func(uint64) float64) string {
	var b strings.Builder
	type xy struct{ x, y float64 }
	var pts []xy
	add := func(px, py float64) {
		px, py = math.Round(px*2)/2, math.Round(py*2)/2
		if n := len(pts); n > 0 && pts[n-1].x == px && pts[n-1].y == py {
			return
		}
		// Three corners in one column: the middle one says nothing.
		if n := len(pts); n > 1 && pts[n-1].x == px && pts[n-2].x == px {
			pts[n-1] = xy{px, py}
			return
		}
		pts = append(pts, xy{px, py})
	}
	add(x(start), y(0))
	prev := uint64(0)
	for _, p := range ps {
		add(x(p.at), y(prev))
		add(x(p.at), y(p.v))
		prev = p.v
	}
	add(x(end), y(prev))
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(p.x) + "," + num(p.y))
	}
	return b.String()
}

// niceDuration is a round step near d: 1, 2 or 5 times a power of ten of
// milliseconds and up, or a whole number of minutes.
func niceDuration(d time.Duration) time.Duration {
	if d <= time.Millisecond {
		return time.Millisecond
	}
	for _, s := range []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour} {
		if d <= s && d > 30*time.Second {
			return s
		}
	}
	if d > time.Hour {
		return d.Round(time.Hour)
	}
	p := time.Millisecond
	for {
		for _, m := range []time.Duration{1, 2, 5} {
			if d <= m*p {
				return m * p
			}
		}
		p *= 10
	}
}

// byteUnit is the unit of the bytes axis, in the bench page's units
// (mailview.Size: KB and MB of 1024), so that ticks fall on round numbers
// of it: 500 B, 50 KB, 1 MB.
func byteUnit(top uint64) (uint64, string) {
	switch {
	case top < 2<<10:
		return 1, "B"
	case top < 2<<20:
		return 1 << 10, "KB"
	}
	return 1 << 20, "MB"
}

// niceBytes is a round step near n: 1, 2 or 5 times a power of ten.
func niceBytes(n uint64) uint64 {
	p := uint64(1)
	for {
		for _, m := range []uint64{1, 2, 5} {
			if n <= m*p {
				return m * p
			}
		}
		p *= 10
	}
}

// describe is the connection in a sentence, for the chart's caption.
func (cn *conn) describe() string {
	s := fmt.Sprintf("%s > %s, from %s to %s (%s): %s sent, %s acknowledged, %s received",
		cn.client, cn.server, scenarios.Clock(cn.start), scenarios.Clock(cn.end), (cn.end - cn.start).Round(time.Millisecond),
		mailview.Size(int64(cn.bytesUp)), mailview.Size(int64(last(cn.acked))), mailview.Size(int64(cn.bytesDown)))
	if len(cn.resent) > 0 {
		s += fmt.Sprintf("; %d segment%s sent again", len(cn.resent), plural(len(cn.resent)))
	}
	if n := len(cn.drops) + len(cn.ackDrops); n > 0 {
		s += fmt.Sprintf("; %d packet%s dropped", n, plural(n))
	}
	if !cn.established {
		s += "; never established"
	}
	return s
}
