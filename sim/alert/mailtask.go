package alert

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Job is one mail for a device's mail task: an alert, a heartbeat, a log.
type Job struct {
	// Kind names it in the device's log and outcomes ("motion",
	// "heartbeat", "log full").
	Kind string
	// Build composes the message when the task takes the job, so that
	// its Date is the time it was sent; n counts the device's mails from 1.
	Build func(n int, now time.Time) (Envelope, []byte, error)
	// Ready, if set, is when the mail can be built at the earliest, by
	// the device's clock: a camera's burst is complete only once its last
	// frame is taken.
	Ready  time.Time
	Policy Policy
	// Prepare, if set, runs on the mail task's goroutine once the mail's
	// turn has come, before it is built: what the device does first (the
	// agent's PING of the server before a test message). Run there, it
	// never races the device's other mails. It reports false when the
	// device was switched off meanwhile: the mail is then held, not sent.
	Prepare func(ctx context.Context) bool
	// Done, if set, is called from the mail task once the job is over,
	// delivered or not: a router clears its log when the mail went out.
	Done func(*Delivery)
}

// Outcome is what became of one mail.
type Outcome struct {
	Mail     int // counts from 1
	Kind     string
	Attempts int
	// Delivered is set when a server took it.
	Delivered bool
	// Class says why the last attempt failed, when none succeeded.
	Class Class
	// Failures are the classes of its failed attempts, in order: its
	// part of the failure log.
	Failures []Class
	// Tries are when each attempt began and ended, by the device's
	// clock, in order: what a retry schedule is judged by.
	Tries []Try
}

// MailTask is a device's mail task: one goroutine that sends the device's
// mails one at a time, in the order they were submitted, as firmware does.
// Jobs wait in a short queue; when it is full they are dropped and the
// drop is logged at once. A MailTask also runs the device's other
// background goroutines (schedules, motion timers) so that Close stops
// them all.
type MailTask struct {
	client *Client
	jobs   chan Job
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	n        int
	outcomes []Outcome
	failures []Failure
	unsent   []string
}

// NewMailTask starts a mail task that sends with c and queues up to
// queue jobs.
func NewMailTask(c *Client, queue int) *MailTask {
	ctx, cancel := context.WithCancel(context.Background())
	t := &MailTask{client: c, jobs: make(chan Job, queue), ctx: ctx, cancel: cancel}
	t.Go(t.run)
	return t
}

// Go runs fn on a goroutine of the task; fn must return when ctx ends.
func (t *MailTask) Go(fn func(ctx context.Context)) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		fn(t.ctx)
	}()
}

// Submit queues a job. It reports false, and logs the drop, when the
// queue is full. The drop is logged when it happens, not once the mail in
// progress is over: a device switched off during a long delivery would
// otherwise never say what it dropped.
func (t *MailTask) Submit(j Job) bool {
	select {
	case t.jobs <- j:
		return true
	default:
		t.client.logf("mail dropped (%s): the mail queue is full (%d waiting)", j.Kind, cap(t.jobs))
		return false
	}
}

// Close stops the task, abandoning a delivery in progress, and waits for
// its goroutines. What was still queued is never sent (see Unsent).
func (t *MailTask) Close() {
	t.cancel()
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		select {
		case j := <-t.jobs:
			t.unsent = append(t.unsent, j.Kind)
		default:
			return
		}
	}
}

// Unsent returns the kinds of the mails the task had taken but never
// tried when it was closed, in order: those still queued, and one
// waiting for its Ready time. A device switched off loses them, as a
// camera loses its RAM; they are neither delivered nor failed.
func (t *MailTask) Unsent() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.unsent)
}

// Outcomes returns what became of each mail so far.
func (t *MailTask) Outcomes() []Outcome {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Outcome(nil), t.outcomes...)
}

// FailureLog returns every failed attempt so far, oldest first.
func (t *MailTask) FailureLog() []Failure {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Failure(nil), t.failures...)
}

func (t *MailTask) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-t.jobs:
			// After Close a queued job may win over ctx.Done (a select
			// picks at random among its ready cases); send's wait before
			// the mail starts hands it back as unsent.
			t.send(ctx, j)
		}
	}
}

func (t *MailTask) send(ctx context.Context, j Job) {
	t.mu.Lock()
	t.n++
	n := t.n
	t.mu.Unlock()
	clock := t.client.Clock
	// A mail starts two nanoseconds after the task takes it, at the
	// earliest: after whatever the device's other goroutines do at that
	// instant, a trigger on its first nanosecond, a schedule or a
	// camera's next snapshot on its second (see Schedule). Started on one
	// of those, the mail's own timers (a DNS try timing out, a retry) would
	// come due on the very nanosecond another goroutine acts, and which ran
	// first (whether a snapshot found the queue full) would be the
	// runtime's choice. The wait is also where a mail taken after Close
	// (see run) is handed back untried: the closed context is ready, the
	// timer is not, on every run.
	wait := 2 * time.Nanosecond
	if !j.Ready.IsZero() {
		wait = max(wait, clock.Until(j.Ready))
	}
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		t.mu.Lock()
		t.unsent = append(t.unsent, j.Kind)
		t.mu.Unlock()
		return
	}
	if j.Prepare != nil && (!j.Prepare(ctx) || ctx.Err() != nil) {
		t.mu.Lock()
		t.unsent = append(t.unsent, j.Kind)
		t.mu.Unlock()
		return
	}
	env, msg, err := j.Build(n, clock.Now())
	if err != nil {
		t.client.logf("mail %d (%s): %v", n, j.Kind, err)
		return
	}
	d := t.client.Deliver(ctx, j.Policy, env, msg)
	out := Outcome{Mail: n, Kind: j.Kind, Attempts: d.Attempts, Delivered: d.Delivered(), Tries: d.Tries}
	for _, f := range d.Failures {
		out.Failures = append(out.Failures, f.Class)
	}
	if f := d.Last(); f != nil && !out.Delivered {
		out.Class = f.Class
	}
	if ctx.Err() != nil && !out.Delivered && len(d.Failures) == 0 {
		// Powered off before it was tried.
		t.mu.Lock()
		t.unsent = append(t.unsent, j.Kind)
		t.mu.Unlock()
		return
	}
	t.mu.Lock()
	t.outcomes = append(t.outcomes, out)
	t.failures = append(t.failures, d.Failures...)
	t.mu.Unlock()
	if j.Done != nil {
		j.Done(d)
	}
}
