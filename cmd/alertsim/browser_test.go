package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"alertsim/internal/browsertest"
	"alertsim/sim/imaging"
)

// browser starts headless Chromium for the rest of the test
// (browsertest: Debian's package, which make test installs, a fresh
// profile, the flags a closed network needs), watching what the page
// writes to its console.
func browser(t *testing.T) (context.Context, *browsertest.Watch) {
	ctx := browsertest.Start(t)
	return ctx, browsertest.WatchPage(t, ctx)
}

// noPageErrors fails the test if the page wrote an error to its console,
// threw, or failed to load a resource of its own (its script, its
// stylesheets). A test calls it at its end, while serve still runs: the
// page's event stream breaks when serve stops, and says so.
func noPageErrors(t *testing.T, w *browsertest.Watch) {
	t.Helper()
	for _, e := range w.Errors() {
		t.Errorf("the page: %s", e)
	}
}

// screenshot writes the page to build/screenshots/name.png, for a person
// to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	browsertest.Screenshot(t, ctx, name)
}

// text returns the visible text of the first element the CSS selector sel
// selects, looked up and read in one step: the page re-renders its lists
// on every event, and a node found first and read after may be gone.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	q, _ := json.Marshal(sel)
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+string(q)+`).innerText`))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// imageLoaded waits until the first image the CSS selector sel selects
// has loaded and has pixels; what names it in the failure.
func imageLoaded(t *testing.T, ctx context.Context, sel, what string) {
	t.Helper()
	q, _ := json.Marshal(sel)
	loaded := `(() => { const i = document.querySelector(` + string(q) + `); return i.complete && i.naturalWidth > 0; })()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](loaded)); err != nil {
		t.Fatalf("%s never loaded: %v", what, err)
	}
}

// TestPageShowsMailLive: the page is open; swaks sends a snapshot; the
// message appears without a reload, with the snapshot's thumbnail, and
// opens to its attachment.
func TestPageShowsMailLive(t *testing.T) {
	swaks := requireTool(t, "swaks")
	ctx, watch := browser(t)
	s := startServe(t, "-user", benchUser, "-password", benchPassword)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.web+"/"),
		chromedp.WaitVisible("#no-messages"),
		chromedp.WaitVisible("#live.on"), // the event stream is up
	); err != nil {
		t.Fatal(err)
	}
	snapshot := filepath.Join(t.TempDir(), "snapshot.jpg")
	jpeg, err := imaging.Snapshot(imaging.Spec{Seed: 7, Stream: imaging.SubStream, Taken: time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(snapshot, jpeg, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, swaks, "--server", "127.0.0.1", "--port", port(s.ports["submission"]), "--tls",
		"--auth", "PLAIN", "--auth-user", benchUser, "--auth-password", benchPassword,
		"--from", "camera@example.com", "--to", "owner@example.com", "--header", "Subject: Motion at the gate",
		"--body", "Motion detected at 12:00.", "--attach-type", "image/jpeg", "--attach-name", "snapshot.jpg", "--attach", "@"+snapshot).CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible("tr.message img.thumb")); err != nil {
		t.Fatal(err)
	}
	imageLoaded(t, ctx, "tr.message img.thumb", "the thumbnail")
	subject := text(t, ctx, "tr.message td.subject")
	count := text(t, ctx, "#count-messages")
	if subject != "Motion at the gate" || count != "1" {
		t.Errorf("the list shows %q, count %s", subject, count)
	}
	screenshot(t, ctx, "bench-message-live")

	if err := chromedp.Do(ctx, chromedp.Click("tr.message"), chromedp.WaitVisible(".attachment img")); err != nil {
		t.Fatal(err)
	}
	imageLoaded(t, ctx, ".attachment img", "the attachment's thumbnail")
	body := text(t, ctx, "#detail pre.text")
	sessionText := text(t, ctx, "#detail pre.transcript")
	if !strings.Contains(body, "Motion detected at 12:00.") {
		t.Errorf("the message's text: %q", body)
	}
	if !strings.Contains(sessionText, "C: AUTH PLAIN [redacted]") || strings.Contains(sessionText, benchPassword) {
		t.Errorf("the session's transcript: %q", sessionText)
	}
	screenshot(t, ctx, "bench-message-detail")
	noPageErrors(t, watch)
}

// TestPageShowsFailedLogin: a session refused for a wrong password is
// listed among those that delivered nothing, with the refusal as its
// reason.
func TestPageShowsFailedLogin(t *testing.T) {
	swaks := requireTool(t, "swaks")
	ctx, watch := browser(t)
	s := startServe(t, "-user", benchUser, "-password", benchPassword)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.web+"/"),
		chromedp.WaitVisible("#live.on"),
		chromedp.Click("#tab-sessions"),
		chromedp.WaitVisible("#no-sessions"),
	); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, swaks, "--server", "127.0.0.1", "--port", port(s.ports["submission"]), "--tls",
		"--auth", "LOGIN", "--auth-user", benchUser, "--auth-password", "not-the-password",
		"--from", "camera@example.com", "--to", "owner@example.com").CombinedOutput()
	if err == nil {
		t.Fatalf("swaks delivered with a wrong password:\n%s", out)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible("tr.session.failed")); err != nil {
		t.Fatal(err)
	}
	why := text(t, ctx, "tr.session.failed td.why")
	login := text(t, ctx, "tr.session.failed td:nth-child(5)")
	failed := text(t, ctx, "#count-failed")
	if !strings.Contains(why, "535 5.7.8") || login != benchUser+" refused" || failed != "1" {
		t.Errorf("the failed session shows why %q, login %q, count %s", why, login, failed)
	}
	if err := chromedp.Do(ctx, chromedp.Click("tr.session.failed"), chromedp.WaitVisible("#detail pre.transcript")); err != nil {
		t.Fatal(err)
	}
	detail := text(t, ctx, "#detail")
	if !strings.Contains(detail, "LOGIN camera: refused 535 5.7.8") || strings.Contains(detail, "not-the-password") {
		t.Errorf("the session's page: %q", detail)
	}
	screenshot(t, ctx, "bench-failed-login")
	noPageErrors(t, watch)
}
