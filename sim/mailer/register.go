package mailer

import (
	"time"

	"alertsim/sim/device"
)

func init() {
	device.Register(device.Model{
		Name:     "mailer",
		Summary:  "bulk mailer: direct delivery by MX or standard delivery through a server on 25 / 587 / 465, authentication, SSL/TLS None / Optional / Required / Certified",
		Hostname: "mailer-pc",
		Events:   Events,
		Settings: func(string) device.Settings {
			s := Defaults()
			return &s
		},
		Start: func(s device.Settings, env device.Env) (device.Device, error) {
			m, err := New(*s.(*Settings), env)
			if err != nil {
				return nil, err
			}
			return running{m}, nil
		},
		Installer: installer,
	})
}

// Interface: the mailer runs on a PC whose network it does not set.
func (Settings) Interface() device.Interface { return device.Interface{} }

// running is the mailer as a scenario drives it.
type running struct{ *Mailer }

func (r running) Trigger(event string, _ time.Duration) { r.Mailer.Trigger(event) }

func (running) String() string { return "mailer" }

// installer sets up standard delivery as the provider's guide says: 465
// with Required encryption for Gmail, 587 with Required for Outlook, the
// relay's port 25 otherwise, logging in where there is a login.
func installer(p device.Provider) device.Setup {
	port, enc := 25, EncryptionNone
	switch p.Preset {
	case "gmail-like":
		port, enc = SSLPort, EncryptionRequired
	case "outlook-like":
		port, enc = 587, EncryptionRequired
	}
	settings := []device.Setting{
		{Key: "delivery", Value: string(Standard)},
		{Key: "smtp_server_address", Value: p.Host},
		{Key: "smtp_server_port", Value: port},
		{Key: "ssl_tls_encryption", Value: string(enc)},
	}
	if p.Username != "" {
		settings = append(settings,
			device.Setting{Key: "smtp_authentication", Value: true},
			device.Setting{Key: "username", Value: p.Username},
			device.Setting{Key: "password", Value: p.Password})
	}
	settings = append(settings,
		device.Setting{Key: "from_address", Value: p.From},
		device.Setting{Key: "recipients", Value: []string{"reader@example.com"}})
	return device.Setup{Settings: settings, Trigger: device.Trigger{At: 5 * time.Second, Event: "send"}}
}
