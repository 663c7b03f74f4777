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
// finds the queue full is dropped and the drop logged; every attempt
// reaches the outcomes and the failure log.
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
		time.Sleep(time.Minute)
		synctest.Wait()
		task.Close()

		var kinds []string
		for _, o := range task.Outcomes() {
			kinds = append(kinds, o.Kind)
			if o.Delivered || o.Attempts != 2 || o.Class != alert.ClassRefused {
				t.Errorf("%s: %+v, want 2 refused attempts", o.Kind, o)
			}
		}
		if want := []string{"first", "second", "third"}; !slices.Equal(kinds, want) {
			t.Errorf("outcomes %v, want %v", kinds, want)
		}
		if len(task.FailureLog()) != 6 {
			t.Errorf("failure log has %d entries, want 6 (two attempts of three jobs)", len(task.FailureLog()))
		}
		// Each job takes two attempts 10 s apart; the first waits for its
		// frames until 3 s.
		if want := []time.Duration{3 * time.Second, 13 * time.Second, 23 * time.Second}; !slices.Equal(built, want) {
			t.Errorf("jobs built at %v, want %v", built, want)
		}
		if !slices.ContainsFunc(logged, func(s string) bool { return strings.Contains(s, "1 mail dropped while mailing: queue full") }) {
			t.Errorf("the drop is not logged:\n%s", strings.Join(logged, "\n"))
		}
	})
}
