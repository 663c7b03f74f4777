package agent

import (
	"time"

	"alertsim/sim/device"
)

func init() {
	device.Register(device.Model{
		Name:     "smtp-agent",
		Summary:  "SMTP monitoring agent: mail server host and port, test message with an optional From header and PING, relayed on by the server",
		Hostname: "monitor-agent",
		Events:   Events,
		Settings: func(string) device.Settings {
			s := Defaults()
			return &s
		},
		Start: func(s device.Settings, env device.Env) (device.Device, error) {
			a, err := New(*s.(*Settings), env)
			if err != nil {
				return nil, err
			}
			return running{a}, nil
		},
		Installer: installer,
	})
}

// Interface: the agent runs on a host whose network it does not set.
func (Settings) Interface() device.Interface { return device.Interface{} }

// running is the agent as a scenario drives it.
type running struct{ *Agent }

func (r running) Trigger(event string, _ time.Duration) { r.Agent.Trigger(event) }

func (running) String() string { return "smtp-agent" }

// installer points the agent at the provider's server on the port its
// guide gives, and sends a test message. The agent has no login and no
// TLS, so it gets through a relay and not a provider that wants either:
// what the gate's matrix shows.
func installer(p device.Provider) device.Setup {
	port := 25
	if p.Preset == "gmail-like" || p.Preset == "outlook-like" {
		port = 587
	}
	return device.Setup{
		Settings: []device.Setting{
			{Key: "smtp_server", Value: p.Host},
			{Key: "port", Value: port},
			{Key: "sender_address", Value: p.From},
			{Key: "test_address", Value: "ops@example.com"},
		},
		Trigger: device.Trigger{At: 5 * time.Second, Event: "send-test-message"},
	}
}
