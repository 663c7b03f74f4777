package dcs

import (
	"testing"

	"alertsim/sim/ui/uitest"
)

func good() Settings {
	s := Defaults()
	s.SMTPServer1 = "mail.example-isp.net"
	s.SenderAddress = "camera@example-isp.net"
	s.RecipientAddress = "security@example.com"
	s.ReturnAddress = "camera@example-isp.net"
	return s
}

func TestValidateSpeaksTheUIsWords(t *testing.T) {
	const badAddress = "You MUST enter a valid e-mail address format"
	port, ssl := 465, true
	uitest.Run(t, good, []uitest.Case[Settings]{
		uitest.Bad("a port", func(s *Settings) { s.Port = &port }, "port", "This camera does not have the option to change the SMTP port: it uses port 25."),
		uitest.Bad("SSL", func(s *Settings) { s.SSL = &ssl }, "ssl", "This camera cannot connect to an e-mail server that uses SSL."),
		uitest.Bad("no server 1", func(s *Settings) { s.SMTPServer1 = "" }, "smtp_server_1", "Please enter SMTP server 1."),
		uitest.Bad("login 1 without password", func(s *Settings) { s.SMTPLoginName1 = "cam" }, "smtp_password_1", "Please enter SMTP password 1."),
		uitest.Bad("login 2 without server 2", func(s *Settings) { s.SMTPLoginName2, s.SMTPPassword2 = "cam", "pw" }, "smtp_server_2", "Please enter SMTP server 2."),
		uitest.Bad("empty return address", func(s *Settings) { s.ReturnAddress = "" }, "return_email_address", badAddress),
		uitest.Bad("sender with a display name", func(s *Settings) { s.SenderAddress = "Cam <camera@example-isp.net>" }, "sender_email_address", badAddress),
		uitest.Bad("recipient without domain", func(s *Settings) { s.RecipientAddress = "security@localhost" }, "recipient_email_address", badAddress),
		uitest.Bad("window 4", func(s *Settings) { s.MotionWindows = []int{1, 4} }, "motion_windows", "Motion detection windows are the 1st, 2nd and 3rd."),
		uitest.Bad("no window", func(s *Settings) { s.MotionWindows = nil }, "motion_windows", "Please select at least one motion detection window."),
		uitest.Bad("bad schedule", func(s *Settings) { s.RecordingSchedule = "nights" }, "recording_schedule", "Please enter the schedule as Always or HH:MM-HH:MM."),
		uitest.Bad("interval zero", func(s *Settings) { s.SnapshotInterval = 0 }, "snapshot_interval", "Please enter an interval between 1 and 60 seconds."),
		uitest.Bad("DNS by name", func(s *Settings) { s.PrimaryDNS = "dns.example-isp.net" }, "primary_dns", "Please enter a valid IP address."),
		uitest.Bad("a line break in server 1", func(s *Settings) { s.SMTPServer1 = "mail.example.com\r\nX" }, "smtp_server_1", "Please enter a valid address for SMTP server 1."),
		uitest.Bad("a space in server 2", func(s *Settings) { s.SMTPServer2 = "mail backup" }, "smtp_server_2", "Please enter a valid address for SMTP server 2."),
		uitest.Bad("a line break in the name", func(s *Settings) { s.CameraName = "Yard\nX" }, "camera_name", "The camera name may not contain line breaks or control characters."),
		uitest.Bad("unspecified DNS", func(s *Settings) { s.PrimaryDNS = "0.0.0.0" }, "primary_dns", "Please enter a valid IP address."),
	})
}
