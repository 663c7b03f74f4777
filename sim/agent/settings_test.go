package agent

import (
	"testing"

	"alertsim/sim/ui/uitest"
)

func good() Settings {
	s := Defaults()
	s.SMTPServer = "smtp.example.com"
	s.SenderAddress = "agent@example.com"
	s.TestAddress = "ops@example.com"
	return s
}

func TestValidateSpeaksTheDialogsWords(t *testing.T) {
	const badAddress = "You MUST enter a valid e-mail address format"
	uitest.Run(t, good, []uitest.Case[Settings]{
		uitest.Bad("no host", func(s *Settings) { s.SMTPServer = " " }, "smtp_server", "Enter the host of your mail server."),
		uitest.Bad("a URL for a host", func(s *Settings) { s.SMTPServer = "smtp://smtp.example.com" }, "smtp_server", "The host must be a name or an IP address."),
		uitest.Bad("port zero", func(s *Settings) { s.Port = 0 }, "port", "The port must be a number from 1 to 65535."),
		uitest.Bad("no sender", func(s *Settings) { s.SenderAddress = "" }, "sender_address", badAddress),
		uitest.Bad("a malformed test address", func(s *Settings) { s.TestAddress = "ops at example.com" }, "test_address", badAddress),
		uitest.Bad("a malformed From header", func(s *Settings) { s.FromHeader = "Ops <ops@example.com>" }, "from_header", badAddress),
	})
}
