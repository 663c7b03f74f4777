package fakesmtp

import (
	"crypto/tls"
	"slices"
	"strings"
)

// Listener is a port a preset listens on by default.
type Listener struct {
	Port int
	Mode Mode
}

// Preset makes a server answer like a kind of real one: its ports, its
// rules (TLS before AUTH, app passwords, size limit, TLS versions) and the
// words of its refusals, copied from what the provider sends.
type Preset struct {
	Name    string
	Summary string
	// Domain is the server's usual name.
	Domain string
	// Listeners are its usual ports.
	Listeners []Listener
	// Sources say where the replies were copied from.
	Sources []string
	apply   func(*Server)
}

// Apply configures s like the preset. Call it after setting s.Domain and
// s.TLSConfig; it leaves accounts and faults alone.
func (p Preset) Apply(s *Server) { p.apply(s) }

var presets = []Preset{
	{
		Name:    "gmail-like",
		Summary: "Gmail: SSL on 465, STARTTLS required on 587, app passwords with two-step verification, 35 MB limit",
		Domain:  "smtp.gmail.com",
		Listeners: []Listener{
			{465, ImplicitTLS},
			{587, StartTLS},
		},
		Sources: []string{
			"535 5.7.8, 534 5.7.9: replies quoted in PHPMailer/PHPMailer#1708 and Der-Henning/tgtg#517 (2024)",
			"552 5.2.3, SIZE 35882577, AUTH LOGIN PLAIN: nodemailer/nodemailer#400, kisli/vmime#110",
			"451 4.4.2 Timeout - closing connection: wpmailsmtp.com, 'SMTP Error 451-4.4.2'",
			"530 5.7.0 Must issue a STARTTLS command first, 530 5.7.0 Authentication Required, 421 4.7.0 Try again later: Google's SMTP error reference (support.google.com/a/answer/3726730)",
			"the account password refused with 535 5.7.8 BadCredentials even without two-step verification, since Google ended \"less secure app\" access (May 2022): imthenachoman/How-To-Secure-A-Linux-Server#106 (2023, \"even if you have 2FA disabled\"), getgrav/grav-plugin-email#185 (2024, the reply's wording \"For more information, go to\")",
			"220 smtp.gmail.com ESMTP <id> - gsmtp, 250-smtp.gmail.com at your service, [<client>]: SuiteCRM/SuiteCRM#4146",
			"250 2.1.0 OK <id> - gsmtp, 250 2.1.5 OK <id> - gsmtp, 354 Go ahead <id> - gsmtp: The-Login/SMTP-Smuggling-Tools#11 (2024)",
			"235 2.7.0 Accepted, 250 2.0.0 OK: tototoshi.hatenablog.com/entry/20100602/1275486312 (a session by openssl s_client); Gmail puts the Unix time before the id in its 250 2.0.0, which is left out: the fake server has no clock of the scenario's world",
			"221 2.0.0 closing connection <id> - gsmtp: Gmail's QUIT reply as clients log it (no public transcript found to cite)",
		},
		apply: func(s *Server) {
			s.AuthMechanisms = []string{"LOGIN", "PLAIN"}
			s.RequireTLS = true
			s.AuthRequired = true
			s.MaxMessageBytes = 35882577
			s.Replies = Replies{
				AuthFailed:          NewReply(535, "5.7.8", "Username and Password not accepted. For more information, go to\n https://support.google.com/mail/?p=BadCredentials"),
				AppPasswordRequired: NewReply(534, "5.7.9", "Application-specific password required. For more information, go to\n https://support.google.com/mail/?p=InvalidSecondFactor"),
				AuthRequired:        NewReply(530, "5.7.0", "Authentication Required. For more information, go to\n https://support.google.com/mail/?p=WantAuthError"),
				MustStartTLS:        NewReply(530, "5.7.0", "Must issue a STARTTLS command first."),
				MessageTooBig:       NewReply(552, "5.2.3", "Your message exceeded Google's message size limits. Please visit\n https://support.google.com/mail/?p=MaxSizeError to view our size\nguidelines."),
				RateLimited:         NewReply(421, "4.7.0", "Try again later, closing connection."),
				DataTimeout:         NewReply(451, "4.4.2", "Timeout - closing connection."),
				TryLater:            NewReply(421, "4.7.0", "Try again later, closing connection."),
				// Gmail refuses the account password of an account
				// without two-step verification in the words of a wrong
				// one.
				PasswordSignIn: NewReply(535, "5.7.8", "Username and Password not accepted. For more information, go to\n https://support.google.com/mail/?p=BadCredentials"),
			}
			s.Successes = Successes{
				Greeting: "{domain} ESMTP {id} - gsmtp",
				Hello:    "{domain} at your service, [{client}]",
				ReadyTLS: NewReply(220, "2.0.0", "Ready to start TLS"),
				AuthOK:   NewReply(235, "2.7.0", "Accepted"),
				MailOK:   NewReply(250, "2.1.0", "OK {id} - gsmtp"),
				RcptOK:   NewReply(250, "2.1.5", "OK {id} - gsmtp"),
				GoAhead:  NewReply(354, "", "Go ahead {id} - gsmtp"),
				Queued:   NewReply(250, "2.0.0", "OK {id} - gsmtp"),
				Bye:      NewReply(221, "2.0.0", "closing connection {id} - gsmtp"),
			}
		},
	},
	{
		Name:    "outlook-like",
		Summary: "Outlook / Office 365: STARTTLS required on 587, TLS 1.2 or later (421 4.7.66 after an older handshake)",
		Domain:  "smtp.office365.com",
		Listeners: []Listener{
			{587, StartTLS},
		},
		Sources: []string{
			"421 4.7.66 TLS 1.0 and 1.1 are not supported: forum.xojo.com, 'SMTPSecureSocket not using TLS 1.2?'",
			"535 5.7.3 Authentication unsuccessful, SIZE 157286400, AUTH LOGIN only: PHPMailer/PHPMailer#992",
			"530 5.7.57 Client not authenticated to send mail.: simonrob/email-oauth2-proxy#315, tarickb/sasl-xoauth2#96",
			"550 5.7.60 at the end of DATA: swiftmailer/swiftmailer#1030, WWBN/AVideo#1017",
			"552 5.3.4 Message size exceeds fixed maximum message size, 432 4.3.2 sender thread limit: Exchange's reply texts",
			"250 2.1.0 Sender OK, 250 2.1.5 Recipient OK, 354 Start mail input; end with <CRLF>.<CRLF>: a session with Exchange Online by telnet, o365info.com 'Send mail to Exchange Online using standard SMTP session'",
			"220 2.0.0 SMTP server ready, 235 2.7.0 Authentication successful, 250 2.0.0 OK <message-id> [Hostname=...], 221 2.0.0 Service closing transmission channel, '<host> Microsoft ESMTP MAIL Service ready', '<host> Hello [<client>]': Exchange's own texts (the date Exchange appends to its greeting is left out)",
		},
		apply: func(s *Server) {
			s.AuthMechanisms = []string{"LOGIN"}
			s.CheckSenderAtData = true
			s.RequireTLS = true
			s.AuthRequired = true
			s.MaxMessageBytes = 157286400
			// Old clients get through the handshake and are then told why
			// they are refused.
			s.MinTLSVersion = tls.VersionTLS12
			if s.TLSConfig != nil {
				s.TLSConfig.MinVersion = tls.VersionTLS10
			}
			s.Replies = Replies{
				AuthFailed:          NewReply(535, "5.7.3", "Authentication unsuccessful"),
				AppPasswordRequired: NewReply(535, "5.7.3", "Authentication unsuccessful"),
				AuthRequired:        NewReply(530, "5.7.57", "Client not authenticated to send mail."),
				MustStartTLS:        NewReply(530, "5.7.0", "Must issue a STARTTLS command first"),
				SenderNotOwned:      NewReply(550, "5.7.60", "SMTP; Client does not have permissions to send as this sender"),
				MessageTooBig:       NewReply(552, "5.3.4", "Message size exceeds fixed maximum message size"),
				RateLimited:         NewReply(432, "4.3.2", "STOREDRV.ClientSubmit; sender thread limit exceeded"),
				OldTLS:              NewReply(421, "4.7.66", "TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls."),
			}
			s.Successes = Successes{
				Greeting: "{domain} Microsoft ESMTP MAIL Service ready",
				Hello:    "{domain} Hello [{client}]",
				ReadyTLS: NewReply(220, "2.0.0", "SMTP server ready"),
				AuthOK:   NewReply(235, "2.7.0", "Authentication successful"),
				MailOK:   NewReply(250, "2.1.0", "Sender OK"),
				RcptOK:   NewReply(250, "2.1.5", "Recipient OK"),
				GoAhead:  NewReply(354, "", "Start mail input; end with <CRLF>.<CRLF>"),
				Queued:   NewReply(250, "2.0.0", "OK {msgid} [Hostname={domain}]"),
				Bye:      NewReply(221, "2.0.0", "Service closing transmission channel"),
			}
		},
	},
	{
		Name:    "isp-relay",
		Summary: "an ISP's relay: plain SMTP on port 25, no login, senders of the ISP's own domain only",
		Domain:  "mail.example-isp.net",
		Listeners: []Listener{
			{25, Plain},
		},
		Sources: []string{
			"553 5.7.1 Sender address rejected, 450 4.2.0 Greylisted: Postfix (reject_sender_login_mismatch, postgrey)",
			postfixSuccessSource,
		},
		apply: func(s *Server) {
			s.AuthRequired = false
			if len(s.SenderDomains) == 0 {
				s.SenderDomains = []string{parentDomain(s.Domain)}
			}
			s.MaxMessageBytes = 10240000
			s.Replies = Replies{
				SenderNotOwned: NewReply(553, "5.7.1", "Sender address rejected: not owned by user"),
				MessageTooBig:  NewReply(552, "5.3.4", "Error: message file too big"),
			}
			s.Successes = postfixSuccesses
		},
	},
	{
		Name:    "legacy-plain",
		Summary: "an old server: plain SMTP on port 25, AUTH LOGIN and PLAIN without TLS",
		Domain:  "mail.example.com",
		Listeners: []Listener{
			{25, Plain},
		},
		Sources: []string{
			"535 5.7.8 Error: authentication failed, 552 5.3.4 Error: message file too big: Postfix's defaults",
			postfixSuccessSource,
		},
		apply: func(s *Server) {
			s.AllowInsecureAuth = true
			s.AuthRequired = len(s.Accounts) > 0
			s.MaxMessageBytes = 10240000
			s.Replies = Replies{
				MessageTooBig: NewReply(552, "5.3.4", "Error: message file too big"),
			}
			s.Successes = postfixSuccesses
		},
	},
}

// postfixSuccesses are Postfix's smtpd's words for what succeeds.
var postfixSuccesses = Successes{
	Greeting: "{domain} ESMTP Postfix",
	Hello:    "{domain}",
	ReadyTLS: NewReply(220, "2.0.0", "Ready to start TLS"),
	AuthOK:   NewReply(235, "2.7.0", "Authentication successful"),
	MailOK:   NewReply(250, "2.1.0", "Ok"),
	RcptOK:   NewReply(250, "2.1.5", "Ok"),
	GoAhead:  NewReply(354, "", "End data with <CR><LF>.<CR><LF>"),
	Queued:   NewReply(250, "2.0.0", "Ok: queued as {queue}"),
	Bye:      NewReply(221, "2.0.0", "Bye"),
}

const postfixSuccessSource = "220 <host> ESMTP Postfix, 250 2.1.0 Ok, 250 2.1.5 Ok, 354 End data with <CR><LF>.<CR><LF>, 250 2.0.0 Ok: queued as <id>, 221 2.0.0 Bye, 235 2.7.0 Authentication successful: Postfix's smtpd (src/smtpd/smtpd.c); sessions quoted in roundcube/roundcubemail#7816 and spk121/guile-curl#4"

// parentDomain returns the domain of a host name: example-isp.net for
// mail.example-isp.net.
func parentDomain(host string) string {
	if i := strings.IndexByte(host, '.'); i >= 0 && strings.Contains(host[i+1:], ".") {
		return host[i+1:]
	}
	return host
}

// LookupPreset returns the preset called name.
func LookupPreset(name string) (Preset, bool) {
	i := slices.IndexFunc(presets, func(p Preset) bool { return p.Name == name })
	if i < 0 {
		return Preset{}, false
	}
	return presets[i], true
}

// Presets returns every preset.
func Presets() []Preset { return slices.Clone(presets) }

// PresetNames returns the name of every preset.
func PresetNames() []string {
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	return names
}
