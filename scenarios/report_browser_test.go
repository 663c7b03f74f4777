package scenarios_test

import (
	"bytes"
	"cmp"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"alertsim/internal/browsertest"
	"alertsim/report"
	"alertsim/scenarios"
)

// pageStructure is what the test reads back from a report in the
// browser.
type pageStructure struct {
	Lanes []struct {
		Source, Kind string
	}
	Events []struct {
		Source, At string
		Lane       int
	}
	Images []struct {
		Alt, Sha string
		Complete bool
		Width    int
	}
	Charts []struct {
		Flow   string
		Points int
	}
	Folds   int
	Verdict string
}

const readStructure = `(() => ({
  lanes: [...document.querySelectorAll("#sequence-diagram .seq-head g.lane")].map(g => ({source: g.dataset.source, kind: g.dataset.kind})),
  events: [...document.querySelectorAll("#sequence-diagram g.ev")].map(g => ({source: g.dataset.source, at: g.dataset.at, lane: +g.dataset.lane})),
  images: [...document.querySelectorAll("img.snap")].map(i => ({alt: i.alt, sha: i.dataset.sha256, complete: i.complete, width: i.naturalWidth})),
  charts: [...document.querySelectorAll("figure.conn")].map(f => ({flow: f.dataset.flow, points: (f.querySelector("polyline.sent").getAttribute("points") || "").split(" ").length})),
  folds: document.querySelectorAll("details.fold").length,
  verdict: document.querySelector("#verdict").textContent,
}))()`

// TestReportInBrowser opens the reports of the black hole, the burst
// over 4G and the greylisting retry (scenarios.ReportScenarios) in
// headless Chromium: no console
// error, no request but the file and its data: URIs, and the page's
// structure is the run's: a lane per source (scenario, device, network,
// each server session) in that order, an event per line of the record at
// its virtual time (each folded copy counted), every snapshot decoded, a
// chart per connection. Screenshots of the diagram, a chart and the
// snapshots go to build/screenshots/report-*.png.
func TestReportInBrowser(t *testing.T) {
	ctx := browsertest.Start(t)
	watch := browsertest.WatchPage(t, ctx)
	dir := t.TempDir()
	for _, path := range scenarios.ReportScenarios {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			res := scenarios.CapturedResult(t, path)
			var buf bytes.Buffer
			if err := report.Write(&buf, res, report.Options{}); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, name+".html")
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			pageURL := (&url.URL{Scheme: "file", Path: file}).String()
			requests, errs := len(watch.Requests()), len(watch.Errors())
			if err := chromedp.Do(ctx, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS("#sequence-diagram g.ev"))); err != nil {
				t.Fatal(err)
			}
			// Every snapshot decoded, those shown twice too (the page's
			// script gives them their data).
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.querySelectorAll("img.snap")].every(i => i.complete && i.naturalWidth > 0)`)); err != nil {
				t.Fatalf("the snapshots never decoded: %v", err)
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[pageStructure](readStructure))
			if err != nil {
				t.Fatal(err)
			}
			checkStructure(t, res, got)

			for _, u := range watch.Requests()[requests:] {
				if u != pageURL && !strings.HasPrefix(u, "data:") {
					t.Errorf("the page requested %s", u)
				}
			}
			for _, e := range watch.Errors()[errs:] {
				t.Errorf("the page: %s", e)
			}

			browsertest.ScreenshotOf(t, ctx, "#sequence", "report-"+name+"-sequence")
			browsertest.ScreenshotOf(t, ctx, "#conn-1", "report-"+name+"-chart")
			thumbs := "#messages"
			if len(res.Captured) == 0 {
				thumbs = "#sdcard"
			}
			browsertest.ScreenshotOf(t, ctx, thumbs, "report-"+name+"-snapshots")
			if len(res.Captured) > 0 {
				browsertest.Screenshot(t, ctx, "report-"+name)
			}

			if got.Folds > 0 {
				// A folded run opens to its copies.
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("details.fold > summary")), chromedp.WaitVisible(chromedp.CSS("details.fold[open] .fold-body g.ev"))); err != nil {
					t.Fatalf("a folded run does not open: %v", err)
				}
				browsertest.ScreenshotOf(t, ctx, "#sequence", "report-"+name+"-fold-open")
			}
		})
	}
}

// checkStructure compares what the browser shows with the run.
func checkStructure(t *testing.T, res *scenarios.Result, got pageStructure) {
	t.Helper()
	// Lanes: one per source of the timeline: the scenario's triggers,
	// the device, the network (whether or not it did anything), then the
	// sessions in the order they began.
	var want []string
	for _, e := range res.Timeline() {
		if e.Rank == scenarios.RankScenario && !slices.Contains(want, e.Source) {
			want = append(want, e.Source)
		}
	}
	want = append(want, string(res.Scenario.Device.Hostname), "net")
	for _, e := range res.Timeline() {
		if e.Rank == scenarios.RankServer && !slices.Contains(want, e.Source) {
			want = append(want, e.Source)
		}
	}
	var lanes []string
	for _, l := range got.Lanes {
		lanes = append(lanes, l.Source)
	}
	if !slices.Equal(lanes, want) {
		t.Errorf("lanes %q, want %q", lanes, want)
	}
	if len(res.Sessions) == 0 || !slices.ContainsFunc(got.Lanes, func(l struct{ Source, Kind string }) bool { return l.Kind == "session" }) {
		t.Errorf("no session lane; the run has %d sessions", len(res.Sessions))
	}

	// Events: every line of the record but the network's, and every
	// event of the network's trace, in its source's lane at its time.
	type ev struct {
		source, at string
	}
	var wantEv, gotEv []ev
	for _, e := range res.Timeline() {
		if e.Rank != scenarios.RankNetwork {
			wantEv = append(wantEv, ev{e.Source, strconv.FormatInt(e.At.Nanoseconds(), 10)})
		}
	}
	for _, e := range res.Trace {
		wantEv = append(wantEv, ev{"net", strconv.FormatInt(e.At.Sub(res.Start).Nanoseconds(), 10)})
	}
	for _, e := range got.Events {
		gotEv = append(gotEv, ev{e.Source, e.At})
		if e.Lane < 0 || e.Lane >= len(lanes) || lanes[e.Lane] != e.Source {
			t.Errorf("an event of %s at %s ns is in lane %d", e.Source, e.At, e.Lane)
		}
	}
	byKey := func(a, b ev) int {
		return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(len(a.at), len(b.at)), cmp.Compare(a.at, b.at))
	}
	slices.SortFunc(wantEv, byKey)
	slices.SortFunc(gotEv, byKey)
	if !slices.Equal(gotEv, wantEv) {
		t.Errorf("the diagram has %d events, the run %d; first difference: %s", len(gotEv), len(wantEv), firstDiff(gotEv, wantEv))
	}

	// Images: each snapshot of each message and of the SD card, decoded.
	images := 0
	for _, img := range got.Images {
		images++
		if !img.Complete || img.Width == 0 {
			t.Errorf("image %q does not decode", img.Alt)
		}
	}
	wantImages := 0
	for _, m := range res.Captured {
		for _, p := range m.Parts {
			if strings.HasPrefix(p.ContentType, "image/") && p.Width > 0 {
				wantImages++
			}
		}
	}
	if res.Evidence != nil {
		wantImages += len(res.Evidence.Files)
	}
	if images != wantImages || images == 0 {
		t.Errorf("%d images, want %d (the messages' snapshots and the SD card's)", images, wantImages)
	}

	// Charts: one per connection, each with its line of bytes sent.
	if len(got.Charts) == 0 {
		t.Error("no chart")
	}
	for _, c := range got.Charts {
		if c.Points < 3 {
			t.Errorf("the chart of %s has a line of %d points", c.Flow, c.Points)
		}
	}
	wantVerdict := "pass"
	if len(res.Failed()) > 0 {
		wantVerdict = "FAIL"
	}
	if got.Verdict != wantVerdict {
		t.Errorf("verdict %q, want %q", got.Verdict, wantVerdict)
	}
}

func firstDiff[T comparable](a, b []T) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d: %v, want %v", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(a), len(b))
}
