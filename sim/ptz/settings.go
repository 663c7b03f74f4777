// Package ptz models a 4G PTZ camera's e-mail alerts: the SMTP settings
// page of its web UI (server, SSL on 465 or STARTTLS on 587, app password,
// sender, recipient, subject with variables), and motion events that mail a
// snapshot.
package ptz

import (
	"net/mail"
	"strings"

	"alertsim/sim/alert"
	"alertsim/sim/imaging"
	"alertsim/sim/ui"
)

// Encryption is the "Encryption" field of the SMTP settings page.
type Encryption string

const (
	// EncryptionSSL is SMTP over SSL from the first byte, as Gmail's port
	// 465 expects.
	EncryptionSSL Encryption = "SSL"
	// EncryptionTLS is STARTTLS, as Outlook's port 587 expects.
	EncryptionTLS Encryption = "TLS"
	// EncryptionNone sends in plain text.
	EncryptionNone Encryption = "None"
)

// Settings are the camera's e-mail settings, one field per field of its
// web UI (Network > Email / SMTP Settings).
type Settings struct {
	// CameraName is the name shown in %Camera_Name%.
	CameraName string     `yaml:"camera_name"`
	SMTPServer string     `yaml:"smtp_server"`
	Port       int        `yaml:"port"`
	Encryption Encryption `yaml:"encryption"`
	Username   string     `yaml:"username"`
	// Password is the account password or, for Gmail and Outlook with
	// two-step verification, a 16-character app password.
	Password         string `yaml:"password"`
	SenderAddress    string `yaml:"sender_address"`
	RecipientAddress string `yaml:"recipient_address"`
	// Subject may use %Camera_Name%, %Event_Type%, %Date% and %Time%.
	Subject string `yaml:"subject"`
	// SnapshotStream is the stream snapshots are taken from: "sub"
	// (720p, recommended on 4G) or "main" (4 MP).
	SnapshotStream string `yaml:"snapshot_stream"`
}

// Defaults returns the settings of a camera fresh from the factory.
func Defaults() Settings {
	return Settings{
		CameraName:     "PTZ Camera",
		Port:           465,
		Encryption:     EncryptionSSL,
		Subject:        "%Camera_Name% - %Event_Type%",
		SnapshotStream: "sub",
	}
}

// Validate checks the settings the way the web UI does before saving, and
// returns its message for the first field it rejects.
func (s Settings) Validate() error {
	switch {
	case strings.TrimSpace(s.SMTPServer) == "":
		return ui.Reject("smtp_server", "Please enter the SMTP server.")
	case s.Port < 1 || s.Port > 65535:
		return ui.Reject("port", "Port must be between 1 and 65535.")
	}
	switch s.Encryption {
	case EncryptionSSL, EncryptionTLS, EncryptionNone:
	default:
		return ui.Reject("encryption", "Encryption must be SSL, TLS or None.")
	}
	if s.Username != "" && s.Password == "" {
		return ui.Reject("password", "Please enter the password.")
	}
	if !validAddress(s.SenderAddress) {
		return ui.Reject("sender_address", "You MUST enter a valid e-mail address format")
	}
	if !validAddress(s.RecipientAddress) {
		return ui.Reject("recipient_address", "You MUST enter a valid e-mail address format")
	}
	if len([]rune(s.Subject)) > 128 {
		return ui.Reject("subject", "The subject cannot exceed 128 characters.")
	}
	if _, err := s.stream(); err != nil {
		return err
	}
	return nil
}

func (s Settings) stream() (imaging.Stream, error) {
	switch s.SnapshotStream {
	case "sub", "":
		return imaging.SubStream, nil
	case "main":
		return imaging.MainStream, nil
	}
	return 0, ui.Reject("snapshot_stream", "Snapshot stream must be Main Stream or Sub Stream.")
}

// server returns the SMTP server as the pipeline takes it.
func (s Settings) server() alert.Server {
	srv := alert.Server{
		Host:     s.SMTPServer,
		Port:     s.Port,
		Username: s.Username,
		Password: s.Password,
	}
	switch s.Encryption {
	case EncryptionSSL:
		// The camera encrypts but, like most embedded firmware, does not
		// check the certificate.
		srv.ImplicitTLS, srv.Security = true, alert.SecurityRequired
	case EncryptionTLS:
		srv.Security = alert.SecurityRequired
	}
	return srv
}

// validAddress accepts a bare address (no display name), as the UI does.
func validAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}
