package dcs

import (
	"context"
	"fmt"
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
}

// New validates the settings and powers the camera on.
func New(s Settings, env device.Env) (*Camera, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &Camera{Base: device.Start(env, env.Client(), 8), settings: s}, nil
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
	case !s.scheduled(time.Now()):
		c.Logf("motion in window %d: outside the recording schedule (%s), ignored", w, s.RecordingSchedule)
		return
	case !s.SendSnapshotsByEmail:
		c.Logf("motion in window %d: sending snapshots by e-mail is off", w)
		return
	}
	every := time.Duration(s.SnapshotInterval) * time.Second
	count := max(1, int((d+every-1)/every))
	c.Logf("motion in window %d for %v: %d snapshot%s, one every %v", w, d, count, device.Plural(count), every)
	c.Task.Go(func(ctx context.Context) {
		for i := range count {
			if i > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(every):
				}
			}
			c.snapshot(w)
		}
	})
}

// snapshot takes a frame now and queues its mail.
func (c *Camera) snapshot(window int) {
	c.mu.Lock()
	c.snapshots++
	n := c.snapshots
	c.mu.Unlock()
	taken := time.Now()
	frame, err := imaging.Snapshot(imaging.Spec{Seed: c.Env.Seed, Stream: imaging.SubStream, Index: n, Taken: taken})
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
			raw, err := alert.Compose(alert.Alert{
				FromName:    s.CameraName,
				FromAddress: s.SenderAddress,
				To:          []string{s.RecipientAddress},
				Subject:     fmt.Sprintf("%s: motion detected", s.CameraName),
				Date:        now,
				MessageID:   alert.MessageID(c.Env.Seed, c.Env.Hostname, mail),
				Text:        fmt.Sprintf("Motion detected in window %d at %s.\n", window, taken.UTC().Format("2006-01-02 15:04:05")),
				Attachments: []alert.Attachment{{
					Name: fmt.Sprintf("%s.jpg", taken.UTC().Format("20060102150405")), ContentType: "image/jpeg", Data: frame,
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
