package ptz

import (
	"testing"

	"alertsim/sim/ui/uitest"
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
	const badAddress = "You MUST enter a valid e-mail address format"
	uitest.Run(t, good, []uitest.Case[Settings]{
		uitest.Bad("no server", func(s *Settings) { s.SMTPServer = " " }, "smtp_server", "Please enter the SMTP server."),
		uitest.Bad("port zero", func(s *Settings) { s.Port = 0 }, "port", "Port must be between 1 and 65535."),
		uitest.Bad("port too high", func(s *Settings) { s.Port = 65536 }, "port", "Port must be between 1 and 65535."),
		uitest.Bad("unknown encryption", func(s *Settings) { s.Encryption = "STARTSSL" }, "encryption", "Encryption must be SSL, TLS or None."),
		uitest.Bad("SSL on the old firmware", func(s *Settings) { s.Firmware = "4.1.8" }, "encryption", "This firmware supports TLS only. Select TLS and port 587."),
		uitest.Bad("user without password", func(s *Settings) { s.Password = "" }, "password", "Please enter the password."),
		uitest.Bad("empty sender", func(s *Settings) { s.SenderAddress = "" }, "sender_address", badAddress),
		uitest.Bad("sender without domain", func(s *Settings) { s.SenderAddress = "cam@gmail" }, "sender_address", badAddress),
		uitest.Bad("recipient with a display name", func(s *Settings) { s.RecipientAddress = "Owner <owner@example.com>" }, "recipient_address", badAddress),
		uitest.Bad("subject too long", func(s *Settings) { s.Subject = string(make([]rune, 129)) }, "subject", "The subject cannot exceed 128 characters."),
		uitest.Bad("unknown stream", func(s *Settings) { s.SnapshotStream = "third" }, "snapshot_stream", "Snapshot stream must be Main Stream or Sub Stream."),
		uitest.Bad("burst of six", func(s *Settings) { s.SnapshotCount = 6 }, "snapshot_count", "Snapshot count must be between 1 and 5."),
		uitest.Bad("burst of four on the old firmware", func(s *Settings) {
			s.Firmware, s.Encryption, s.SnapshotCount = "4.1.8", EncryptionTLS, 4
		}, "snapshot_count", "Snapshot count must be between 1 and 3."),
		uitest.Bad("heartbeat every 2 hours", func(s *Settings) { s.Heartbeat = "2h" }, "heartbeat", "Heartbeat must be Off, Every 1 hour, Every 6 hours or Daily."),
		uitest.Bad("daily heartbeat at 25:00", func(s *Settings) { s.Heartbeat, s.HeartbeatTime = "daily", "25:00" }, "heartbeat_time", "Please enter the time as HH:MM (24-hour)."),
		uitest.Bad("heartbeat on the old firmware", func(s *Settings) {
			s.Firmware, s.Encryption, s.Heartbeat = "4.1.8", EncryptionTLS, "1h"
		}, "heartbeat", "Heartbeat is not available in this firmware version."),
		uitest.Bad("alert interval of two hours", func(s *Settings) { s.AlertInterval = 7200 }, "alert_interval", "Alert interval must be between 0 and 3600 seconds."),
		uitest.Bad("MTU above 1500", func(s *Settings) { s.MTU = 9000 }, "mtu", "MTU must be between 576 and 1500."),
		uitest.Bad("DNS by name", func(s *Settings) { s.PreferredDNS = "dns.google" }, "preferred_dns", "Please enter a valid IP address for the DNS server."),
		uitest.Bad("a line break in the server", func(s *Settings) { s.SMTPServer = "smtp.gmail.com\r\nX" }, "smtp_server", "Please enter a valid SMTP server address."),
		uitest.Bad("a line break in the name", func(s *Settings) { s.CameraName = "Gate\r\nBcc: evil@example.com" }, "camera_name", "The camera name may not contain line breaks or control characters."),
		uitest.Bad("multicast DNS", func(s *Settings) { s.PreferredDNS = "224.0.0.1" }, "preferred_dns", "Please enter a valid IP address for the DNS server."),
		uitest.Bad("alternate DNS alone", func(s *Settings) { s.AlternateDNS = "1.1.1.1" }, "preferred_dns", "Please enter the preferred DNS server first."),
	})
}
