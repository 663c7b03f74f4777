// Package dcs models a DCS-series network camera's e-mail (Setup > Mail &
// FTP, Tools > Applications): SMTP server 1 and a backup server 2 that
// takes over when 1 fails, each with a login; sender, recipient and return
// address (the envelope sender, where failures are reported); port 25 only
// and no SSL; snapshots mailed at an interval while motion is detected in
// the selected motion windows, within the recording schedule.
package dcs

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"alertsim/sim/alert"
	"alertsim/sim/ui"
)

// Port is the only port the camera sends on.
const Port = 25

// Settings are the camera's mail, event and network fields.
type Settings struct {
	CameraName       string `yaml:"camera_name"`
	SMTPServer1      string `yaml:"smtp_server_1"`
	SMTPLoginName1   string `yaml:"smtp_login_name_1"`
	SMTPPassword1    string `yaml:"smtp_password_1"`
	SMTPServer2      string `yaml:"smtp_server_2"`
	SMTPLoginName2   string `yaml:"smtp_login_name_2"`
	SMTPPassword2    string `yaml:"smtp_password_2"`
	SenderAddress    string `yaml:"sender_email_address"`
	RecipientAddress string `yaml:"recipient_email_address"`
	// ReturnAddress is where a failed delivery is reported: the envelope
	// sender. Some servers accept only senders of their own domain.
	ReturnAddress string `yaml:"return_email_address"`
	// Port and SSL are not fields of the page; they are here so that a
	// settings file that sets them is refused with the reason.
	Port *int  `yaml:"port" schema:"-"`
	SSL  *bool `yaml:"ssl" schema:"-"`

	// MotionWindows are the motion detection windows that trigger
	// (Trigger Condition: 1st, 2nd, 3rd).
	MotionWindows []int `yaml:"motion_windows"`
	// RecordingSchedule is "always" or "HH:MM-HH:MM".
	RecordingSchedule string `yaml:"recording_schedule"`
	// SendSnapshotsByEmail mails snapshots while motion is detected, one
	// every SnapshotInterval seconds.
	SendSnapshotsByEmail bool `yaml:"send_snapshots_by_email"`
	SnapshotInterval     int  `yaml:"snapshot_interval"`

	// PrimaryDNS and SecondaryDNS are Setup > Network's DNS fields; for
	// SMTP to work they must be the ISP's, not the router's.
	PrimaryDNS   string `yaml:"primary_dns"`
	SecondaryDNS string `yaml:"secondary_dns"`
}

// Defaults returns the settings of a camera fresh from the factory.
func Defaults() Settings {
	return Settings{
		CameraName:           "DCS camera",
		MotionWindows:        []int{1},
		RecordingSchedule:    "always",
		SendSnapshotsByEmail: true,
		SnapshotInterval:     5,
	}
}

// Validate checks the settings as the camera's pages do when saved.
func (s Settings) Validate() error {
	switch {
	case s.Port != nil:
		return ui.Reject("port", "This camera does not have the option to change the SMTP port: it uses port 25.")
	case s.SSL != nil:
		return ui.Reject("ssl", "This camera cannot connect to an e-mail server that uses SSL.")
	case strings.TrimSpace(s.SMTPServer1) == "":
		return ui.Reject("smtp_server_1", "Please enter SMTP server 1.")
	case !ui.ValidHost(s.SMTPServer1):
		return ui.Reject("smtp_server_1", "Please enter a valid address for SMTP server 1.")
	case strings.TrimSpace(s.SMTPServer2) != "" && !ui.ValidHost(s.SMTPServer2):
		return ui.Reject("smtp_server_2", "Please enter a valid address for SMTP server 2.")
	case !ui.Printable(s.CameraName):
		return ui.Reject("camera_name", "The camera name may not contain line breaks or control characters.")
	case s.SMTPLoginName1 != "" && s.SMTPPassword1 == "":
		return ui.Reject("smtp_password_1", "Please enter SMTP password 1.")
	case s.SMTPLoginName2 != "" && s.SMTPPassword2 == "":
		return ui.Reject("smtp_password_2", "Please enter SMTP password 2.")
	case s.SMTPLoginName2 != "" && strings.TrimSpace(s.SMTPServer2) == "":
		return ui.Reject("smtp_server_2", "Please enter SMTP server 2.")
	}
	for _, f := range [...]struct{ field, value string }{
		{"sender_email_address", s.SenderAddress},
		{"recipient_email_address", s.RecipientAddress},
		{"return_email_address", s.ReturnAddress},
	} {
		if !ui.ValidAddress(f.value) {
			return ui.Reject(f.field, ui.InvalidAddress)
		}
	}
	if len(s.MotionWindows) == 0 {
		return ui.Reject("motion_windows", "Please select at least one motion detection window.")
	}
	for _, w := range s.MotionWindows {
		if w < 1 || w > 3 {
			return ui.Reject("motion_windows", "Motion detection windows are the 1st, 2nd and 3rd.")
		}
	}
	if _, _, err := s.schedule(); err != nil {
		return err
	}
	if s.SnapshotInterval < 1 || s.SnapshotInterval > 60 {
		return ui.Reject("snapshot_interval", "Please enter an interval between 1 and 60 seconds.")
	}
	for _, f := range [...]struct{ field, value string }{{"primary_dns", s.PrimaryDNS}, {"secondary_dns", s.SecondaryDNS}} {
		if f.value == "" {
			continue
		}
		if a, err := netip.ParseAddr(f.value); err != nil || !a.Is4() || !a.IsGlobalUnicast() {
			return ui.Reject(f.field, "Please enter a valid IP address.")
		}
	}
	return nil
}

// schedule returns the recording window as offsets into the day; "always"
// is the whole day.
func (s Settings) schedule() (from, to time.Duration, err error) {
	v := strings.TrimSpace(strings.ToLower(s.RecordingSchedule))
	if v == "" || v == "always" {
		return 0, 24 * time.Hour, nil
	}
	a, b, ok := strings.Cut(v, "-")
	h1, m1, e1 := alert.ParseDaily(strings.TrimSpace(a))
	h2, m2, e2 := alert.ParseDaily(strings.TrimSpace(b))
	if !ok || e1 != nil || e2 != nil {
		return 0, 0, ui.Reject("recording_schedule", "Please enter the schedule as Always or HH:MM-HH:MM.")
	}
	return time.Duration(h1)*time.Hour + time.Duration(m1)*time.Minute, time.Duration(h2)*time.Hour + time.Duration(m2)*time.Minute, nil
}

// scheduled reports whether t lies in the recording schedule; a window
// that ends before it starts spans midnight.
func (s Settings) scheduled(t time.Time) bool {
	from, to, _ := s.schedule()
	at := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	if from <= to {
		return at >= from && at < to
	}
	return at >= from || at < to
}

func (s Settings) window(w int) bool { return slices.Contains(s.MotionWindows, w) }

// DNSServers returns the DNS servers set on Setup > Network, or nil.
func (s Settings) DNSServers() []netip.Addr {
	var out []netip.Addr
	for _, v := range []string{s.PrimaryDNS, s.SecondaryDNS} {
		if a, err := netip.ParseAddr(v); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// servers returns server 1 and, when set, server 2: port 25, no TLS.
func (s Settings) servers() []alert.Server {
	out := []alert.Server{{Host: s.SMTPServer1, Port: Port, Username: s.SMTPLoginName1, Password: s.SMTPPassword1}}
	if strings.TrimSpace(s.SMTPServer2) != "" {
		out = append(out, alert.Server{Host: s.SMTPServer2, Port: Port, Username: s.SMTPLoginName2, Password: s.SMTPPassword2})
	}
	return out
}
