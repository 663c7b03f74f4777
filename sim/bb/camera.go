package bb

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"alertsim/sim/alert"
	"alertsim/sim/imaging"
)

// Env is what the camera is plugged into.
type Env struct {
	Hostname string
	Seed     uint64
	Dial     alert.DialFunc
	Resolver alert.Resolver
	Log      func(alert.Event)
}

var triggerWords = map[string]string{
	"sensor":      "Built-in sensor",
	"alarm-input": "External alarm input",
	"detection":   "Detection",
}

// Camera is a running camera.
type Camera struct {
	settings Settings
	env      Env
	task     *alert.MailTask

	mu sync.Mutex
	n  int
}

// New validates the settings and powers the camera on.
func New(s Settings, env Env) (*Camera, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	c := &Camera{settings: s, env: env}
	// Without a host name the camera says EHLO with its address literal.
	client := &alert.Client{Dial: env.Dial, Resolver: env.Resolver, HelloName: env.Hostname, Log: env.Log}
	c.task = alert.NewMailTask(client, 8)
	return c, nil
}

// Trigger fires "sensor", "alarm-input" or "detection": the camera takes a
// snapshot and mails it to every destination in one message.
func (c *Camera) Trigger(event string) {
	words, ok := triggerWords[event]
	if !ok {
		c.logf("unknown event %q ignored", event)
		return
	}
	s := c.settings
	if !slices.Contains(s.SendOn, event) {
		c.logf("%s: e-mail notification not selected for this trigger", words)
		return
	}
	c.mu.Lock()
	c.n++
	n := c.n
	c.mu.Unlock()
	taken := time.Now()
	frame, err := imaging.Snapshot(imaging.Spec{Seed: c.env.Seed, Stream: imaging.SubStream, Index: n, Taken: taken})
	if err != nil {
		c.logf("snapshot failed: %v", err)
		return
	}
	c.logf("%s triggered: notification %d", words, n)
	c.task.Submit(alert.Job{
		Kind:   event,
		Policy: alert.Policy{Servers: []alert.Server{s.server()}},
		Build: func(mail int, now time.Time) (alert.Envelope, []byte, error) {
			raw, err := alert.Compose(alert.Alert{
				FromName:    s.CameraName,
				FromAddress: s.ReplyAddress,
				To:          s.DestinationAddresses,
				// The time appended is the trigger's, to the millisecond.
				Subject:   alert.SubjectWithTime(s.Subject, MaxSubject, taken),
				Date:      now,
				MessageID: alert.MessageID(c.env.Seed, c.env.Hostname, mail),
				Text:      fmt.Sprintf("%s: %s\n", words, taken.UTC().Format("2006/01/02 15:04:05")),
				Attachments: []alert.Attachment{{
					Name: fmt.Sprintf("image%d.jpg", n), ContentType: "image/jpeg", Data: frame,
				}},
			})
			return alert.Envelope{From: s.ReplyAddress, To: s.DestinationAddresses}, raw, err
		},
	})
}

// Close powers the camera off and waits for its goroutines.
func (c *Camera) Close() error {
	c.task.Close()
	return nil
}

// Outcomes returns what became of each notification so far.
func (c *Camera) Outcomes() []alert.Outcome { return c.task.Outcomes() }

// FailureLog returns the camera's record of failed attempts.
func (c *Camera) FailureLog() []alert.Failure { return c.task.FailureLog() }

func (c *Camera) logf(format string, args ...any) {
	if c.env.Log != nil {
		c.env.Log(alert.Event{Time: time.Now(), Text: fmt.Sprintf(format, args...)})
	}
}
