package ptz

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"sync"
	"time"

	"alertsim/sim/alert"
	"alertsim/sim/device"
	"alertsim/sim/imaging"
)

// Event is what the camera detected.
type Event string

// EventType is an event the camera detects, with the words %Event_Type%
// expands to and how many snapshots its mail carries by default (installer
// guide: motion 1-3, configurable; human, vehicle and region intrusion 2-3;
// line crossing 1-2).
type EventType struct {
	Event Event
	Words string
	Burst int
}

// EventTypes are the events the camera detects.
var EventTypes = []EventType{
	{"motion", "Motion Detected", 1},
	{"human", "Human Detected", 3},
	{"vehicle", "Vehicle Detected", 3},
	{"line-crossing", "Line Crossing", 2},
	{"region-intrusion", "Region Intrusion", 3},
}

// EventMotion is basic motion detection.
const EventMotion Event = "motion"

// EventTestEmail is the Test Email button of the SMTP settings page.
const EventTestEmail Event = "test-email"

// EventNames lists what Trigger accepts.
func EventNames() []string {
	names := []string{}
	for _, t := range EventTypes {
		names = append(names, string(t.Event))
	}
	return append(names, string(EventTestEmail))
}

func lookupEvent(e Event) (EventType, bool) {
	i := slices.IndexFunc(EventTypes, func(t EventType) bool { return t.Event == e })
	if i < 0 {
		return EventType{}, false
	}
	return EventTypes[i], true
}

// Retries are the camera's retry schedule: immediately, 10 seconds later,
// 30 seconds later, then the alert is marked failed in the log.
var Retries = []time.Duration{10 * time.Second, 30 * time.Second}

// SDFile is a frame the camera wrote to its SD card.
type SDFile = device.File

// Camera is a running camera. Trigger feeds it events; its mail task mails
// them one at a time, with retries, as the firmware does.
type Camera struct {
	device.Base
	settings Settings
	fw       Firmware

	mu       sync.Mutex
	events   int
	sd       []SDFile
	throttle alert.Throttle
}

// New validates the settings and starts the camera.
func New(s Settings, env device.Env) (*Camera, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	fw, _ := LookupFirmware(s.Firmware)
	client := env.Client()
	client.MaxTLS = fw.MaxTLS
	if fw.MaxTLS < tls.VersionTLS12 {
		// An old TLS library offers its one version; Go's client would
		// otherwise refuse anything below 1.2.
		client.MinTLS = fw.MaxTLS
	}
	c := &Camera{Base: device.Start(env, client, 8), settings: s, fw: fw}
	c.throttle.Min = time.Duration(s.AlertInterval) * time.Second
	if sch, _ := s.heartbeat(fw); sch.Every > 0 || sch.Daily != "" {
		sch.Clock = env.Clock
		c.Task.Go(func(ctx context.Context) { sch.Run(ctx, func(time.Time) { c.Task.Submit(c.heartbeatJob()) }) })
	}
	return c, nil
}

// Trigger reports an event: the camera captures its frames at once (to the
// SD card when recording is on) and queues the mail. Like the firmware,
// it drops the mail when its queue is full, and logs the drop.
func (c *Camera) Trigger(e Event) {
	if e == EventTestEmail {
		c.Task.Submit(c.testEmailJob())
		return
	}
	et, ok := lookupEvent(e)
	if !ok {
		c.Logf("unknown event %q ignored", e)
		return
	}
	c.mu.Lock()
	c.events++
	n := c.events
	c.mu.Unlock()

	frames, err := c.capture(n, et)
	if err != nil {
		c.Logf("%s: snapshot failed: %v", e, err)
		return
	}
	c.mu.Lock()
	allowed := c.throttle.Allow(c.Now())
	c.mu.Unlock()
	if !allowed {
		c.Logf("alert %d not mailed: within the %d s alert interval (frames kept on the SD card)", n, c.settings.AlertInterval)
		return
	}
	last := frames[len(frames)-1].Taken
	c.Task.Submit(alert.Job{
		Kind:   string(e),
		Ready:  last,
		Policy: c.policy(),
		Build: func(mail int, now time.Time) (alert.Envelope, []byte, error) {
			return c.compose(mail, now, et, frames)
		},
	})
}

// frame is a snapshot of a burst: its file, and its bytes for the mail.
type frame struct {
	SDFile
	data []byte
}

// capture takes the event's burst: the pre-trigger frame if enabled, then
// the burst one second apart from now.
func (c *Camera) capture(n int, et EventType) ([]frame, error) {
	s := c.settings
	stream, _ := s.stream()
	count := et.Burst
	if s.SnapshotCount > 0 {
		count = s.SnapshotCount
	}
	count = min(count, c.fw.MaxBurst)
	now := c.Now()
	start := now
	if s.PreTriggerFrame {
		start = now.Add(-time.Second)
		count = min(count+1, c.fw.MaxBurst)
	}
	var frames []frame
	total := 0
	for i := range count {
		taken := start.Add(time.Duration(i) * time.Second)
		spec := imaging.Spec{Seed: c.Env.FrameSeed(), Stream: stream, Index: n*8 + i, Taken: taken}
		data, err := imaging.Snapshot(spec)
		if err != nil {
			return nil, err
		}
		total += len(data)
		frames = append(frames, frame{data: data, SDFile: SDFile{
			Path:  fmt.Sprintf("DCIM/%s/%s_%s_%d.jpg", taken.Format("20060102"), et.Event, taken.Format("20060102_150405"), i+1),
			Alert: n, Taken: taken, Load: func() ([]byte, error) { return imaging.Snapshot(spec) },
		}})
	}
	c.Logf("%s detected: alert %d, %d snapshot%s from %s stream (%d bytes)", et.Event, n, count, device.Plural(count), stream, total)
	if s.SDCardRecording {
		c.mu.Lock()
		for _, f := range frames {
			c.sd = append(c.sd, f.SDFile)
		}
		c.mu.Unlock()
	}
	return frames, nil
}

func (c *Camera) compose(mail int, now time.Time, et EventType, frames []frame) (alert.Envelope, []byte, error) {
	s := c.settings
	vars := map[string]string{
		"Camera_Name": s.CameraName,
		"Event_Type":  et.Words,
		"Date":        frames[0].Taken.Format("2006-01-02"),
		"Time":        frames[0].Taken.Format("15:04:05"),
	}
	atts := make([]alert.Attachment, len(frames))
	for i, f := range frames {
		atts[i] = alert.Attachment{Name: f.Name(), ContentType: "image/jpeg", Data: f.data}
	}
	raw, err := c.Compose(mail, now, alert.Alert{
		FromName:    s.CameraName,
		FromAddress: s.SenderAddress,
		To:          []string{s.RecipientAddress},
		Subject:     alert.ExpandSubject(s.Subject, vars),
		Text: fmt.Sprintf("Event: %s\nCamera: %s\nTime: %s\nSnapshots: %d\n",
			et.Words, s.CameraName, frames[0].Taken.Format("2006-01-02 15:04:05"), len(frames)),
		Attachments: atts,
	})
	return c.envelope(), raw, err
}

func (c *Camera) envelope() alert.Envelope {
	return alert.Envelope{From: c.settings.SenderAddress, To: []string{c.settings.RecipientAddress}}
}

func (c *Camera) policy() alert.Policy {
	return alert.Policy{Servers: []alert.Server{c.settings.server()}, Retries: Retries, RetryPermanent: c.fw.RetryPermanent}
}

// textJob is a mail without attachments: a heartbeat or a test.
func (c *Camera) textJob(kind, subject, text string, p alert.Policy) alert.Job {
	s := c.settings
	return alert.Job{
		Kind:   kind,
		Policy: p,
		Build: func(mail int, now time.Time) (alert.Envelope, []byte, error) {
			raw, err := c.Compose(mail, now, alert.Alert{
				FromName: s.CameraName, FromAddress: s.SenderAddress, To: []string{s.RecipientAddress},
				Subject: subject, Text: fmt.Sprintf(text, now.Format("2006-01-02 15:04:05")),
			})
			return c.envelope(), raw, err
		},
	}
}

func (c *Camera) heartbeatJob() alert.Job {
	return c.textJob("heartbeat", c.settings.CameraName+" - Heartbeat",
		"Camera "+c.settings.CameraName+" is online.\nTime: %s\n", c.policy())
}

// testEmailJob is the Test Email button: one attempt, no retries, and the
// result in the UI's words.
func (c *Camera) testEmailJob() alert.Job {
	j := c.textJob("test email", c.settings.CameraName+" - Test Email",
		"This is a test e-mail from "+c.settings.CameraName+".\nTime: %s\n",
		alert.Policy{Servers: []alert.Server{c.settings.server()}})
	j.Done = func(d *alert.Delivery) { c.Logf("%s", alert.DescribeTest(d)) }
	return j
}

// SDCard returns the frames on the SD card, oldest first.
func (c *Camera) SDCard() []SDFile {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sd)
}
