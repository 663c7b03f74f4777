package dir

import (
	"time"

	"alertsim/sim/device"
)

func init() {
	device.Register(device.Model{
		Name:     "dir-router",
		Summary:  "DIR-series router: mails its log on log full and on a schedule, port 25 only, no TLS, optional login",
		Hostname: "dir-router",
		Events:   Events,
		Settings: func(string) device.Settings {
			s := Defaults()
			return &s
		},
		Start: func(s device.Settings, env device.Env) (device.Device, error) {
			r, err := New(*s.(*Settings), env, Activity)
			if err != nil {
				return nil, err
			}
			return running{r}, nil
		},
		Installer: installer,
	})
}

// Interface: the router's e-mail pages set nothing of its interface.
func (Settings) Interface() device.Interface { return device.Interface{} }

// running is the router as a scenario drives it.
type running struct{ *Router }

func (r running) Trigger(event string, _ time.Duration) { r.Router.Trigger(event) }

func (running) String() string { return "dir-router" }

// installer fills in Tools > Email Settings and presses Email Now.
func installer(p device.Provider) device.Setup {
	settings := []device.Setting{
		{Key: "enable_email_notification", Value: true},
		{Key: "from_email_address", Value: p.From},
		{Key: "to_email_address", Value: "admin@example.com"},
		{Key: "smtp_server_address", Value: p.Host},
	}
	if p.Username != "" {
		settings = append(settings,
			device.Setting{Key: "enable_authentication", Value: true},
			device.Setting{Key: "account_name", Value: p.Username},
			device.Setting{Key: "password", Value: p.Password},
			device.Setting{Key: "verify_password", Value: p.Password})
	}
	return device.Setup{Settings: settings, Trigger: device.Trigger{At: 5 * time.Second, Event: "email-log-now"}}
}
