package mailer

import (
	"fmt"
	"sync"
	"time"

	"alertsim/sim/alert"
	"alertsim/sim/device"
)

// Events are what a scenario can fire at the mailer: send the mailing.
var Events = []string{"send"}

// Mailer is a running mailer.
type Mailer struct {
	device.Base
	settings Settings

	mu       sync.Mutex
	mailings int
}

// New validates the settings and starts the mailer.
func New(s Settings, env device.Env) (*Mailer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &Mailer{Base: device.Start(env, env.Client(), 64), settings: s}, nil
}

// Trigger fires "send": the mailing goes out, one message per recipient,
// in the order of the list, each tried once.
func (m *Mailer) Trigger(event string) {
	if event != "send" {
		m.Logf("unknown event %q ignored", event)
		return
	}
	m.mu.Lock()
	m.mailings++
	n := m.mailings
	m.mu.Unlock()
	s := m.settings
	how := "direct delivery"
	if s.Delivery == Standard {
		how = fmt.Sprintf("standard delivery through %s:%d, SSL/TLS %s", s.SMTPServerAddress, s.SMTPServerPort, s.SSLTLSEncryption)
	}
	m.Logf("mailing %d: %d recipient%s, %s", n, len(s.Recipients), device.Plural(len(s.Recipients)), how)
	for _, to := range s.Recipients {
		m.Task.Submit(alert.Job{
			Kind:   "to " + to,
			Policy: s.policy(),
			Build: func(mail int, now time.Time) (alert.Envelope, []byte, error) {
				raw, err := m.Compose(mail, now, alert.Alert{
					FromName: s.FromName, FromAddress: s.FromAddress, To: []string{to},
					Subject: s.Subject,
					Text:    fmt.Sprintf("Mailing %d.\n", n),
				})
				return alert.Envelope{From: s.FromAddress, To: []string{to}}, raw, err
			},
			Done: func(d *alert.Delivery) {
				if f := d.Last(); f != nil && !d.Delivered() {
					m.Logf("%s: not sent (%s)", to, f.Class)
				}
			},
		})
	}
}
