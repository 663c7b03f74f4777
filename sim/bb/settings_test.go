package bb

import (
	"strings"
	"testing"

	"alertsim/sim/ui/uitest"
)

func good() Settings {
	s := Defaults()
	s.SMTPServer = "mail.example.com"
	s.ReplyAddress = "cam@example.com"
	s.DestinationAddresses = []string{"owner@example.com"}
	return s
}

func TestValidateSpeaksTheUIsWords(t *testing.T) {
	const badAddress = "You MUST enter a valid e-mail address format"
	uitest.Run(t, good, []uitest.Case[Settings]{
		uitest.Bad("no server", func(s *Settings) { s.SMTPServer = "" }, "smtp_server", "Enter the SMTP server."),
		uitest.Bad("IPv6 without brackets", func(s *Settings) { s.SMTPServer = "2001:db8::25" }, "smtp_server", "An IPv6 address must be enclosed in brackets."),
		uitest.Bad("IPv4 in brackets", func(s *Settings) { s.SMTPServer = "[192.0.2.25]" }, "smtp_server", "Enter a valid IPv6 address in brackets."),
		uitest.Bad("host name with a space", func(s *Settings) { s.SMTPServer = "mail example.com" }, "smtp_server", "Enter a valid host name or IP address."),
		uitest.Bad("port zero", func(s *Settings) { s.Port = 0 }, "port", "Enter a port number between 1 and 65535."),
		uitest.Bad("user without password", func(s *Settings) { s.UserName = "cam" }, "password", "Enter the password."),
		uitest.Bad("malformed reply address", func(s *Settings) { s.ReplyAddress = "cam@" }, "reply_address", badAddress),
		uitest.Bad("no destination", func(s *Settings) { s.DestinationAddresses = nil }, "destination_addresses", "Enter at least one destination e-mail address."),
		uitest.Bad("four destinations", func(s *Settings) {
			s.DestinationAddresses = []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"}
		}, "destination_addresses", "Up to 3 destination e-mail addresses can be entered."),
		uitest.Bad("malformed destination", func(s *Settings) { s.DestinationAddresses = []string{"a@example.com", "b at example.com"} }, "destination_addresses", badAddress),
		uitest.Bad("subject of 45 characters", func(s *Settings) { s.Subject = strings.Repeat("x", 45) }, "subject", "The subject can be up to 44 characters."),
		uitest.Bad("unknown trigger", func(s *Settings) { s.SendOn = []string{"doorbell"} }, "send_on", "Triggers are the built-in sensor (sensor), the external alarm input (alarm-input) and detection."),
	})
}

// The limit counts characters, not bytes: 44 characters of Japanese pass.
func TestSubjectLimitCountsCharacters(t *testing.T) {
	s := good()
	s.Subject = strings.Repeat("カ", 44)
	if err := s.Validate(); err != nil {
		t.Fatalf("44-character subject refused: %v", err)
	}
}
