// Package report writes the HTML report of a scenario's run: one file
// that needs nothing else (no network, no other file: its style, script,
// diagrams and snapshots are in it), to open in any browser or attach to
// a ticket. It shows the outcome and the failure log, why each attempt
// failed (scenarios.Explain), a sequence diagram of the device, the
// network and each server session at virtual times (the record's folded
// runs expandable), for each TCP connection a chart of the bytes sent and
// acknowledged over time, the server sessions, each message as the bench
// page shows one (its fields, text, snapshots, MIME tree and headers), the
// SD card, and the text record itself.
//
// Diagrams and charts are SVG written by this package, not a JavaScript
// library: the page is the same bytes on every run (a library laying out
// in the browser would make a page whose picture depends on the browser,
// and whose tests read a canvas instead of elements), it needs no vendored
// code to keep up to date, and it shows with scripts off. The only script
// copies a repeated image's data and opens every folded run at once.
//
// Same run, same bytes: everything is ordered by the record's keys, ids
// count in page order, no wall-clock time is written. The page holds what
// the messages hold; the record's transcripts are already redacted, and
// the report never shows a packet's payload, so no password or AUTH
// payload is in it unless a message carries one.
package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"alertsim/internal/mailview"
	"alertsim/scenarios"
	"alertsim/sim/alert"
)

// Options are what a report shows besides the run.
type Options struct {
	// Checks are verdicts the run does not hold itself, shown with its
	// expectations and counted in the outcome: the comparison with the
	// golden record, for one.
	Checks []scenarios.Check
}

var (
	//go:embed page.html
	pageHTML string
	//go:embed style.css
	styleCSS string
	//go:embed script.js
	scriptJS string

	pageTemplate = template.Must(template.New("page").Parse(pageHTML))
	// The page's only style and script, by hash: nothing else may run or
	// load, whatever a message holds.
	css    = styleCSS + "\n" + mailview.CSS
	policy = fmt.Sprintf("default-src 'none'; img-src data:; style-src '%s'; script-src '%s'", hash(css), hash(scriptJS))
)

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Write writes the report of res to w. A run played without
// scenarios.Options.Capture has no packets, and its report no charts.
func Write(w io.Writer, res *scenarios.Result, opts Options) error {
	p := build(res, opts)
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return err
	}
	_, err := w.Write(validText(buf.Bytes()))
	return err
}

// page is what the template shows.
type page struct {
	Name, Description string
	Seed              uint64
	OK                bool
	Outcome           string
	Header            []scenarios.Field
	Mails             []line
	Checks            []scenarios.Check
	Failures          []failure
	Why               string
	Sequence          template.HTML
	Lanes, Events     int
	Folds             int
	Captured          bool
	Conns             []connView
	Sessions          []sessionView
	Messages          []messageView
	SD                *sdView
	Record            string
	Policy            string
	CSS               template.CSS
	Script            template.JS
}

type line struct {
	Text string
	OK   bool
}

type failure struct {
	Clock, Server, Class, Stage, Detail string
	Attempt, Code                       int
}

type connView struct {
	ID      int
	Title   string
	Session string
	Lane    int // the session's lane, -1 for none
	Chart   template.HTML
	Caption string
	Data    bool // the client sent data on it
}

type sessionView struct {
	Source, Client, Helo, Port, TLS, Logins, Started, Ended, Why string
	Delivered                                                    int
	Lane                                                         int
}

func build(res *scenarios.Result, opts Options) *page {
	sc := res.Scenario
	p := &page{
		Name: string(sc.Name), Description: sc.Description, Seed: res.Seed,
		Outcome: res.Outcome(), Header: res.Header(), Record: string(res.Record),
		Policy: policy, CSS: template.CSS(css), Script: template.JS(scriptJS),
	}
	p.Checks = append(append(p.Checks, res.Checks...), opts.Checks...)
	p.OK = true
	for _, c := range p.Checks {
		p.OK = p.OK && c.OK
	}
	for _, o := range res.Mails {
		text := fmt.Sprintf("mail %d (%s): ", o.Mail, o.Kind)
		if o.Delivered {
			text += fmt.Sprintf("delivered after %d attempt%s", o.Attempts, plural(o.Attempts))
		} else {
			text += fmt.Sprintf("failed after %d attempt%s (%s)", o.Attempts, plural(o.Attempts), o.Class)
		}
		p.Mails = append(p.Mails, line{Text: text, OK: o.Delivered})
	}
	for _, f := range res.FailureLog {
		p.Failures = append(p.Failures, failureOf(res, f))
	}
	p.Why = strings.Join(scenarios.Explain(res), "\n")

	d := buildDiagram(res)
	var seq strings.Builder
	d.render(&seq)
	p.Sequence = template.HTML(seq.String()) // every text in it went through esc
	p.Lanes, p.Events = len(d.lanes), d.countEvents()
	laneOf := map[string]int{}
	for i, l := range d.lanes {
		laneOf[l.Source] = i
	}
	for _, r := range d.rows {
		if len(r.members) > 0 {
			p.Folds++
		}
	}

	p.Captured = res.Packets() != nil
	for i, cn := range connections(res.Packets(), res.Start, res.Sessions) {
		var chart strings.Builder
		cn.renderChart(&chart, i+1)
		v := connView{ID: i + 1, Title: fmt.Sprintf("%s > %s", cn.client, cn.server), Session: cn.session, Lane: -1,
			Chart: template.HTML(chart.String()), Caption: cn.describe(), Data: len(cn.sent) > 0}
		if l, ok := laneOf[cn.session]; ok && cn.session != "" {
			v.Lane = l
		}
		p.Conns = append(p.Conns, v)
	}
	for _, s := range res.Sessions {
		p.Sessions = append(p.Sessions, sessionViewOf(res, s, laneOf))
	}

	images := newImagePool()
	for _, m := range res.Captured {
		p.Messages = append(p.Messages, messageViewOf(res, m, images, laneOf))
	}
	p.SD = sdViewOf(res, images)
	return p
}

func failureOf(res *scenarios.Result, f alert.Failure) failure {
	return failure{Clock: scenarios.Clock(f.Time.Sub(res.Start)), Server: f.Server, Class: string(f.Class), Stage: f.Stage, Detail: f.Detail, Attempt: f.Attempt, Code: f.Code}
}

func sessionViewOf(res *scenarios.Result, s scenarios.ServerSession, laneOf map[string]int) sessionView {
	v := sessionView{Source: s.Source, Client: s.Remote, Helo: s.Helo, Port: fmt.Sprintf("%s (%s)", s.Local, s.Mode), TLS: mailview.TLSOf(s.TLS).String(),
		Started: scenarios.Clock(s.Started.Sub(res.Start)), Why: mailview.Problem(s.Session), Delivered: s.Delivered, Lane: -1}
	if s.TLS == nil && s.TLSError != "" {
		v.TLS = "handshake failed: " + s.TLSError
	}
	var logins []string
	for _, l := range s.Logins {
		r := "accepted"
		if !l.OK {
			r = "refused " + l.Reply
		}
		logins = append(logins, fmt.Sprintf("%s %s: %s", l.Mechanism, l.User, r))
	}
	v.Logins = strings.Join(logins, "; ")
	if !s.Ended.IsZero() {
		v.Ended = scenarios.Clock(s.Ended.Sub(res.Start)) + ": " + s.EndReason
	}
	if l, ok := laneOf[s.Source]; ok {
		v.Lane = l
	}
	return v
}

// clockOf is a time of the run as the record writes it.
func clockOf(res *scenarios.Result, t time.Time) string { return scenarios.Clock(t.Sub(res.Start)) }
