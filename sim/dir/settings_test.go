package dir

import (
	"testing"

	"alertsim/sim/ui/uitest"
)

func good() Settings {
	s := Defaults()
	s.EnableEmailNotification = true
	s.FromEmailAddress = "router@example.com"
	s.ToEmailAddress = "admin@example.com"
	s.SMTPServerAddress = "mail.example.com"
	s.OnLogFull = true
	return s
}

func TestValidateSpeaksTheUIsWords(t *testing.T) {
	const badAddress = "You MUST enter a valid e-mail address format"
	port := 587
	uitest.Run(t, good, []uitest.Case[Settings]{
		uitest.Bad("a port", func(s *Settings) { s.Port = &port }, "port", "There is no SMTP port setting: the router sends e-mail on port 25 only."),
		uitest.Bad("empty from", func(s *Settings) { s.FromEmailAddress = "" }, "from_email_address", badAddress),
		uitest.Bad("malformed to", func(s *Settings) { s.ToEmailAddress = "admin.example.com" }, "to_email_address", badAddress),
		uitest.Bad("no server", func(s *Settings) { s.SMTPServerAddress = "" }, "smtp_server_address", "Please enter the SMTP Server Address."),
		uitest.Bad("server with a port", func(s *Settings) { s.SMTPServerAddress = "mail.example.com:587" }, "smtp_server_address", "Invalid SMTP Server Address."),
		uitest.Bad("authentication without account", func(s *Settings) { s.EnableAuthentication = true }, "account_name", "Please enter the Account Name."),
		uitest.Bad("passwords differ", func(s *Settings) {
			s.EnableAuthentication, s.AccountName, s.Password, s.VerifyPassword = true, "router", "one", "two"
		}, "verify_password", "The Password and Verify Password do not match."),
		uitest.Bad("unknown schedule", func(s *Settings) { s.OnSchedule = "weekends" }, "on_schedule", `Schedule "weekends" does not exist: choose Never, "every hour" or "every day at HH:MM".`),
	})
}

// A router with e-mail off saves any address: the page greys the fields out.
func TestDisabledEmailSkipsTheFields(t *testing.T) {
	s := Defaults()
	s.FromEmailAddress = "not an address"
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate = %v, want nil with e-mail notification off", err)
	}
}
