package ptz

import (
	"errors"
	"testing"

	"alertsim/sim/ui"
)

func good() Settings {
	s := Defaults()
	s.SMTPServer = "smtp.gmail.com"
	s.Username = "cam@gmail.com"
	s.Password = "abcdefghijklmnop"
	s.SenderAddress = "cam@gmail.com"
	s.RecipientAddress = "owner@example.com"
	return s
}

// TestValidateSpeaksTheUIsWords: each bad input is refused with the web
// UI's message, on the field that holds it.
func TestValidateSpeaksTheUIsWords(t *testing.T) {
	if err := good().Validate(); err != nil {
		t.Fatalf("good settings refused: %v", err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Settings)
		field  string
		msg    string
	}{
		{"no server", func(s *Settings) { s.SMTPServer = " " }, "smtp_server", "Please enter the SMTP server."},
		{"port zero", func(s *Settings) { s.Port = 0 }, "port", "Port must be between 1 and 65535."},
		{"port too high", func(s *Settings) { s.Port = 65536 }, "port", "Port must be between 1 and 65535."},
		{"unknown encryption", func(s *Settings) { s.Encryption = "STARTSSL" }, "encryption", "Encryption must be SSL, TLS or None."},
		{"user without password", func(s *Settings) { s.Password = "" }, "password", "Please enter the password."},
		{"empty sender", func(s *Settings) { s.SenderAddress = "" }, "sender_address", "You MUST enter a valid e-mail address format"},
		{"sender without domain", func(s *Settings) { s.SenderAddress = "cam@gmail" }, "sender_address", "You MUST enter a valid e-mail address format"},
		{"recipient with a display name", func(s *Settings) { s.RecipientAddress = "Owner <owner@example.com>" }, "recipient_address", "You MUST enter a valid e-mail address format"},
		{"subject too long", func(s *Settings) { s.Subject = string(make([]rune, 129)) }, "subject", "The subject cannot exceed 128 characters."},
		{"unknown stream", func(s *Settings) { s.SnapshotStream = "third" }, "snapshot_stream", "Snapshot stream must be Main Stream or Sub Stream."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good()
			tc.mutate(&s)
			err := s.Validate()
			var fe *ui.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate = %v, want a field error", err)
			}
			if fe.Field != tc.field || fe.Message != tc.msg {
				t.Errorf("Validate = %s: %q, want %s: %q", fe.Field, fe.Message, tc.field, tc.msg)
			}
		})
	}
}
