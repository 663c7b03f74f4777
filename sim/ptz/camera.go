package ptz

import (
	"context"
	"crypto/x509"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"alertsim/sim/alert"
	"alertsim/sim/imaging"
)

// Event is what the camera detected.
type Event string

// EventMotion is basic motion detection.
const EventMotion Event = "motion"

// eventNames are the words %Event_Type% expands to.
var eventNames = map[Event]string{
	EventMotion: "Motion Detected",
}

// ParseEvent checks an event name.
func ParseEvent(s string) (Event, error) {
	if _, ok := eventNames[Event(s)]; !ok {
		return "", fmt.Errorf("unknown event %q (this camera detects: motion)", s)
	}
	return Event(s), nil
}

// Env is what the camera is plugged into: its network and its identity.
type Env struct {
	// Hostname is the camera's network name, sent in EHLO and used in
	// Message-IDs.
	Hostname string
	// Seed derives the camera's frames and message identifiers.
	Seed     uint64
	Dial     alert.DialFunc
	Resolver alert.Resolver
	// RootCAs is the firmware's trust store.
	RootCAs *x509.CertPool
	// Log receives the camera's log lines, if set.
	Log func(alert.Event)
}

// Outcome is what became of one alert.
type Outcome struct {
	Alert     int // counts from 1
	Event     Event
	Attempts  int
	Delivered bool
	// Class says why the last attempt failed, when none succeeded.
	Class alert.Class
}

// Camera is a running camera. Trigger feeds it events; it mails them from
// its own goroutine, one at a time, as the firmware's mail task does.
type Camera struct {
	settings Settings
	env      Env
	client   *alert.Client

	events  chan Event
	dropped atomic.Int64
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}

	mu       sync.Mutex
	outcomes []Outcome
	failures []alert.Failure
}

// New validates the settings and starts the camera.
func New(s Settings, env Env) (*Camera, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Camera{
		settings: s,
		env:      env,
		client: &alert.Client{
			Dial:      env.Dial,
			Resolver:  env.Resolver,
			RootCAs:   env.RootCAs,
			HelloName: env.Hostname,
			Log:       env.Log,
		},
		events: make(chan Event, 16),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go c.run()
	return c, nil
}

// Trigger reports an event. Like the firmware, the camera queues a few and
// drops the rest when its mail task is busy; the mail task logs the drops.
func (c *Camera) Trigger(e Event) {
	select {
	case c.events <- e:
	default:
		c.dropped.Add(1)
	}
}

// Close stops the camera, abandoning a delivery in progress, and waits for
// its goroutine.
func (c *Camera) Close() error {
	c.cancel()
	<-c.done
	return nil
}

// Outcomes returns what became of each alert so far.
func (c *Camera) Outcomes() []Outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Outcome(nil), c.outcomes...)
}

// FailureLog returns the failure log as the web UI shows it
// (Maintenance > Log).
func (c *Camera) FailureLog() []alert.Failure {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]alert.Failure(nil), c.failures...)
}

func (c *Camera) logf(format string, args ...any) {
	if c.env.Log != nil {
		c.env.Log(alert.Event{Time: time.Now(), Text: fmt.Sprintf(format, args...)})
	}
}

func (c *Camera) run() {
	defer close(c.done)
	n := 0
	for {
		select {
		case <-c.ctx.Done():
			return
		case e := <-c.events:
			n++
			c.alert(n, e)
			if k := c.dropped.Swap(0); k > 0 {
				c.logf("%d events dropped while mailing: queue full", k)
			}
		}
	}
}

// alert captures the snapshot, composes the mail and sends it.
func (c *Camera) alert(n int, e Event) {
	s := c.settings
	now := time.Now()
	stream, _ := s.stream()
	frame, err := imaging.Snapshot(imaging.Spec{Seed: c.env.Seed, Stream: stream, Index: n - 1, Taken: now})
	if err != nil {
		c.logf("alert %d: snapshot failed: %v", n, err)
		return
	}
	c.logf("%s detected: alert %d, snapshot from %s stream (%d bytes)", e, n, stream, len(frame))

	vars := map[string]string{
		"Camera_Name": s.CameraName,
		"Event_Type":  eventNames[e],
		"Date":        now.Format("2006-01-02"),
		"Time":        now.Format("15:04:05"),
	}
	raw, err := alert.Compose(alert.Alert{
		FromName:    s.CameraName,
		FromAddress: s.SenderAddress,
		To:          []string{s.RecipientAddress},
		Subject:     alert.ExpandSubject(s.Subject, vars),
		Date:        now,
		MessageID:   alert.MessageID(c.env.Seed, c.env.Hostname, n),
		Text: fmt.Sprintf("Event: %s\nCamera: %s\nTime: %s\n",
			eventNames[e], s.CameraName, now.Format("2006-01-02 15:04:05")),
		Attachments: []alert.Attachment{{
			Name:        fmt.Sprintf("snapshot_%s_%d.jpg", now.Format("20060102_150405"), n),
			ContentType: "image/jpeg",
			Data:        frame,
		}},
	})
	if err != nil {
		c.logf("alert %d: %v", n, err)
		return
	}

	out := Outcome{Alert: n, Event: e, Attempts: 1}
	_, err = c.client.Send(c.ctx, s.server(), alert.Envelope{From: s.SenderAddress, To: []string{s.RecipientAddress}}, raw)
	if err == nil {
		out.Delivered = true
	} else if ae, ok := err.(*alert.Error); ok {
		out.Class = ae.Class
		c.mu.Lock()
		c.failures = append(c.failures, alert.FailureOf(ae, 1))
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.outcomes = append(c.outcomes, out)
	c.mu.Unlock()
}
