// Package bb models a BB-series network camera's trigger notifications by
// e-mail: an SMTP server given as a host name, an IPv4 address or an IPv6
// address in brackets; a port; SMTP over SSL as an option; a reply address
// shown as the sender; up to 3 destinations; a subject of at most 44
// characters to which the camera appends the time as ":YYYYMMDDhhmmssmmm".
// The built-in sensor, the external alarm input and detection trigger it.
package bb

import (
	"net/netip"
	"slices"
	"strings"

	"alertsim/sim/alert"
	"alertsim/sim/ui"
)

// MaxSubject is the subject field's limit, before the time is appended.
const MaxSubject = 44

// MaxDestinations is how many destination addresses the page holds.
const MaxDestinations = 3

// Triggers are what can send a notification.
var Triggers = []string{"sensor", "alarm-input", "detection"}

// Settings are the fields of [E-mail Notification When Triggered].
type Settings struct {
	CameraName string `yaml:"camera_name"`
	// SMTPServer is a host name, an IPv4 address or an IPv6 address in
	// brackets ("[2001:db8::25]").
	SMTPServer string `yaml:"smtp_server"`
	Port       int    `yaml:"port"`
	// SSL is SMTP over SSL (implicit TLS, usually port 465).
	SSL bool `yaml:"ssl"`
	// UserName and Password enable SMTP authentication when set.
	UserName string `yaml:"user_name"`
	Password string `yaml:"password"`
	// ReplyAddress is shown to the recipient as the sender.
	ReplyAddress         string   `yaml:"reply_address"`
	DestinationAddresses []string `yaml:"destination_addresses"`
	Subject              string   `yaml:"subject"`
	// SendOn lists the triggers that send a notification.
	SendOn []string `yaml:"send_on"`
}

// Defaults returns the settings of a camera fresh from the factory.
func Defaults() Settings {
	return Settings{
		CameraName: "Network Camera",
		Port:       25,
		Subject:    "CameraNotification",
		SendOn:     slices.Clone(Triggers),
	}
}

// Validate checks the settings as the camera's page does when saved.
func (s Settings) Validate() error {
	host := strings.TrimSpace(s.SMTPServer)
	switch {
	case host == "":
		return ui.Reject("smtp_server", "Enter the SMTP server.")
	case strings.HasPrefix(host, "["):
		a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
		if err != nil || !a.Is6() || !strings.HasSuffix(host, "]") {
			return ui.Reject("smtp_server", "Enter a valid IPv6 address in brackets.")
		}
	case strings.Contains(host, ":"):
		return ui.Reject("smtp_server", "An IPv6 address must be enclosed in brackets.")
	case !ui.ValidHost(host):
		return ui.Reject("smtp_server", "Enter a valid host name or IP address.")
	}
	if s.Port < 1 || s.Port > 65535 {
		return ui.Reject("port", "Enter a port number between 1 and 65535.")
	}
	if s.UserName != "" && s.Password == "" {
		return ui.Reject("password", "Enter the password.")
	}
	if !ui.ValidAddress(s.ReplyAddress) {
		return ui.Reject("reply_address", ui.InvalidAddress)
	}
	switch n := len(s.DestinationAddresses); {
	case n == 0:
		return ui.Reject("destination_addresses", "Enter at least one destination e-mail address.")
	case n > MaxDestinations:
		return ui.Reject("destination_addresses", "Up to 3 destination e-mail addresses can be entered.")
	}
	for _, a := range s.DestinationAddresses {
		if !ui.ValidAddress(a) {
			return ui.Reject("destination_addresses", ui.InvalidAddress)
		}
	}
	if len([]rune(s.Subject)) > MaxSubject {
		return ui.Reject("subject", "The subject can be up to 44 characters.")
	}
	for _, t := range s.SendOn {
		if !slices.Contains(Triggers, t) {
			return ui.Reject("send_on", "Triggers are the built-in sensor (sensor), the external alarm input (alarm-input) and detection.")
		}
	}
	return nil
}

func (s Settings) server() alert.Server {
	srv := alert.Server{Host: strings.TrimSpace(s.SMTPServer), Port: s.Port, Username: s.UserName, Password: s.Password}
	if s.SSL {
		// Encrypted, not verified: the camera has no certificate store.
		srv.ImplicitTLS, srv.Security = true, alert.SecurityRequired
	}
	return srv
}
