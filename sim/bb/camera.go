package bb

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"alertsim/sim/alert"
	"alertsim/sim/device"
	"alertsim/sim/imaging"
)

var triggerWords = map[string]string{
	"sensor":      "Built-in sensor",
	"alarm-input": "External alarm input",
	"detection":   "Detection",
}

// Camera is a running camera.
type Camera struct {
	device.Base
	settings Settings

	mu sync.Mutex
	n  int
}

// New validates the settings and powers the camera on.
func New(s Settings, env device.Env) (*Camera, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	// Without a host name the camera says EHLO with its address literal.
	return &Camera{Base: device.Start(env, env.Client(), 8), settings: s}, nil
}

// Trigger fires "sensor", "alarm-input" or "detection": the camera takes a
// snapshot and mails it to every destination in one message.
func (c *Camera) Trigger(event string) {
	words, ok := triggerWords[event]
	if !ok {
		c.Logf("unknown event %q ignored", event)
		return
	}
	s := c.settings
	if !slices.Contains(s.SendOn, event) {
		c.Logf("%s: e-mail notification not selected for this trigger", words)
		return
	}
	c.mu.Lock()
	c.n++
	n := c.n
	c.mu.Unlock()
	taken := c.Now()
	frame, err := imaging.Snapshot(imaging.Spec{Seed: c.Env.FrameSeed(), Stream: imaging.SubStream, Index: n, Taken: taken})
	if err != nil {
		c.Logf("snapshot failed: %v", err)
		return
	}
	c.Logf("%s triggered: notification %d", words, n)
	c.Task.Submit(alert.Job{
		Kind:   event,
		Policy: alert.Policy{Servers: []alert.Server{s.server()}},
		Build: func(mail int, now time.Time) (alert.Envelope, []byte, error) {
			raw, err := c.Compose(mail, now, alert.Alert{
				FromName:    s.CameraName,
				FromAddress: s.ReplyAddress,
				To:          s.DestinationAddresses,
				// The time appended is the trigger's, to the millisecond.
				Subject: alert.SubjectWithTime(s.Subject, MaxSubject, taken),
				Text:    fmt.Sprintf("%s: %s\n", words, taken.Format("2006/01/02 15:04:05")),
				Attachments: []alert.Attachment{{
					Name: fmt.Sprintf("image%d.jpg", n), ContentType: "image/jpeg", Data: frame,
				}},
			})
			return alert.Envelope{From: s.ReplyAddress, To: s.DestinationAddresses}, raw, err
		},
	})
}
