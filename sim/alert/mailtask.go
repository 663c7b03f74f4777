package alert

import (
	"context"
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
}

// MailTask is a device's mail task: one goroutine that sends the device's
// mails one at a time, in the order they were submitted, as firmware does.
// Jobs wait in a short queue; when it is full they are dropped and the
// drop is logged. A MailTask also runs the device's other background
// goroutines (schedules, motion timers) so that Close stops them all.
type MailTask struct {
	client *Client
	jobs   chan Job
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	dropped  int
	n        int
	outcomes []Outcome
	failures []Failure
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

// Submit queues a job. It reports false, and counts a drop, when the queue
// is full.
func (t *MailTask) Submit(j Job) bool {
	select {
	case t.jobs <- j:
		return true
	default:
		t.mu.Lock()
		t.dropped++
		t.mu.Unlock()
		return false
	}
}

// Close stops the task, abandoning a delivery in progress, and waits for
// its goroutines.
func (t *MailTask) Close() {
	t.cancel()
	t.wg.Wait()
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
			t.send(ctx, j)
			t.mu.Lock()
			k := t.dropped
			t.dropped = 0
			t.mu.Unlock()
			if k > 0 {
				t.client.logf("%d mail%s dropped while mailing: queue full", k, plural(k))
			}
		}
	}
}

func (t *MailTask) send(ctx context.Context, j Job) {
	t.mu.Lock()
	t.n++
	n := t.n
	t.mu.Unlock()
	clock := t.client.Clock
	if wait := clock.Until(j.Ready); !j.Ready.IsZero() && wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
	}
	env, msg, err := j.Build(n, clock.Now())
	if err != nil {
		t.client.logf("mail %d (%s): %v", n, j.Kind, err)
		return
	}
	d := t.client.Deliver(ctx, j.Policy, env, msg)
	out := Outcome{Mail: n, Kind: j.Kind, Attempts: d.Attempts, Delivered: d.Delivered()}
	for _, f := range d.Failures {
		out.Failures = append(out.Failures, f.Class)
	}
	if f := d.Last(); f != nil && !out.Delivered {
		out.Class = f.Class
	}
	if ctx.Err() != nil && !out.Delivered && len(d.Failures) == 0 {
		return // powered off before it was tried
	}
	t.mu.Lock()
	t.outcomes = append(t.outcomes, out)
	t.failures = append(t.failures, d.Failures...)
	t.mu.Unlock()
	if j.Done != nil {
		j.Done(d)
	}
}
