package bb

import (
	"fmt"
	"time"

	"alertsim/sim/device"
)

func init() {
	device.Register(device.Model{
		Name:     "bb-camera",
		Summary:  "BB-series camera: host, IPv4 or [IPv6] server, SSL option, 3 destinations, 44-character subject + time stamp",
		Hostname: "bb-camera",
		Events:   Triggers,
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

// Interface: the e-mail page sets nothing of the camera's interface.
func (Settings) Interface() device.Interface { return device.Interface{} }

// running is the camera as a scenario drives it.
type running struct{ *Camera }

func (r running) Trigger(event string, _ time.Duration) { r.Camera.Trigger(event) }

func (r running) String() string { return fmt.Sprintf("bb-camera %q", r.settings.CameraName) }

// installer: SSL on 465 for Gmail, 587 for Outlook, the relay's port 25
// otherwise; the sensor triggers.
func installer(p device.Provider) device.Setup {
	port, ssl := 25, false
	switch p.Preset {
	case "gmail-like":
		port, ssl = 465, true
	case "outlook-like":
		port = 587
	}
	settings := []device.Setting{{Key: "smtp_server", Value: p.Host}, {Key: "port", Value: port}, {Key: "ssl", Value: ssl}}
	if p.Username != "" {
		settings = append(settings, device.Setting{Key: "user_name", Value: p.Username}, device.Setting{Key: "password", Value: p.Password})
	}
	settings = append(settings,
		device.Setting{Key: "reply_address", Value: p.From},
		device.Setting{Key: "destination_addresses", Value: []string{"owner@example.com"}})
	return device.Setup{Settings: settings, Trigger: device.Trigger{At: 5 * time.Second, Event: "sensor"}}
}
