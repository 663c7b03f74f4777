package agent

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"alertsim/sim/alert"
	"alertsim/sim/device"
)

// Events are what a scenario can fire at the agent: the test button, and a
// monitor raising an alert.
var Events = []string{"send-test-message", "alert"}

// Agent is a running agent.
type Agent struct {
	device.Base
	settings Settings
	client   *alert.Client

	mu     sync.Mutex
	alerts int
}

// New validates the settings and starts the agent.
func New(s Settings, env device.Env) (*Agent, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	client := env.Client()
	return &Agent{Base: device.Start(env, client, 16), settings: s, client: client}, nil
}

// Trigger fires "send-test-message" (the test: PING first if set, then one
// message, one attempt, the result in the dialog's words) or "alert" (a
// monitor failed: the agent mails it, trying once more a minute later).
func (a *Agent) Trigger(event string) {
	switch event {
	case "send-test-message":
		a.test()
	case "alert":
		a.alert()
	default:
		a.Logf("unknown event %q ignored", event)
	}
}

// test sends the test message; with PingServer it first checks that the
// server answers, and says so, as the agent's dialog does.
func (a *Agent) test() {
	s := a.settings
	srv := s.server()
	from := s.SenderAddress
	if s.FromHeader != "" {
		from = s.FromHeader
	}
	job := alert.Job{
		Kind:   "test message",
		Policy: alert.Policy{Servers: []alert.Server{srv}},
		Build: func(mail int, now time.Time) (alert.Envelope, []byte, error) {
			raw, err := a.Compose(mail, now, alert.Alert{
				FromName: "Monitoring agent", FromAddress: from, To: []string{s.TestAddress},
				Subject: "SMTP test message from " + a.Env.Hostname,
				Text:    fmt.Sprintf("This is a test message from the monitoring agent on %s.\nSent: %s\n", a.Env.Hostname, now.Format("2006-01-02 15:04:05 -0700")),
			})
			// The From header may say another address; the envelope is
			// the agent's own.
			return alert.Envelope{From: s.SenderAddress, To: []string{s.TestAddress}}, raw, err
		},
		Done: func(d *alert.Delivery) {
			if d.Delivered() {
				a.Logf("test message sent to %s", s.TestAddress)
			} else {
				a.Logf("test message failed: %s", strings.TrimPrefix(alert.DescribeTest(d), "Test Email failed: "))
			}
		},
	}
	if s.PingServer {
		// The PING comes first, on the mail task, when the test's turn
		// comes: one thing at a time, as the agent's dialog does.
		job.Prepare = func(ctx context.Context) bool {
			a.Logf("PING %s:%d", srv.Host, srv.Port)
			answer := a.client.Ping(ctx, srv)
			if ctx.Err() != nil {
				// Switched off mid-PING: the agent is gone, and says
				// nothing more.
				return false
			}
			a.Logf("PING: %s", answer)
			return true
		}
	}
	a.Task.Submit(job)
}

// Retries are the agent's for an alert: once more, a minute later.
var Retries = []time.Duration{time.Minute}

func (a *Agent) alert() {
	a.mu.Lock()
	a.alerts++
	n := a.alerts
	a.mu.Unlock()
	s := a.settings
	raised := a.Now()
	a.Logf("monitor alert %d raised", n)
	a.Task.Submit(alert.Job{
		Kind:   "alert",
		Policy: alert.Policy{Servers: []alert.Server{s.server()}, Retries: Retries},
		Build: func(mail int, now time.Time) (alert.Envelope, []byte, error) {
			raw, err := a.Compose(mail, now, alert.Alert{
				FromName: "Monitoring agent", FromAddress: s.SenderAddress, To: []string{s.TestAddress},
				Subject: fmt.Sprintf("Alert %d on %s", n, a.Env.Hostname),
				Text:    fmt.Sprintf("A monitor on %s raised alert %d at %s.\n", a.Env.Hostname, n, raised.Format("2006-01-02 15:04:05 -0700")),
			})
			return alert.Envelope{From: s.SenderAddress, To: []string{s.TestAddress}}, raw, err
		},
	})
}
