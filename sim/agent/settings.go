// Package agent models the e-mail of an SMTP monitoring agent (reference
// document 003): the host and the port of the mail server it hands its
// messages to (an SMTP service that relays them on: the IIS SMTP service
// of the document, looking up the recipient domain's mail server and
// delivering on port 25), a test message to an e-mail address with the
// option of a different address in its From header, and the option to PING
// the server during the test. Its alerts go the same way.
//
// The document says nothing of a login or of TLS, and the agent has
// neither: it relays by address, in plain text, as IIS's SMTP service is
// set up to take from a machine it trusts.
package agent

import (
	"net"
	"strings"

	"alertsim/sim/alert"
	"alertsim/sim/ui"
)

// Settings are the agent's SMTP settings, named as the document names
// them.
type Settings struct {
	// SMTPServer is "the host ... of your mail server": a name or an
	// address.
	SMTPServer string `yaml:"smtp_server"`
	// Port is "the port of your mail server".
	Port int `yaml:"port"`
	// SenderAddress is the agent's own address: the envelope sender, and
	// the From header unless FromHeader is set.
	SenderAddress string `yaml:"sender_address"`
	// TestAddress is the e-mail address the test message, and the
	// agent's alerts, go to.
	TestAddress string `yaml:"test_address"`
	// FromHeader is "a different email address for 'from' headers of the
	// tested message": it replaces SenderAddress in the From header of
	// the test message only; the envelope keeps SenderAddress.
	FromHeader string `yaml:"from_header"`
	// PingServer is "PING the SMTP server during a test".
	PingServer bool `yaml:"ping_server"`
}

// Defaults returns the settings of an agent as installed.
func Defaults() Settings { return Settings{Port: 25} }

// Validate checks the settings as the agent's settings dialog does.
func (s Settings) Validate() error {
	host := strings.TrimSpace(s.SMTPServer)
	switch {
	case host == "":
		return ui.Reject("smtp_server", "Enter the host of your mail server.")
	case strings.ContainsAny(host, " /:") && net.ParseIP(strings.Trim(host, "[]")) == nil:
		return ui.Reject("smtp_server", "The host must be a name or an IP address.")
	case s.Port < 1 || s.Port > 65535:
		return ui.Reject("port", "The port must be a number from 1 to 65535.")
	case !ui.ValidAddress(s.SenderAddress):
		return ui.Reject("sender_address", ui.InvalidAddress)
	case !ui.ValidAddress(s.TestAddress):
		return ui.Reject("test_address", ui.InvalidAddress)
	case s.FromHeader != "" && !ui.ValidAddress(s.FromHeader):
		return ui.Reject("from_header", ui.InvalidAddress)
	}
	return nil
}

// server is the mail server as the pipeline takes it: no login, no TLS.
func (s Settings) server() alert.Server {
	return alert.Server{Host: strings.TrimSpace(s.SMTPServer), Port: s.Port}
}
