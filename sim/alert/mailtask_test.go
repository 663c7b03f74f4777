package alert_test

import (
	"context"

	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"alertsim/sim/alert"
)

// refuse is a dial function for a network where every port is closed.
func refuse(context.Context, string, string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
}

// TestMailTaskSendsInOrderAndDropsWhatDoesNotFit: jobs are taken one at a
// time in the order submitted, none before its Ready time; a job that
// finds the queue full is dropped and the drop logged at once; every
// attempt reaches the outcomes and the failure log, with when it began and
// ended.
func TestMailTaskSendsInOrderAndDropsWhatDoesNotFit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var logged []string
		client := &alert.Client{Dial: refuse, Resolver: alert.Hosts{"mail.example.com": {netip.MustParseAddr("203.0.113.10")}},
			Log: func(e alert.Event) { mu.Lock(); logged = append(logged, e.Text); mu.Unlock() }}
		task := alert.NewMailTask(client, 2)
		start := time.Now()
		var built []time.Duration
		job := func(kind string, ready time.Duration) alert.Job {
			return alert.Job{
				Kind:   kind,
				Ready:  start.Add(ready),
				Policy: alert.Policy{Servers: []alert.Server{{Host: "mail.example.com", Port: 25}}, Retries: []time.Duration{10 * time.Second}},
				Build: func(n int, now time.Time) (alert.Envelope, []byte, error) {
					built = append(built, now.Sub(start))
					return alert.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, []byte("Subject: x\r\n\r\nx\r\n"), nil
				},
			}
		}
		// The first job is taken at once and waits for its Ready time; two
		// more fill the queue; the fourth finds it full.
		if !task.Submit(job("first", 3*time.Second)) {
			t.Fatal("first job refused")
		}
		synctest.Wait()
		accepted := []bool{task.Submit(job("second", 0)), task.Submit(job("third", 0)), task.Submit(job("fourth", 0))}
		if want := []bool{true, true, false}; !slices.Equal(accepted, want) {
			t.Fatalf("Submit = %v, want %v", accepted, want)
		}
		// Logged when it happens, while the first mail is still waiting.
		mu.Lock()
		dropLogged := slices.Contains(logged, "mail dropped (fourth): the mail queue is full (2 waiting)")
		mu.Unlock()
		if !dropLogged {
			t.Errorf("the drop is not logged when it happens:\n%s", strings.Join(logged, "\n"))
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		task.Close()

		var kinds []string
		for _, o := range task.Outcomes() {
			kinds = append(kinds, o.Kind)
			if o.Delivered || o.Attempts != 2 || o.Class != alert.ClassRefused {
				t.Errorf("%s: %+v, want 2 refused attempts", o.Kind, o)
			}
			// A refusal takes no time: each attempt ends as it begins,
			// and the second begins 10 s after the first ended.
			if len(o.Tries) != 2 || o.Tries[1].Start.Sub(o.Tries[0].End) != 10*time.Second || !o.Tries[0].End.Equal(o.Tries[0].Start) {
				t.Errorf("%s: tries %v, want two, 10 s apart", o.Kind, o.Tries)
			}
		}
		if want := []string{"first", "second", "third"}; !slices.Equal(kinds, want) {
			t.Errorf("outcomes %v, want %v", kinds, want)
		}
		if len(task.FailureLog()) != 6 {
			t.Errorf("failure log has %d entries, want 6 (two attempts of three jobs)", len(task.FailureLog()))
		}
		// Each job takes two attempts 10 s apart; the first waits for its
		// frames until 3 s; each of the others starts two nanoseconds
		// after the task takes it.
		if want := []time.Duration{3 * time.Second, 13*time.Second + 2, 23*time.Second + 4}; !slices.Equal(built, want) {
			t.Errorf("jobs built at %v, want %v", built, want)
		}
		if u := task.Unsent(); len(u) != 0 {
			t.Errorf("unsent %v after every job was tried", u)
		}
	})
}

// TestMailTaskUnsentAtClose: a task switched off with a mail waiting for
// its Ready time and others queued says which it never tried.
func TestMailTaskUnsentAtClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client := &alert.Client{Dial: refuse, Resolver: alert.Hosts{}}
		task := alert.NewMailTask(client, 4)
		job := func(kind string) alert.Job {
			return alert.Job{Kind: kind, Ready: time.Now().Add(time.Hour),
				Policy: alert.Policy{Servers: []alert.Server{{Host: "mail.example.com", Port: 25}}},
				Build: func(int, time.Time) (alert.Envelope, []byte, error) {
					t.Error("a job was built")
					return alert.Envelope{}, nil, nil
				}}
		}
		for _, k := range []string{"waiting", "queued 1", "queued 2"} {
			task.Submit(job(k))
		}
		synctest.Wait()
		task.Close()
		if got, want := task.Unsent(), []string{"waiting", "queued 1", "queued 2"}; !slices.Equal(got, want) {
			t.Errorf("Unsent = %v, want %v", got, want)
		}
		if o := task.Outcomes(); len(o) != 0 {
			t.Errorf("outcomes %+v for mails never tried", o)
		}
	})
}

// TestMailTaskTriesNothingAfterClose: switched off during a delivery, the
// task ends that attempt (abandoned) and tries none of the queued mails,
// on every run. A select picks at random among ready cases, so before the
// fix a queued mail won over the closed context about half the time and
// got an "abandoned" attempt of its own: the same run gave two records.
func TestMailTaskTriesNothingAfterClose(t *testing.T) {
	for range 40 {
		synctest.Test(t, func(t *testing.T) {
			hang := func(ctx context.Context, _, _ string) (net.Conn, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}
			client := &alert.Client{Dial: hang, Resolver: alert.Hosts{"mail.example.com": {netip.MustParseAddr("203.0.113.10")}}}
			task := alert.NewMailTask(client, 4)
			for _, k := range []string{"in flight", "queued 1", "queued 2"} {
				task.Submit(alert.Job{Kind: k,
					Policy: alert.Policy{Servers: []alert.Server{{Host: "mail.example.com", Port: 25}}},
					Build: func(int, time.Time) (alert.Envelope, []byte, error) {
						return alert.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, []byte("Subject: x\r\n\r\nx\r\n"), nil
					}})
			}
			time.Sleep(time.Second)
			task.Close()
			out := task.Outcomes()
			if len(out) != 1 || out[0].Kind != "in flight" || out[0].Class != alert.ClassAbandoned {
				t.Fatalf("outcomes %+v, want the mail in flight, abandoned, alone", out)
			}
			if got, want := task.Unsent(), []string{"queued 1", "queued 2"}; !slices.Equal(got, want) {
				t.Fatalf("Unsent = %v, want %v", got, want)
			}
		})
	}
}

// TestMailTaskPreparesOnItsOwnGoroutine: a job's Prepare runs when its
// turn comes, after the mail before it is over, never beside it; one that
// reports the device switched off leaves its mail held, untried.
func TestMailTaskPreparesOnItsOwnGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var order []string
		client := &alert.Client{Dial: refuse, Resolver: alert.Hosts{"mail.example.com": {netip.MustParseAddr("203.0.113.10")}},
			Log: func(e alert.Event) { order = append(order, e.Text) }}
		task := alert.NewMailTask(client, 4)
		job := func(kind string, prepare func(ctx context.Context) bool) alert.Job {
			return alert.Job{Kind: kind, Prepare: prepare,
				Policy: alert.Policy{Servers: []alert.Server{{Host: "mail.example.com", Port: 25}}, Retries: []time.Duration{10 * time.Second}},
				Build: func(int, time.Time) (alert.Envelope, []byte, error) {
					return alert.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, []byte("Subject: x\r\n\r\nx\r\n"), nil
				}}
		}
		task.Submit(job("first", nil))
		task.Submit(job("second", func(context.Context) bool { order = append(order, "prepare second"); return true }))
		task.Submit(job("third", func(ctx context.Context) bool { <-ctx.Done(); return false }))
		time.Sleep(time.Minute)
		task.Close()
		// The first mail's two attempts, 10 s apart, come before the
		// second's Prepare.
		if i := slices.Index(order, "prepare second"); i < 0 || !slices.Contains(order[:i], "giving up after 2 attempts") {
			t.Errorf("the second job prepared before the first was over:\n%s", strings.Join(order, "\n"))
		}
		if got := task.Unsent(); !slices.Equal(got, []string{"third"}) {
			t.Errorf("Unsent = %v, want [third], held in its Prepare", got)
		}
		if n := len(task.Outcomes()); n != 2 {
			t.Errorf("%d outcomes, want the first two mails'", n)
		}
	})
}
