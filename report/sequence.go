package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"alertsim/fakesmtp"
	"alertsim/netem"
	"alertsim/scenarios"
)

// The sequence diagram has a lane per source of the record (the
// scenario's triggers, the device, the network, each server session) and
// a row per line of the record, in the record's order. A server session's
// commands are arrows from the device to the session, its replies arrows
// back; the network's events are marks on its lane by kind (a drop, a
// retransmission, a reset, an outage, a DNS answer). Rows are not to
// scale: a run is bursts of milliseconds between idle seconds, so a pause
// of a second or more is a row of its own saying how long it was.
//
// It is SVG written here, in blocks stacked in the page's flow: a run of
// rows the record folds is an HTML <details> between two blocks, its
// summary one row, its copies a block of their own, so that opening it
// pushes the rest down with no script.

// laneKind tells what a lane stands for.
type laneKind string

const (
	laneScenario laneKind = "scenario"
	laneDevice   laneKind = "device"
	laneNetwork  laneKind = "network"
	laneSession  laneKind = "session"
)

// lane is a column of the diagram.
type lane struct {
	Source   string // the record's source: "ptz-site-b", "net", "smtp.gmail.com #1"
	Kind     laneKind
	Title    string
	Subtitle string
	// first and last are the rows of the main sequence the lane has
	// events on, for a session's lifeline.
	first, last int
	x, width    float64 // its lifeline, its column's width
}

// row is one line of the record in the diagram.
type row struct {
	at     time.Duration
	rank   int
	source string
	seq    int
	text   string
	// class says what it is, for its mark and colour: trigger, device,
	// cmd, reply, reply-bad, note, and the network's kinds (see netClass).
	class string
	// lane is the source's lane; an arrow goes from one lane to another
	// (the device's and a session's), from and to -1 for a mark on the
	// row's own lane.
	lane, from, to int
	// members are a folded run's rows, the first drop first.
	members []row
}

// diagram is the whole sequence diagram, laid out.
type diagram struct {
	lanes []lane
	rows  []row // the main sequence, in the record's order
	width float64
}

// Geometry, in CSS pixels. Text is monospace at 11 px, about 6.6 px a
// character, so that widths are known without a browser.
const (
	timeColumn = 96.0
	rowHeight  = 20.0
	gapHeight  = 16.0
	headHeight = 40.0
	charWidth  = 6.65
	maxLabel   = 150 // characters of a row's label; the rest is in its tooltip
	// pauseAfter is the idle time that gets a row of its own.
	pauseAfter = time.Second
)

func laneWidth(k laneKind) float64 {
	switch k {
	case laneScenario:
		return 96
	case laneDevice, laneNetwork:
		return 170
	}
	return 164
}

// buildDiagram lays out the run's timeline and trace.
func buildDiagram(res *scenarios.Result) *diagram {
	d := &diagram{}
	index := map[string]int{}
	addLane := func(l lane) int {
		if i, ok := index[l.Source]; ok {
			return i
		}
		l.first, l.last = -1, -1
		d.lanes = append(d.lanes, l)
		index[l.Source] = len(d.lanes) - 1
		return len(d.lanes) - 1
	}
	sessions := map[string]scenarios.ServerSession{}
	for _, s := range res.Sessions {
		sessions[s.Source] = s
	}

	// Lanes: the scenario, the device, the network, then the sessions in
	// the order they began.
	timeline := res.Timeline()
	device := string(res.Scenario.Device.Hostname)
	hasTrigger := slices.ContainsFunc(timeline, func(e scenarios.Entry) bool { return e.Rank == scenarios.RankScenario })
	if hasTrigger {
		addLane(lane{Source: "scenario", Kind: laneScenario, Title: "scenario", Subtitle: "triggers"})
	}
	devLane := addLane(lane{Source: device, Kind: laneDevice, Title: device, Subtitle: res.Scenario.Device.Model.Name + " " + string(res.Scenario.Device.Firmware)})
	netLane := addLane(lane{Source: "net", Kind: laneNetwork, Title: "network", Subtitle: res.Scenario.Network.Profile.Name})
	for _, e := range timeline {
		switch e.Rank {
		case scenarios.RankServer:
			s, ok := sessions[e.Source]
			sub := ""
			if ok {
				sub = sessionSubtitle(s)
			}
			addLane(lane{Source: e.Source, Kind: laneSession, Title: e.Source, Subtitle: sub})
		case scenarios.RankDevice:
			if e.Source != device {
				addLane(lane{Source: e.Source, Kind: laneDevice, Title: e.Source})
			}
		}
	}

	for _, e := range timeline {
		if e.Rank == scenarios.RankNetwork {
			continue // from the typed trace, below
		}
		r := row{at: e.At, rank: e.Rank, source: e.Source, seq: e.Seq, text: e.Text, lane: index[e.Source], from: -1, to: -1}
		switch e.Rank {
		case scenarios.RankScenario:
			r.class = "trigger"
		case scenarios.RankDevice:
			r.class = "device"
		case scenarios.RankServer:
			r.class = "note"
			if s, ok := sessions[e.Source]; ok && e.Seq < len(s.Transcript) {
				l := s.Transcript[e.Seq]
				switch l.Kind {
				case fakesmtp.Command:
					r.class, r.text, r.from, r.to = "cmd", l.Text, devLane, r.lane
				case fakesmtp.Reply:
					r.class, r.text, r.from, r.to = "reply", l.Text, r.lane, devLane
					if strings.HasPrefix(l.Text, "4") || strings.HasPrefix(l.Text, "5") {
						r.class = "reply-bad"
					}
				default:
					r.text = l.Text
				}
			}
		}
		d.rows = append(d.rows, r)
	}
	netRow := func(i int) row {
		e := res.Trace[i]
		return row{at: e.At.Sub(res.Start), rank: scenarios.RankNetwork, source: "net", seq: i, text: e.Host + ": " + e.Text(), class: netClass(e.Kind), lane: netLane, from: -1, to: -1}
	}
	for _, g := range foldTrace(res.Trace) {
		r := netRow(g.events[0])
		if g.folded() {
			for _, i := range g.events {
				r.members = append(r.members, netRow(i))
			}
			copies := (len(g.events) - 1) / 2
			first, last := res.Trace[g.events[1]], res.Trace[g.events[len(g.events)-2]]
			how := "retransmitted"
			if res.Trace[g.events[0]].Packet.Kind == netem.PacketSYN {
				how = "sent again"
			}
			r.text += fmt.Sprintf("; %s %d time%s %s-%s, every copy dropped the same way", how, copies, plural(copies),
				scenarios.Clock(first.At.Sub(res.Start)), scenarios.Clock(last.At.Sub(res.Start)))
			r.class = "fold"
		}
		d.rows = append(d.rows, r)
	}
	slices.SortStableFunc(d.rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.rank, b.rank), cmp.Compare(a.source, b.source), cmp.Compare(a.seq, b.seq))
	})
	for i, r := range d.rows {
		for _, l := range []int{r.lane, r.from, r.to} {
			if l < 0 {
				continue
			}
			if d.lanes[l].first < 0 {
				d.lanes[l].first = i
			}
			d.lanes[l].last = i
		}
	}
	d.layout()
	return d
}

// sessionSubtitle is a session in a few words: how it was reached and how
// it went.
func sessionSubtitle(s scenarios.ServerSession) string {
	mail := "no mail"
	if s.Delivered > 0 {
		mail = fmt.Sprintf("%d mail%s", s.Delivered, plural(s.Delivered))
	}
	return s.Mode.String() + ", " + mail
}

// netClass is the mark of a network event.
func netClass(k netem.EventKind) string {
	switch k {
	case netem.EventDropped, netem.EventDNSDropped:
		return "drop"
	case netem.EventRetransmit, netem.EventSYNRetransmit:
		return "retx"
	case netem.EventReset, netem.EventResetByPeer, netem.EventNetworkReset, netem.EventPortClosed, netem.EventRefused:
		return "reset"
	case netem.EventConnectTimeout, netem.EventConnTimeout, netem.EventHandshakeAbandoned:
		return "timeout"
	case netem.EventLinkDown, netem.EventStalled:
		return "down"
	case netem.EventLinkUp, netem.EventUnstalled:
		return "up"
	case netem.EventDNSAnswer, netem.EventDNSNoAnswer, netem.EventDNSEncodeFailed:
		return "dns"
	case netem.EventMTUProbing, netem.EventFragmentationNeeded:
		return "mtu"
	}
	return "conn"
}

// layout places the lanes and finds the diagram's width: a row's label
// may run on over the lanes to its right, which are empty in its row.
func (d *diagram) layout() {
	x := timeColumn
	for i := range d.lanes {
		l := &d.lanes[i]
		l.width = laneWidth(l.Kind)
		l.x = x + 14
		x += l.width
	}
	d.width = x
	measure := func(r row) {
		start := d.labelX(r)
		d.width = max(d.width, start+float64(float64(min(len([]rune(r.text)), maxLabel+1))*charWidth)+16)
	}
	for _, r := range d.rows {
		measure(r)
		for _, m := range r.members {
			measure(m)
		}
	}
	d.width = float64(int(d.width + 0.5))
}

// labelX is where a row's label begins: past its mark, or past the left
// end of its arrow.
func (d *diagram) labelX(r row) float64 {
	if r.to >= 0 {
		return min(d.lanes[r.from].x, d.lanes[r.to].x) + 10
	}
	return d.lanes[r.lane].x + 12
}

// block is a stretch of the diagram drawn as one SVG: rows, and the
// pauses between them.
type block struct {
	items []blockItem
}

type blockItem struct {
	row   *row
	index int           // the row's place in the main sequence; -1 in a fold
	pause time.Duration // a pause row, when row is nil
}

// render writes the diagram: a header with the lanes, then blocks and
// folds, each fold's copies lifelined as at its summary row.
func (d *diagram) render(b *strings.Builder) {
	fmt.Fprintf(b, `<div class="seq" id="sequence-diagram" data-lanes="%d" data-rows="%d">`, len(d.lanes), d.countEvents())
	d.renderHead(b)
	var cur block
	flush := func() {
		if len(cur.items) > 0 {
			d.renderBlock(b, cur.items, "")
			cur = block{}
		}
	}
	var prev time.Duration
	for i := range d.rows {
		r := &d.rows[i]
		if i > 0 && r.at-prev >= pauseAfter {
			cur.items = append(cur.items, blockItem{index: i, pause: r.at - prev})
		}
		prev = r.at
		if len(r.members) == 0 {
			cur.items = append(cur.items, blockItem{row: r, index: i})
			continue
		}
		flush()
		fmt.Fprintf(b, `<details class="fold" data-copies="%d"><summary>`, len(r.members))
		d.renderBlock(b, []blockItem{{row: r, index: i}}, "fold-head")
		b.WriteString(`</summary>`)
		members := make([]blockItem, len(r.members))
		for j := range r.members {
			members[j] = blockItem{row: &r.members[j], index: i}
		}
		d.renderBlock(b, members, "fold-body")
		b.WriteString(`</details>`)
	}
	flush()
	b.WriteString(`</div>`)
}

// countEvents is the number of event rows, a folded run's copies counted
// one by one and its summary not at all.
func (d *diagram) countEvents() int {
	n := 0
	for _, r := range d.rows {
		if len(r.members) > 0 {
			n += len(r.members)
		} else {
			n++
		}
	}
	return n
}

func (d *diagram) renderHead(b *strings.Builder) {
	fmt.Fprintf(b, `<svg class="seq-head" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="lanes">`, num(d.width), num(headHeight), num(d.width), num(headHeight))
	fmt.Fprintf(b, `<rect class="head-bg" x="0" y="0" width="%s" height="%s"/>`, num(d.width), num(headHeight))
	fmt.Fprintf(b, `<text class="time-head" x="8" y="24">virtual time</text>`)
	for i, l := range d.lanes {
		fmt.Fprintf(b, `<g class="lane lane-%s" id="lane-%d" data-source="%s" data-kind="%s">`, l.Kind, i, esc(l.Source), l.Kind)
		fmt.Fprintf(b, `<title>%s</title>`, esc(strings.TrimSpace(l.Title+"\n"+l.Subtitle)))
		chars := int((l.width - 10) / charWidth)
		fmt.Fprintf(b, `<text class="lane-title" x="%s" y="16">%s</text>`, num(l.x-8), esc(clipKeepingNumber(l.Title, chars)))
		fmt.Fprintf(b, `<text class="lane-sub" x="%s" y="31">%s</text>`, num(l.x-8), esc(clip(l.Subtitle, chars+2)))
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
}

// renderBlock draws items as one SVG, lifelines first.
func (d *diagram) renderBlock(b *strings.Builder, items []blockItem, class string) {
	h := 0.0
	for _, it := range items {
		if it.row == nil {
			h += gapHeight
		} else {
			h += rowHeight
		}
	}
	cls := "seq-block"
	if class != "" {
		cls += " " + class
	}
	fmt.Fprintf(b, `<svg class="%s" width="%s" height="%s" viewBox="0 0 %s %s">`, cls, num(d.width), num(h), num(d.width), num(h))
	// Lifelines: the scenario, device and network lanes all along; a
	// session's from its first row to its last.
	for i, l := range d.lanes {
		y0, y1, on := 0.0, 0.0, false
		y := 0.0
		for _, it := range items {
			ht := rowHeight
			if it.row == nil {
				ht = gapHeight
			}
			alive := l.Kind != laneSession || (it.index >= l.first && it.index <= l.last && l.first >= 0)
			if it.row == nil && l.Kind == laneSession && it.index == l.first {
				alive = false // the pause before a session's first row
			}
			if alive {
				if !on {
					y0, on = y, true
				}
				y1 = y + ht
			}
			y += ht
		}
		if on {
			fmt.Fprintf(b, `<line class="life life-%s" data-lane="%d" x1="%s" y1="%s" x2="%s" y2="%s"/>`, l.Kind, i, num(l.x), num(y0), num(l.x), num(y1))
		}
	}
	y := 0.0
	for _, it := range items {
		if it.row == nil {
			fmt.Fprintf(b, `<g class="pause"><rect x="0" y="%s" width="%s" height="%s"/><text x="8" y="%s">… %s</text></g>`,
				num(y), num(d.width), num(gapHeight), num(y+11.5), esc(pauseText(it.pause)))
			y += gapHeight
			continue
		}
		d.renderRow(b, it.row, y, class == "fold-head")
		y += rowHeight
	}
	b.WriteString(`</svg>`)
}

func (d *diagram) renderRow(b *strings.Builder, r *row, y float64, head bool) {
	group := "ev"
	if head {
		group = "fold-summary"
	}
	fmt.Fprintf(b, `<g class="%s k-%s" data-source="%s" data-lane="%d" data-at="%d" data-clock="%s"`,
		group, r.class, esc(r.source), r.lane, r.at.Nanoseconds(), scenarios.Clock(r.at))
	if r.to >= 0 {
		fmt.Fprintf(b, ` data-from="%d" data-to="%d"`, r.from, r.to)
	}
	b.WriteString(`>`)
	fmt.Fprintf(b, `<title>%s  %s  %s</title>`, scenarios.Clock(r.at), esc(r.source), esc(r.text))
	fmt.Fprintf(b, `<rect class="hit" x="0" y="%s" width="%s" height="%s"/>`, num(y), num(d.width), num(rowHeight))
	fmt.Fprintf(b, `<text class="clock" x="8" y="%s">%s</text>`, num(y+14), scenarios.Clock(r.at))
	label := clip(r.text, maxLabel)
	if head {
		label = fmt.Sprintf("▸ %d lines: ", len(r.members)) + label
		label = clip(label, maxLabel)
	}
	lx := d.labelX(*r)
	if r.to >= 0 {
		x1, x2 := d.lanes[r.from].x, d.lanes[r.to].x
		dir := 1.0
		if x2 < x1 {
			dir = -1
		}
		ly := y + 15
		fmt.Fprintf(b, `<line class="arrow" x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(x1), num(ly), num(x2-float64(dir*5)), num(ly))
		fmt.Fprintf(b, `<path class="head" d="M%s %sl%s -3.5v7z"/>`, num(x2), num(ly), num(-dir*6))
		fmt.Fprintf(b, `<text class="label" x="%s" y="%s">%s</text>`, num(lx), num(y+11), esc(label))
	} else {
		x := d.lanes[r.lane].x
		b.WriteString(mark(r.class, x, y+10))
		fmt.Fprintf(b, `<text class="label" x="%s" y="%s">%s</text>`, num(lx), num(y+14), esc(label))
	}
	b.WriteString(`</g>`)
}

// mark is the symbol of an event on its lane, centred at x, y.
func mark(class string, x, y float64) string {
	switch class {
	case "drop":
		return fmt.Sprintf(`<path class="mark" d="M%s %sl8 8m0 -8l-8 8"/>`, num(x-4), num(y-4))
	case "fold":
		return fmt.Sprintf(`<path class="mark" d="M%s %sl8 8m0 -8l-8 8"/><circle class="ring" cx="%s" cy="%s" r="7"/>`, num(x-4), num(y-4), num(x), num(y))
	case "retx":
		return fmt.Sprintf(`<circle class="mark" cx="%s" cy="%s" r="4"/>`, num(x), num(y))
	case "reset", "timeout":
		return fmt.Sprintf(`<path class="mark" d="M%s %sl5 5l-5 5l-5 -5z"/>`, num(x), num(y-5))
	case "down":
		return fmt.Sprintf(`<path class="mark" d="M%s %sh10l-5 8z"/>`, num(x-5), num(y-4))
	case "up":
		return fmt.Sprintf(`<path class="mark" d="M%s %sh10l-5 -8z"/>`, num(x-5), num(y+4))
	case "trigger":
		return fmt.Sprintf(`<path class="mark" d="M%s %sl-5 7h4l-2 6l6 -8h-4l2 -5z"/>`, num(x+1), num(y-6))
	case "note", "mtu", "dns":
		return fmt.Sprintf(`<rect class="mark" x="%s" y="%s" width="7" height="7"/>`, num(x-3.5), num(y-3.5))
	}
	return fmt.Sprintf(`<circle class="mark" cx="%s" cy="%s" r="3"/>`, num(x), num(y))
}

func pauseText(d time.Duration) string {
	return d.Round(time.Millisecond).String() + " later"
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 2 {
		return s
	}
	return string(r[:n-1]) + "…"
}

// clipKeepingNumber shortens a lane's title as clip does, but a
// session's number stays: "mail.example-isp.… #2".
func clipKeepingNumber(s string, n int) string {
	i := strings.LastIndex(s, " #")
	if i < 0 || len([]rune(s)) <= n {
		return clip(s, n)
	}
	suffix := s[i:]
	return clip(s[:i], n-len(suffix)) + suffix
}

// num writes a coordinate with at most one decimal, the same on every
// machine (the product rounded before the sum: not one fused
// multiply-add on a machine that has them).
func num(f float64) string {
	return strconv.FormatFloat(float64(int64(float64(f*10)+float64(0.5*sign(f))))/10, 'f', -1, 64)
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
