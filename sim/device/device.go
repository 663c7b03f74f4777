// Package device holds what every device model shares: what a device is
// plugged into (Env) and the parts of a running device that do not differ
// between models (Base: its mail task, failure log and own log).
package device

import (
	"crypto/x509"
	"fmt"
	"time"

	"alertsim/sim/alert"
)

// Env is what a device is plugged into: its network and its identity.
type Env struct {
	// Hostname is the device's network name, sent in EHLO and used in
	// Message-IDs.
	Hostname string
	// Seed derives the device's own random choices (frames, log traffic)
	// and its message identifiers.
	Seed uint64
	// Scene, when set, is what a camera's frames show instead of a scene
	// of its seed's (see FrameSeed).
	Scene    *uint64
	Dial     alert.DialFunc
	Resolver alert.Resolver
	// RootCAs is the firmware's trust store, for models that verify.
	RootCAs *x509.CertPool
	// Clock is the device's own clock: the time its mails, subjects,
	// schedules, log and certificate checks go by (the zero Clock is the
	// time package's, in UTC).
	Clock alert.Clock
	// Log receives the device's log lines, if set.
	Log func(alert.Event)
}

// FrameSeed is the seed a camera's frames are drawn from: the scene it
// looks at when one is set, else its own seed. Frames of one scene share
// their encoding (sim/imaging), so many short runs of one scene cost one
// scene's frames, not a scene's each.
func (e Env) FrameSeed() uint64 {
	if e.Scene != nil {
		return *e.Scene
	}
	return e.Seed
}

// Client returns the SMTP client the device's firmware runs.
func (e Env) Client() *alert.Client {
	return &alert.Client{Dial: e.Dial, Resolver: e.Resolver, RootCAs: e.RootCAs, HelloName: e.Hostname, Clock: e.Clock, Log: e.Log}
}

// Base is embedded by running device models.
type Base struct {
	Env  Env
	Task *alert.MailTask
}

// Start starts the device's mail task with client and a queue of queue
// jobs.
func Start(env Env, client *alert.Client, queue int) Base {
	return Base{Env: env, Task: alert.NewMailTask(client, queue)}
}

// Close powers the device off, abandoning a delivery in progress, and
// waits for its goroutines.
func (b *Base) Close() error {
	b.Task.Close()
	return nil
}

// Outcomes returns what became of each mail so far.
func (b *Base) Outcomes() []alert.Outcome { return b.Task.Outcomes() }

// FailureLog returns every failed attempt so far, as the device's log page
// shows it.
func (b *Base) FailureLog() []alert.Failure { return b.Task.FailureLog() }

// Unsent returns the kinds of the mails the device had taken but never
// tried when it was switched off (see alert.MailTask.Unsent).
func (b *Base) Unsent() []string { return b.Task.Unsent() }

// Compose renders a as the device's mail number n (from the mail task's
// count) sent at now. Every model's mails get their Date and Message-ID
// here, the identifier derived from the device's seed, host name and n, so
// that no model can give a mail a different kind of identifier or break the
// same-bytes-every-run rule on its own.
func (b *Base) Compose(n int, now time.Time, a alert.Alert) ([]byte, error) {
	a.Date = now
	a.MessageID = alert.MessageID(b.Env.Seed, b.Env.Hostname, n)
	return alert.Compose(a)
}

// Now returns the time the device's clock shows.
func (b *Base) Now() time.Time { return b.Env.Clock.Now() }

// Logf writes a line to the device's log.
func (b *Base) Logf(format string, args ...any) {
	if b.Env.Log != nil {
		b.Env.Log(alert.Event{Time: time.Now(), Text: fmt.Sprintf(format, args...)})
	}
}

// Plural returns "s" unless n is 1.
func Plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
