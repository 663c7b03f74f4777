package fakesmtp

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/mail"
	"strings"

	"github.com/emersion/go-smtp"

	"alertsim/internal/smtpstatus"
)

// Replies are the answers the server gives when it refuses something. A
// device acts on the code and shows the text, so a preset copies both from
// the provider it imitates. What it answers when something succeeds is in
// Successes.
type Replies struct {
	// AuthFailed answers a wrong user name or password.
	AuthFailed *smtp.SMTPError
	// AppPasswordRequired answers the account password of an account with
	// two-step verification.
	AppPasswordRequired *smtp.SMTPError
	// PasswordSignIn, when set, answers the account password of an
	// account without two-step verification: a provider that takes app
	// passwords (or OAuth) only, as Gmail does since it ended "less secure
	// app" access. Unset, the account password is taken.
	PasswordSignIn *smtp.SMTPError
	// AuthRequired answers MAIL before AUTH when authentication is required.
	AuthRequired *smtp.SMTPError
	// AuthUnavailable answers AUTH where the server offers none.
	AuthUnavailable *smtp.SMTPError
	// MustStartTLS answers AUTH or MAIL in plain text where TLS is required.
	MustStartTLS *smtp.SMTPError
	// SenderNotOwned answers MAIL FROM an address the account may not use.
	SenderNotOwned *smtp.SMTPError
	// MessageTooBig answers a message over the size limit.
	MessageTooBig *smtp.SMTPError
	// RateLimited answers MAIL once the rate limit is reached; the server
	// then hangs up.
	RateLimited *smtp.SMTPError
	// Greylisted answers RCPT while a sender, recipient and client address
	// are still greylisted.
	Greylisted *smtp.SMTPError
	// DataTimeout answers when the client stops sending mid-message; the
	// server then hangs up. (Between commands, go-smtp answers "421 4.4.2
	// Idle timeout, bye bye".)
	DataTimeout *smtp.SMTPError
	// OldTLS answers, after the handshake, a session whose TLS version is
	// below the server's minimum; the server then hangs up.
	OldTLS *smtp.SMTPError
	// TryLater is the banner of a connection the server refuses (a
	// greeting fault, the first connections failing).
	TryLater *smtp.SMTPError
	// StoreFailed answers the end of a message the server could not store
	// (a full disk): the client keeps it and tries again.
	StoreFailed *smtp.SMTPError
	// BareLF answers a line that ends in a bare LF; the server then hangs
	// up (see Server.AllowBareLF).
	BareLF *smtp.SMTPError
	// BadHelo answers an EHLO or HELO whose name is neither a domain nor
	// an address literal (RFC 5321 section 4.1.1.1).
	BadHelo *smtp.SMTPError
	// TooManyConnections is the banner of a connection beyond
	// Server.MaxConnections or MaxClientConnections; the server then hangs
	// up.
	TooManyConnections *smtp.SMTPError
	// AuthThrottled answers AUTH from a client that failed to log in too
	// often (Server.AuthThrottle); the server then hangs up.
	AuthThrottled *smtp.SMTPError
}

// NewReply builds an SMTP reply. A text of several lines becomes a multi-line
// reply; every line carries the enhanced code, as Gmail's do. An enhanced
// code that is empty or not one (see internal/smtpstatus) leaves the reply
// without one.
func NewReply(code int, enhanced string, text string) *smtp.SMTPError {
	ec := smtp.NoEnhancedCode
	if c, err := smtpstatus.Parse(enhanced); err == nil {
		ec = smtp.EnhancedCode{c.Class, c.Subject, c.Detail}
	}
	lines := strings.Split(text, "\n")
	if ec != smtp.NoEnhancedCode {
		// go-smtp prefixes the enhanced code on the last line only.
		for i := range lines[:len(lines)-1] {
			lines[i] = enhanced + " " + lines[i]
		}
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: strings.Join(lines, "\n")}
}

// DefaultReplies are a Postfix-like server's.
func DefaultReplies() Replies {
	return Replies{
		AuthFailed:          NewReply(535, "5.7.8", "Error: authentication failed"),
		AppPasswordRequired: NewReply(535, "5.7.8", "Error: authentication failed"),
		AuthRequired:        NewReply(530, "5.7.0", "Authentication required"),
		AuthUnavailable:     NewReply(503, "5.5.1", "Error: authentication not enabled"),
		MustStartTLS:        NewReply(530, "5.7.0", "Must issue a STARTTLS command first"),
		SenderNotOwned:      NewReply(553, "5.7.1", "Sender address rejected: not owned by user"),
		MessageTooBig:       NewReply(552, "5.3.4", "Message size exceeds fixed limit"),
		RateLimited:         NewReply(421, "4.7.0", "Error: too many messages, try again later"),
		Greylisted:          NewReply(450, "4.2.0", "Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/"),
		DataTimeout:         NewReply(421, "4.4.2", "Error: timeout exceeded"),
		OldTLS:              NewReply(421, "4.7.0", "TLS version not accepted"),
		TryLater:            NewReply(421, "4.3.2", "Service not available, closing transmission channel"),
		StoreFailed:         NewReply(451, "4.3.0", "Error: queue file write error"),
		BareLF:              NewReply(521, "5.5.2", "Error: bare <LF> received"),
		BadHelo:             NewReply(501, "5.5.2", "Helo command rejected: Invalid name"),
		TooManyConnections:  NewReply(421, "4.7.0", "Error: too many connections"),
		AuthThrottled:       NewReply(421, "4.7.0", "Error: too many failed logins, try again later"),
	}
}

// merge fills the replies r leaves unset from d.
func (r Replies) merge(d Replies) Replies {
	pick := func(a, b *smtp.SMTPError) *smtp.SMTPError {
		if a != nil {
			return a
		}
		return b
	}
	return Replies{
		AuthFailed:          pick(r.AuthFailed, d.AuthFailed),
		AppPasswordRequired: pick(r.AppPasswordRequired, d.AppPasswordRequired),
		PasswordSignIn:      pick(r.PasswordSignIn, d.PasswordSignIn),
		AuthRequired:        pick(r.AuthRequired, d.AuthRequired),
		AuthUnavailable:     pick(r.AuthUnavailable, d.AuthUnavailable),
		MustStartTLS:        pick(r.MustStartTLS, d.MustStartTLS),
		SenderNotOwned:      pick(r.SenderNotOwned, d.SenderNotOwned),
		MessageTooBig:       pick(r.MessageTooBig, d.MessageTooBig),
		RateLimited:         pick(r.RateLimited, d.RateLimited),
		Greylisted:          pick(r.Greylisted, d.Greylisted),
		DataTimeout:         pick(r.DataTimeout, d.DataTimeout),
		OldTLS:              pick(r.OldTLS, d.OldTLS),
		TryLater:            pick(r.TryLater, d.TryLater),
		StoreFailed:         pick(r.StoreFailed, d.StoreFailed),
		BareLF:              pick(r.BareLF, d.BareLF),
		BadHelo:             pick(r.BadHelo, d.BadHelo),
		TooManyConnections:  pick(r.TooManyConnections, d.TooManyConnections),
		AuthThrottled:       pick(r.AuthThrottled, d.AuthThrottled),
	}
}

// formatReply renders a reply as it appears on the wire, lines joined by
// CRLF.
func formatReply(e *smtp.SMTPError) string {
	lines := strings.Split(e.Message, "\n")
	var b strings.Builder
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
			if e.EnhancedCode != smtp.NoEnhancedCode && e.EnhancedCode != smtp.EnhancedCodeNotSet {
				l = fmt.Sprintf("%d.%d.%d %s", e.EnhancedCode[0], e.EnhancedCode[1], e.EnhancedCode[2], l)
			}
		}
		fmt.Fprintf(&b, "%d%s%s\r\n", e.Code, sep, l)
	}
	return b.String()
}

// Successes are a server's words when something succeeds: the greeting,
// the first line of the EHLO reply, and the replies to STARTTLS, AUTH,
// MAIL, RCPT, DATA, the end of the message and QUIT. People reading a
// transcript recognise their provider by them, and some firmware shows
// them ("250 2.0.0 OK ... - gsmtp" on its log page), so a preset copies
// them. A text may hold {domain} (the server's Domain), {client} (the
// client's IP address), {id} (a session identifier in the provider's
// style: "s1sm0012345", the same on every run), {queue} (a queue
// identifier of the message) and {msgid} (the message's Message-ID). An
// unset field keeps go-smtp's own words ("Roger, accepting mail from").
type Successes struct {
	// Greeting is the text of the 220 greeting, after the code.
	Greeting string
	// Hello is the text of the first line of the reply to EHLO.
	Hello    string
	ReadyTLS *smtp.SMTPError
	AuthOK   *smtp.SMTPError
	MailOK   *smtp.SMTPError
	RcptOK   *smtp.SMTPError
	// GoAhead is the 354 reply to DATA.
	GoAhead *smtp.SMTPError
	// Queued is the reply to the end of the message, once it is stored.
	Queued *smtp.SMTPError
	Bye    *smtp.SMTPError
}

// go-smtp's own words for what succeeds (v0.25.1, conn.go), which
// Successes replace line by line as go-smtp writes them.
const (
	stockGreetingEnd = " ESMTP Service Ready"
	stockHello       = "Hello "
	stockAuthOK      = "235 2.0.0 Authentication succeeded"
	stockMailOK      = "250 2.0.0 Roger, accepting mail from <"
	stockRcptOK      = "250 2.0.0 I'll make sure <"
	stockGoAhead     = "354 Go ahead. End your data with <CR><LF>.<CR><LF>"
	stockQueued      = "250 2.0.0 OK: queued"
	stockBye         = "221 2.0.0 Bye"
)

// readyTLS is the server's reply to a STARTTLS it accepts.
func (s *Server) readyTLS() *smtp.SMTPError {
	if r := s.Successes.ReadyTLS; r != nil {
		return r
	}
	return replyReadyTLS
}

// successLine returns the reply line go-smtp wrote (one line, CRLF
// included: go-smtp flushes each) in the server's own words, or the line
// as it is.
func (s *Server) successLine(sess *Session, line []byte) []byte {
	w := s.Successes
	text := strings.TrimSuffix(string(line), "\r\n")
	var r *smtp.SMTPError
	switch {
	case len(text) < 4:
		return line
	case w.Greeting != "" && text == "220 "+s.Domain+stockGreetingEnd:
		return []byte("220 " + s.expand(sess, w.Greeting) + "\r\n")
	case w.Hello != "" && strings.HasPrefix(text[4:], stockHello) && (strings.HasPrefix(text, "250-") || strings.HasPrefix(text, "250 ")):
		return []byte(text[:4] + s.expand(sess, w.Hello) + "\r\n")
	case text == stockAuthOK:
		r = w.AuthOK
	case strings.HasPrefix(text, stockMailOK):
		r = w.MailOK
	case strings.HasPrefix(text, stockRcptOK):
		r = w.RcptOK
	case text == stockGoAhead:
		r = w.GoAhead
	case text == stockQueued:
		r = w.Queued
	case text == stockBye:
		r = w.Bye
	}
	if r == nil {
		return line
	}
	expanded := *r
	expanded.Message = s.expand(sess, r.Message)
	return []byte(formatReply(&expanded))
}

// expand fills in a success text's fields for a session.
func (s *Server) expand(sess *Session, text string) string {
	if !strings.Contains(text, "{") {
		return text
	}
	client, _, _ := net.SplitHostPort(sess.Remote)
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", s.Domain, sess.ID)
	id := fmt.Sprintf("s%dsm%07d", sess.ID, h.Sum32()%10000000)
	s.mu.Lock()
	n := s.accepted
	var msgid string
	if k := len(s.messages); k > 0 && s.messages[k-1].Session == sess.ID {
		msgid = s.messages[k-1].messageID
	}
	s.mu.Unlock()
	fmt.Fprintf(h, "/%d", n)
	queue := fmt.Sprintf("%010X", uint64(h.Sum32())<<8|uint64(n&0xff))
	return strings.NewReplacer("{domain}", s.Domain, "{client}", client, "{id}", id, "{queue}", queue, "{msgid}", msgid).Replace(text)
}

// messageID returns the Message-ID of a message's header block, angle
// brackets included, or "" when it has none.
func messageID(header []byte) string {
	m, err := mail.ReadMessage(io.MultiReader(bytes.NewReader(header), strings.NewReader("\r\n")))
	if err != nil {
		return ""
	}
	return m.Header.Get("Message-Id")
}
