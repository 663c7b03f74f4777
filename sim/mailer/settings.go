// Package mailer models a bulk mailer's SMTP Server Settings (reference
// document 004): direct delivery (the default: each message to its
// recipient's domain's mail server, by MX, as a mail server sends it) or
// standard delivery through an SMTP server, its address and port (25, 587,
// or 465, SMTP over SSL, which needs SSL/TLS encryption other than None),
// SMTP authentication, and SSL/TLS encryption None, Optional, Required or
// Certified.
package mailer

import (
	"net"
	"strings"

	"alertsim/sim/alert"
	"alertsim/sim/ui"
)

// Delivery is how the mailer sends.
type Delivery string

const (
	// Direct sends each message to its recipient domain's mail exchangers,
	// on port 25, as a mail server does. The document warns that it
	// "frequently does not work due to anti-spam restrictions".
	Direct Delivery = "Direct"
	// Standard sends through an SMTP server.
	Standard Delivery = "Standard"
)

// Encryption is the SSL/TLS encryption setting.
type Encryption string

// The four settings, in the document's words: None, "if encryption is
// supported by the SMTP server, it is used; if not, an unencrypted
// connection is used" (Optional), "if the server does not support SSL/TLS
// encryption, the operation will fail; however, the server certificate is
// not verified" (Required), and Required "except the operation will also
// fail if the server certificate fails verification" (Certified).
const (
	EncryptionNone      Encryption = "None"
	EncryptionOptional  Encryption = "Optional"
	EncryptionRequired  Encryption = "Required"
	EncryptionCertified Encryption = "Certified"
)

var levels = map[Encryption]alert.Security{
	EncryptionNone:      alert.SecurityNone,
	EncryptionOptional:  alert.SecurityOptional,
	EncryptionRequired:  alert.SecurityRequired,
	EncryptionCertified: alert.SecurityCertified,
}

// SSLPort is "reserved for SMTP over SSL".
const SSLPort = 465

// Settings are the SMTP Server Settings page, and the mailing's sender,
// recipients and subject.
type Settings struct {
	Delivery Delivery `yaml:"delivery"`
	// SMTPServerAddress and SMTPServerPort are standard delivery's server.
	SMTPServerAddress string `yaml:"smtp_server_address"`
	SMTPServerPort    int    `yaml:"smtp_server_port"`
	// SMTPAuthentication logs in with Username and Password ("a rented
	// SMTP server will almost certainly require that you login").
	SMTPAuthentication bool       `yaml:"smtp_authentication"`
	Username           string     `yaml:"username"`
	Password           string     `yaml:"password"`
	SSLTLSEncryption   Encryption `yaml:"ssl_tls_encryption"`

	FromName    string   `yaml:"from_name"`
	FromAddress string   `yaml:"from_address"`
	Recipients  []string `yaml:"recipients"`
	Subject     string   `yaml:"subject"`
}

// Defaults returns the page as the mailer is installed: direct delivery
// ("the default setting because it is the simplest to use"), port 25, no
// encryption.
func Defaults() Settings {
	return Settings{Delivery: Direct, SMTPServerPort: 25, SSLTLSEncryption: EncryptionNone, FromName: "Newsletter", Subject: "Newsletter"}
}

// Validate checks the settings as the page does before a mailing.
func (s Settings) Validate() error {
	switch s.Delivery {
	case Direct, Standard:
	default:
		return ui.Reject("delivery", "Choose Standard delivery or Direct delivery.")
	}
	if _, ok := levels[s.SSLTLSEncryption]; !ok {
		return ui.Reject("ssl_tls_encryption", "SSL/TLS encryption is None, Optional, Required or Certified.")
	}
	if s.Delivery == Standard {
		host := strings.TrimSpace(s.SMTPServerAddress)
		switch {
		case host == "":
			return ui.Reject("smtp_server_address", "For standard delivery you must have access to an SMTP server: enter its address.")
		case strings.ContainsAny(host, " /") || strings.Contains(host, ":") && net.ParseIP(host) == nil:
			return ui.Reject("smtp_server_address", "The SMTP server address is a host name or an IP address.")
		case s.SMTPServerPort < 1 || s.SMTPServerPort > 65535:
			return ui.Reject("smtp_server_port", "The SMTP server port is a number from 1 to 65535.")
		case s.SMTPServerPort == SSLPort && s.SSLTLSEncryption == EncryptionNone:
			// The document's own words.
			return ui.Reject("ssl_tls_encryption", `Port 465 is reserved for SMTP over SSL. For this port to work, SSL/TLS Encryption must not be set to "None".`)
		case s.SMTPAuthentication && s.Username == "":
			return ui.Reject("username", "Enter the username your SMTP server gave you.")
		case s.SMTPAuthentication && s.Password == "":
			return ui.Reject("password", "Enter the password your SMTP server gave you.")
		}
	}
	if !ui.ValidAddress(s.FromAddress) {
		return ui.Reject("from_address", ui.InvalidAddress)
	}
	if len(s.Recipients) == 0 {
		return ui.Reject("recipients", "Add at least one recipient.")
	}
	for _, r := range s.Recipients {
		if !ui.ValidAddress(r) {
			return ui.Reject("recipients", ui.InvalidAddress)
		}
	}
	return nil
}

// policy is how the mailer sends one message: through its server, or to
// the recipient's domain. It tries once; a failed message is reported.
func (s Settings) policy() alert.Policy {
	if s.Delivery == Direct {
		return alert.Policy{Direct: true}
	}
	srv := alert.Server{Host: strings.TrimSpace(s.SMTPServerAddress), Port: s.SMTPServerPort, Security: levels[s.SSLTLSEncryption]}
	// Port 465 speaks TLS from the first byte; the level then says whether
	// the certificate is verified.
	srv.ImplicitTLS = s.SMTPServerPort == SSLPort
	if s.SMTPAuthentication {
		srv.Username, srv.Password = s.Username, s.Password
	}
	return alert.Policy{Servers: []alert.Server{srv}}
}
