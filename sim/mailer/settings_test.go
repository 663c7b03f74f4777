package mailer

import (
	"testing"

	"alertsim/sim/ui/uitest"
)

func good() Settings {
	s := Defaults()
	s.FromAddress = "news@example.com"
	s.Recipients = []string{"reader@example.net"}
	return s
}

func standard() Settings {
	s := good()
	s.Delivery = Standard
	s.SMTPServerAddress = "smtp.example.com"
	return s
}

func TestValidateSpeaksThePagesWords(t *testing.T) {
	const badAddress = "You MUST enter a valid e-mail address format"
	uitest.Run(t, good, []uitest.Case[Settings]{
		uitest.Bad("an unknown delivery", func(s *Settings) { s.Delivery = "Smart" }, "delivery", "Choose Standard delivery or Direct delivery."),
		uitest.Bad("an unknown encryption", func(s *Settings) { s.SSLTLSEncryption = "STARTTLS" }, "ssl_tls_encryption", "SSL/TLS encryption is None, Optional, Required or Certified."),
		uitest.Bad("a malformed sender", func(s *Settings) { s.FromAddress = "news@" }, "from_address", badAddress),
		uitest.Bad("no recipient", func(s *Settings) { s.Recipients = nil }, "recipients", "Add at least one recipient."),
		uitest.Bad("a malformed recipient", func(s *Settings) { s.Recipients = []string{"a@example.net", "b"} }, "recipients", badAddress),
	})
	uitest.Run(t, standard, []uitest.Case[Settings]{
		uitest.Bad("standard without a server", func(s *Settings) { s.SMTPServerAddress = "" }, "smtp_server_address", "For standard delivery you must have access to an SMTP server: enter its address."),
		uitest.Bad("a server with a port in its address", func(s *Settings) { s.SMTPServerAddress = "smtp.example.com:587" }, "smtp_server_address", "The SMTP server address is a host name or an IP address."),
		uitest.Bad("port zero", func(s *Settings) { s.SMTPServerPort = 0 }, "smtp_server_port", "The SMTP server port is a number from 1 to 65535."),
		uitest.Bad("465 without encryption", func(s *Settings) { s.SMTPServerPort = 465 }, "ssl_tls_encryption", `Port 465 is reserved for SMTP over SSL. For this port to work, SSL/TLS Encryption must not be set to "None".`),
		uitest.Bad("authentication without a username", func(s *Settings) { s.SMTPAuthentication = true; s.Password = "pw" }, "username", "Enter the username your SMTP server gave you."),
		uitest.Bad("authentication without a password", func(s *Settings) { s.SMTPAuthentication = true; s.Username = "news" }, "password", "Enter the password your SMTP server gave you."),
	})
}

// TestPort465SpeaksTLSFromTheFirstByte: 465 is implicit TLS at the level
// set; 25 and 587 use STARTTLS at it.
func TestPort465SpeaksTLSFromTheFirstByte(t *testing.T) {
	s := standard()
	s.SMTPServerPort, s.SSLTLSEncryption = 465, EncryptionCertified
	if srv := s.policy().Servers[0]; !srv.ImplicitTLS || srv.Security.String() != "certified" {
		t.Errorf("465, Certified: %+v", srv)
	}
	s.SMTPServerPort, s.SSLTLSEncryption = 587, EncryptionOptional
	if srv := s.policy().Servers[0]; srv.ImplicitTLS || srv.Security.String() != "optional" {
		t.Errorf("587, Optional: %+v", srv)
	}
	if p := good().policy(); !p.Direct || len(p.Servers) != 0 {
		t.Errorf("direct delivery: %+v", p)
	}
}
