// Package ptz models a 4G PTZ camera's e-mail alerts: the SMTP settings
// page of its web UI (server, SSL on 465 or STARTTLS on 587, app password,
// sender, recipient, subject with variables), its TCP/IP page (MTU, DNS),
// AI events that mail a burst of snapshots with retries, a heartbeat mail,
// the SD card that keeps every event's frames, and its failure log. Two
// firmware versions differ where real ones do.
package ptz

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

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

// Firmware is a firmware version and what it can do. Installer guides
// note that "some older camera firmware versions only support TLS, not
// pure SSL", that bursts go "up to 5, depending on firmware version", and
// that "some firmware versions" have the heartbeat.
type Firmware struct {
	Version string
	// SSL offers Encryption SSL (implicit TLS on 465).
	SSL bool
	// MaxTLS is the newest TLS version its library speaks.
	MaxTLS uint16
	// MaxBurst is the most snapshots one mail may carry.
	MaxBurst int
	// Heartbeat offers the periodic heartbeat mail.
	Heartbeat bool
	// RetryPermanent: the old firmware's retry loop does not look at the
	// reply, so a refused login is tried three times too.
	RetryPermanent bool
}

// Firmwares are the versions modelled, newest first.
var Firmwares = []Firmware{
	{Version: "5.2.0", SSL: true, MaxTLS: tls.VersionTLS13, MaxBurst: 5, Heartbeat: true},
	{Version: "4.1.8", SSL: false, MaxTLS: tls.VersionTLS10, MaxBurst: 3, RetryPermanent: true},
}

// LookupFirmware returns the firmware with the version; "" is the newest.
func LookupFirmware(version string) (Firmware, bool) {
	if version == "" {
		return Firmwares[0], true
	}
	i := slices.IndexFunc(Firmwares, func(f Firmware) bool { return f.Version == version })
	if i < 0 {
		return Firmware{}, false
	}
	return Firmwares[i], true
}

// Settings are the camera's e-mail and network settings, one field per
// field of its web UI (Network > Email / SMTP Settings, Network > TCP/IP
// Settings).
type Settings struct {
	// Firmware is the version the camera runs (System > Device Info); it
	// decides what the pages offer. Empty is the newest.
	Firmware string `yaml:"-"`

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
	// SnapshotCount is how many snapshots one alert mail carries, 1 to
	// the firmware's maximum; 0 keeps each event type's default (see
	// EventTypes).
	SnapshotCount int `yaml:"snapshot_count"`
	// PreTriggerFrame adds the frame from one second before the trigger
	// (the pre-record buffer) ahead of the burst.
	PreTriggerFrame bool `yaml:"pre_trigger_frame"`
	// Heartbeat mails a sign of life: "off", "1h", "6h" or "daily" (at
	// HeartbeatTime).
	Heartbeat     string `yaml:"heartbeat"`
	HeartbeatTime string `yaml:"heartbeat_time"`
	// AlertInterval is the least time, in seconds, between two alert
	// mails: events within it are recorded to the SD card but not mailed.
	// 0 mails every event.
	AlertInterval int `yaml:"alert_interval"`
	// SDCardRecording keeps every event's frames on the SD card.
	SDCardRecording bool `yaml:"sd_card_recording"`

	// MTU is Network > TCP/IP Settings > MTU; 1380 leaves room for 4G
	// encapsulation.
	MTU int `yaml:"mtu"`
	// PreferredDNS and AlternateDNS replace the DNS servers the carrier
	// assigns, when set.
	PreferredDNS string `yaml:"preferred_dns"`
	AlternateDNS string `yaml:"alternate_dns"`
}

// Defaults returns the settings of a camera fresh from the factory.
func Defaults() Settings {
	return Settings{
		CameraName:      "PTZ Camera",
		Port:            465,
		Encryption:      EncryptionSSL,
		Subject:         "%Camera_Name% - %Event_Type%",
		SnapshotStream:  "sub",
		Heartbeat:       "off",
		HeartbeatTime:   "08:00",
		SDCardRecording: true,
		MTU:             1500,
	}
}

// Validate checks the settings the way the web UI does before saving, and
// returns its message for the first field it rejects.
func (s Settings) Validate() error {
	fw, ok := LookupFirmware(s.Firmware)
	if !ok {
		return fmt.Errorf("unknown firmware %q (versions: %s)", s.Firmware, strings.Join(FirmwareVersions(), ", "))
	}
	switch {
	case strings.TrimSpace(s.SMTPServer) == "":
		return ui.Reject("smtp_server", "Please enter the SMTP server.")
	case !ui.ValidHost(s.SMTPServer):
		return ui.Reject("smtp_server", "Please enter a valid SMTP server address.")
	case !ui.Printable(s.CameraName):
		return ui.Reject("camera_name", "The camera name may not contain line breaks or control characters.")
	case s.Port < 1 || s.Port > 65535:
		return ui.Reject("port", "Port must be between 1 and 65535.")
	}
	switch s.Encryption {
	case EncryptionSSL:
		if !fw.SSL {
			return ui.Reject("encryption", "This firmware supports TLS only. Select TLS and port 587.")
		}
	case EncryptionTLS, EncryptionNone:
	default:
		return ui.Reject("encryption", "Encryption must be SSL, TLS or None.")
	}
	if s.Username != "" && s.Password == "" {
		return ui.Reject("password", "Please enter the password.")
	}
	if !ui.ValidAddress(s.SenderAddress) {
		return ui.Reject("sender_address", ui.InvalidAddress)
	}
	if !ui.ValidAddress(s.RecipientAddress) {
		return ui.Reject("recipient_address", ui.InvalidAddress)
	}
	if len([]rune(s.Subject)) > 128 {
		return ui.Reject("subject", "The subject cannot exceed 128 characters.")
	}
	if _, err := s.stream(); err != nil {
		return err
	}
	if s.SnapshotCount < 0 || s.SnapshotCount > fw.MaxBurst {
		return ui.Reject("snapshot_count", fmt.Sprintf("Snapshot count must be between 1 and %d.", fw.MaxBurst))
	}
	if s.AlertInterval < 0 || s.AlertInterval > 3600 {
		return ui.Reject("alert_interval", "Alert interval must be between 0 and 3600 seconds.")
	}
	if _, err := s.heartbeat(fw); err != nil {
		return err
	}
	if s.MTU < 576 || s.MTU > 1500 {
		return ui.Reject("mtu", "MTU must be between 576 and 1500.")
	}
	for _, f := range [...]struct{ field, value string }{{"preferred_dns", s.PreferredDNS}, {"alternate_dns", s.AlternateDNS}} {
		if f.value == "" {
			continue
		}
		if a, err := netip.ParseAddr(f.value); err != nil || !a.Is4() || !a.IsGlobalUnicast() {
			return ui.Reject(f.field, "Please enter a valid IP address for the DNS server.")
		}
	}
	if s.PreferredDNS == "" && s.AlternateDNS != "" {
		return ui.Reject("preferred_dns", "Please enter the preferred DNS server first.")
	}
	return nil
}

// FirmwareVersions lists the versions modelled, newest first.
func FirmwareVersions() []string {
	v := make([]string, len(Firmwares))
	for i, f := range Firmwares {
		v[i] = f.Version
	}
	return v
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

// heartbeat returns the heartbeat's schedule; the zero Schedule is off.
func (s Settings) heartbeat(fw Firmware) (alert.Schedule, error) {
	var sch alert.Schedule
	switch s.Heartbeat {
	case "off", "":
		return sch, nil
	case "1h":
		sch.Every = time.Hour
	case "6h":
		sch.Every = 6 * time.Hour
	case "daily":
		if _, _, err := alert.ParseDaily(s.HeartbeatTime); err != nil {
			return sch, ui.Reject("heartbeat_time", "Please enter the time as HH:MM (24-hour).")
		}
		sch.Daily = s.HeartbeatTime
	default:
		return sch, ui.Reject("heartbeat", "Heartbeat must be Off, Every 1 hour, Every 6 hours or Daily.")
	}
	if !fw.Heartbeat {
		return sch, ui.Reject("heartbeat", "Heartbeat is not available in this firmware version.")
	}
	return sch, nil
}

// DNSServers returns the DNS servers set on the TCP/IP page, or nil when
// the camera uses the ones its carrier assigns.
func (s Settings) DNSServers() []netip.Addr {
	var out []netip.Addr
	for _, v := range []string{s.PreferredDNS, s.AlternateDNS} {
		if a, err := netip.ParseAddr(v); err == nil {
			out = append(out, a)
		}
	}
	return out
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
