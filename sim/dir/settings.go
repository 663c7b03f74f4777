// Package dir models a DIR-series router's e-mail settings (Tools > Email
// Settings): it mails its log, from and to one address, through an SMTP
// server on port 25 (there is no port field and no TLS), with optional
// authentication, when the log is full and on a schedule.
package dir

import (
	"fmt"
	"strings"
	"time"

	"alertsim/sim/alert"
	"alertsim/sim/ui"
)

// Port is the only port the router sends on: the page has no port field.
const Port = 25

// Settings are the fields of Tools > Email Settings.
type Settings struct {
	EnableEmailNotification bool   `yaml:"enable_email_notification"`
	FromEmailAddress        string `yaml:"from_email_address"`
	ToEmailAddress          string `yaml:"to_email_address"`
	SMTPServerAddress       string `yaml:"smtp_server_address"`
	// Port is not a field of the page; it is here so that a settings file
	// that sets one is refused with the reason rather than ignored.
	Port                 *int   `yaml:"port" schema:"-"`
	EnableAuthentication bool   `yaml:"enable_authentication"`
	AccountName          string `yaml:"account_name"`
	Password             string `yaml:"password"`
	VerifyPassword       string `yaml:"verify_password"`
	// OnLogFull mails the log when it is full, then clears it.
	OnLogFull bool `yaml:"on_log_full"`
	// OnSchedule is "Never" or a schedule made on Maintenance >
	// Schedules, written "every day at 03:00".
	OnSchedule string `yaml:"on_schedule"`
}

// Defaults returns the page as a router fresh from the factory shows it.
func Defaults() Settings {
	return Settings{OnSchedule: "Never"}
}

// Validate checks the settings as the page does when they are saved.
func (s Settings) Validate() error {
	if s.Port != nil {
		return ui.Reject("port", "There is no SMTP port setting: the router sends e-mail on port 25 only.")
	}
	if _, err := s.schedule(); err != nil {
		return err
	}
	if !s.EnableEmailNotification {
		return nil // the page greys out the other fields
	}
	if !ui.ValidAddress(s.FromEmailAddress) {
		return ui.Reject("from_email_address", ui.InvalidAddress)
	}
	if !ui.ValidAddress(s.ToEmailAddress) {
		return ui.Reject("to_email_address", ui.InvalidAddress)
	}
	if strings.TrimSpace(s.SMTPServerAddress) == "" {
		return ui.Reject("smtp_server_address", "Please enter the SMTP Server Address.")
	}
	if strings.ContainsAny(s.SMTPServerAddress, " :/[]") {
		return ui.Reject("smtp_server_address", "Invalid SMTP Server Address.")
	}
	if s.EnableAuthentication {
		if strings.TrimSpace(s.AccountName) == "" {
			return ui.Reject("account_name", "Please enter the Account Name.")
		}
		if s.Password == "" {
			return ui.Reject("password", "Please enter the Password.")
		}
		if s.Password != s.VerifyPassword {
			return ui.Reject("verify_password", "The Password and Verify Password do not match.")
		}
	}
	return nil
}

// schedule parses OnSchedule; the zero Schedule is Never.
func (s Settings) schedule() (alert.Schedule, error) {
	v := strings.TrimSpace(s.OnSchedule)
	if v == "" || strings.EqualFold(v, "never") {
		return alert.Schedule{}, nil
	}
	if at, ok := strings.CutPrefix(v, "every day at "); ok {
		if _, _, err := alert.ParseDaily(at); err == nil {
			return alert.Schedule{Daily: at}, nil
		}
	}
	if v == "every hour" {
		return alert.Schedule{Every: time.Hour}, nil
	}
	return alert.Schedule{}, ui.Reject("on_schedule", fmt.Sprintf(`Schedule %q does not exist: choose Never, "every hour" or "every day at HH:MM".`, v))
}

// server returns the SMTP server as the pipeline takes it: port 25, no TLS.
func (s Settings) server() alert.Server {
	srv := alert.Server{Host: s.SMTPServerAddress, Port: Port, Security: alert.SecurityNone}
	if s.EnableAuthentication {
		srv.Username, srv.Password = s.AccountName, s.Password
	}
	return srv
}
