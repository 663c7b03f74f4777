package dcs

import (
	"fmt"
	"time"

	"alertsim/sim/device"
)

func init() {
	device.Register(device.Model{
		Name:     "dcs-camera",
		Summary:  "DCS-series camera: SMTP server 1 and backup server 2, return address, port 25 only, no SSL, motion windows",
		Hostname: "dcs-camera",
		Events:   Events,
		Settings: func(string) device.Settings {
			s := Defaults()
			return &s
		},
		Start: func(s device.Settings, env device.Env) (device.Device, error) {
			c, err := New(*s.(*Settings), env)
			if err != nil {
				return nil, err
			}
			return running{c}, nil
		},
		Installer: installer,
	})
}

// Interface says which DNS servers Setup > Network names, if any.
func (s Settings) Interface() device.Interface { return device.Interface{DNS: s.DNSServers()} }

// running is the camera as a scenario drives it.
type running struct{ *Camera }

func (r running) String() string { return fmt.Sprintf("dcs-camera %q", r.settings.CameraName) }

// installer fills in server 1 and the addresses, and has motion in window
// 1 for a second.
func installer(p device.Provider) device.Setup {
	settings := []device.Setting{{Key: "smtp_server_1", Value: p.Host}}
	if p.Username != "" {
		settings = append(settings, device.Setting{Key: "smtp_login_name_1", Value: p.Username}, device.Setting{Key: "smtp_password_1", Value: p.Password})
	}
	settings = append(settings,
		device.Setting{Key: "sender_email_address", Value: p.From},
		device.Setting{Key: "recipient_email_address", Value: "owner@example.com"},
		device.Setting{Key: "return_email_address", Value: p.From})
	return device.Setup{Settings: settings, Trigger: device.Trigger{At: 5 * time.Second, Event: "motion-window-1", For: time.Second}}
}
