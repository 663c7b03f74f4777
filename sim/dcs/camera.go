package dcs

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"alertsim/sim/alert"
	"alertsim/sim/device"
	"alertsim/sim/imaging"
)

// Events are the triggers a scenario can fire: motion in a window.
var Events = []string{"motion-window-1", "motion-window-2", "motion-window-3"}

// Camera is a running camera.
type Camera struct {
	device.Base
	settings Settings

	mu        sync.Mutex
	snapshots int
	// shots are the snapshots motion has scheduled, in the order they are
	// due (by time, then by the order the motions began). One goroutine
	// takes them all, so that two windows due at the same instant give
	// the same snapshots and mails on every run.
	shots []shot
	wake  chan struct{}
}

type shot struct {
	at     time.Time
	window int
}

// New validates the settings and powers the camera on.
func New(s Settings, env device.Env) (*Camera, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	c := &Camera{Base: device.Start(env, env.Client(), 8), settings: s, wake: make(chan struct{}, 1)}
	c.Task.Go(c.shooter)
	return c, nil
}

// Trigger reports motion in a window ("motion-window-2") lasting d. While
// it lasts, the camera mails a snapshot every SnapshotInterval seconds,
// starting at once, if the window is a trigger window and the time is in
// the recording schedule.
func (c *Camera) Trigger(event string, d time.Duration) {
	w, err := strconv.Atoi(strings.TrimPrefix(event, "motion-window-"))
	if err != nil || !strings.HasPrefix(event, "motion-window-") {
		c.Logf("unknown event %q ignored", event)
		return
	}
	s := c.settings
	switch {
	case !s.window(w):
		c.Logf("motion in window %d: not a trigger window, ignored", w)
		return
	case !s.scheduled(c.Now()):
		c.Logf("motion in window %d: outside the recording schedule (%s), ignored", w, s.RecordingSchedule)
		return
	case !s.SendSnapshotsByEmail:
		c.Logf("motion in window %d: sending snapshots by e-mail is off", w)
		return
	}
	every := time.Duration(s.SnapshotInterval) * time.Second
	count := max(1, int((d+every-1)/every))
	c.Logf("motion in window %d for %v: %d snapshot%s, one every %v", w, d, count, device.Plural(count), every)
	now := time.Now()
	c.mu.Lock()
	for i := range count {
		c.shots = append(c.shots, shot{at: now.Add(time.Duration(i) * every), window: w})
	}
	// Stable: shots due at the same time keep the order motion began.
	slices.SortStableFunc(c.shots, func(a, b shot) int { return a.at.Compare(b.at) })
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// shooter takes each scheduled snapshot when it is due.
func (c *Camera) shooter(ctx context.Context) {
	for {
		c.mu.Lock()
		var wait <-chan time.Time
		if len(c.shots) > 0 {
			// A nanosecond late, as alert.Schedule: a trigger at the
			// same instant has been handled by then, every run.
			wait = time.After(time.Until(c.shots[0].at) + time.Nanosecond)
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
			continue
		case <-wait:
		}
		now := time.Now()
		c.mu.Lock()
		i := slices.IndexFunc(c.shots, func(s shot) bool { return s.at.After(now) })
		if i < 0 {
			i = len(c.shots)
		}
		due := slices.Clone(c.shots[:i])
		c.shots = c.shots[i:]
		c.mu.Unlock()
		for _, s := range due {
			// The frame and its mail carry the time the camera's clock
			// showed when the snapshot was due.
			c.snapshot(s.window, c.Env.Clock.Reading(s.at))
		}
	}
}

// snapshot takes the frame due at taken and queues its mail.
func (c *Camera) snapshot(window int, taken time.Time) {
	c.mu.Lock()
	c.snapshots++
	n := c.snapshots
	c.mu.Unlock()
	frame, err := imaging.Snapshot(imaging.Spec{Seed: c.Env.FrameSeed(), Stream: imaging.SubStream, Index: n, Taken: taken})
	if err != nil {
		c.Logf("snapshot %d failed: %v", n, err)
		return
	}
	s := c.settings
	servers := s.servers()
	c.Task.Submit(alert.Job{
		Kind:   fmt.Sprintf("motion window %d", window),
		Policy: alert.Policy{Servers: servers},
		Build: func(mail int, now time.Time) (alert.Envelope, []byte, error) {
			raw, err := c.Compose(mail, now, alert.Alert{
				FromName:    s.CameraName,
				FromAddress: s.SenderAddress,
				To:          []string{s.RecipientAddress},
				Subject:     fmt.Sprintf("%s: motion detected", s.CameraName),
				Text:        fmt.Sprintf("Motion detected in window %d at %s.\n", window, taken.Format("2006-01-02 15:04:05")),
				Attachments: []alert.Attachment{{
					Name: fmt.Sprintf("%s.jpg", taken.Format("20060102150405")), ContentType: "image/jpeg", Data: frame,
				}},
			})
			// The return address is the envelope sender: bounces go there.
			return alert.Envelope{From: s.ReturnAddress, To: []string{s.RecipientAddress}}, raw, err
		},
		Done: func(d *alert.Delivery) { c.explain(d, servers) },
	})
}

// explain adds to the log why a server this camera cannot use failed: it
// speaks plain SMTP on port 25 only.
func (c *Camera) explain(d *alert.Delivery, servers []alert.Server) {
	for _, f := range d.Failures {
		n := 1
		if len(servers) > 1 && f.Server == servers[1].Address() {
			n = 2
		}
		switch {
		case f.Class == alert.ClassRefused || f.Class == alert.ClassConnectTimeout:
			c.Logf("SMTP server %d (%s): nothing takes mail on port 25; this camera cannot use SSL (465) or another port", n, f.Server)
		case f.Class == alert.ClassTimeout && f.Stage == "greeting":
			c.Logf("SMTP server %d (%s): no greeting on port 25; the server may expect SSL, which this camera cannot use", n, f.Server)
		case f.Code == 530:
			c.Logf("SMTP server %d (%s): the server requires encryption, which this camera cannot use", n, f.Server)
		}
	}
	if len(servers) > 1 && d.Delivered() && len(d.Failures) > 0 {
		c.Logf("SMTP server 2 took over from server 1")
	}
}
