package fakesmtp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Session is what the server saw of one connection.
type Session struct {
	// ID counts connections from 1, in order of acceptance.
	ID      int
	Remote  string
	Local   string
	Mode    Mode
	Started time.Time
	// Helo is the name the client gave in its last EHLO or HELO.
	Helo string
	// TLS is set once a handshake has succeeded.
	TLS *TLSInfo
	// AuthMechanism and AuthUser are set by a successful AUTH.
	AuthMechanism string
	AuthUser      string
	// Transcript is every command and reply with its time, credentials
	// redacted, message data summarized.
	Transcript []Line
}

// TLSInfo describes a session's TLS connection.
type TLSInfo struct {
	Version     string // "TLS 1.3"
	CipherSuite string
	// ServerName is the SNI the client sent, if any.
	ServerName string
}

func (t *TLSInfo) String() string {
	s := t.Version + " " + t.CipherSuite
	if t.ServerName != "" {
		s += " (SNI " + t.ServerName + ")"
	}
	return s
}

func (s *Server) addLine(sess *Session, l Line) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess.Transcript = append(sess.Transcript, l)
}

func (s *Server) note(sess *Session, format string, args ...any) {
	s.addLine(sess, Line{At: time.Now(), Kind: Note, Text: fmt.Sprintf(format, args...)})
}

// tlsConfig returns the server's TLS configuration with a hook that
// records the negotiated parameters in the session.
func (s *Server) tlsConfig(sess *Session) *tls.Config {
	cfg := s.TLSConfig.Clone()
	verify := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if verify != nil {
			if err := verify(cs); err != nil {
				return err
			}
		}
		info := &TLSInfo{
			Version:     tls.VersionName(cs.Version),
			CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
			ServerName:  cs.ServerName,
		}
		s.mu.Lock()
		sess.TLS = info
		s.mu.Unlock()
		s.note(sess, "TLS negotiated: %s", info)
		return nil
	}
	return cfg
}

// serveSession serves one connection: TLS first in implicit TLS mode, a
// greeting fault, then go-smtp through the session's own connection layer
// (sessionConn).
func (s *Server) serveSession(sess *Session, sc *sessionConn) {
	defer func() {
		s.mu.Lock()
		delete(s.active, sc)
		s.mu.Unlock()
	}()
	s.note(sess, "connection from %s (%v)", sess.Remote, sc.mode)
	defer s.note(sess, "connection closed")

	if sc.mode == ImplicitTLS {
		if s.ReadTimeout > 0 {
			sc.raw.SetDeadline(time.Now().Add(s.ReadTimeout))
		}
		err := sc.handshake()
		sc.raw.SetDeadline(time.Time{})
		if err != nil {
			s.note(sess, "TLS handshake failed: %v", err)
			sc.cut()
			return
		}
	}
	if f, ok := s.fault(StageConnect, ""); ok {
		if f.Reply != nil {
			sc.reply(f.Reply)
		}
		s.note(sess, "hung up at the greeting (fault)")
		sc.Close()
		return
	}
	s.slow()
	sc.serve()
}

type backend struct {
	s    *Server
	sess *Session
	conn *sessionConn
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s := b.s
	s.slow()
	s.mu.Lock()
	b.sess.Helo = c.Hostname()
	s.mu.Unlock()
	// The layer's TLS, not go-smtp's: go-smtp's connection is the layer,
	// never a *tls.Conn.
	state := b.conn.tls()
	if state != nil && s.MinTLSVersion != 0 && state.Version < s.MinTLSVersion {
		b.conn.hangUp.Store(true)
		return nil, s.replies().OldTLS
	}
	if f, ok := s.fault(StageEHLO, ""); ok {
		b.conn.hangUp.Store(f.Hangup)
		return nil, f.Reply
	}
	return &session{s: s, sess: b.sess, conn: b.conn, mode: b.conn.mode, tls: state != nil}, nil
}

// session is go-smtp's view of one SMTP session (it starts again after
// STARTTLS).
type session struct {
	s       *Server
	sess    *Session
	conn    *sessionConn
	mode    Mode
	tls     bool
	account *Account
	mech    string
	from    string
	to      []string
}

// slow holds a reply back for the tarpit's delay.
func (s *Server) slow() {
	if s.Tarpit > 0 {
		time.Sleep(s.Tarpit)
	}
}

// strike returns a fault's reply for the stage, if one strikes now.
func (ss *session) strike(stage Stage, recipient string) error {
	f, ok := ss.s.fault(stage, recipient)
	if !ok {
		return nil
	}
	if f.Hangup {
		ss.conn.hangUp.Store(true)
	}
	return f.Reply
}

// authAllowed is the server's rule for AUTH in plain text.
func (ss *session) authAllowed() bool {
	return ss.tls || ss.s.AllowInsecureAuth
}

func (ss *session) AuthMechanisms() []string {
	if !ss.authAllowed() || len(ss.s.Accounts) == 0 {
		return nil
	}
	return ss.s.mechanisms()
}

func (s *Server) mechanisms() []string {
	if len(s.AuthMechanisms) > 0 {
		return s.AuthMechanisms
	}
	return []string{sasl.Plain, sasl.Login}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	s := ss.s
	s.slow()
	if err := ss.strike(StageAuth, ""); err != nil {
		return nil, err
	}
	switch {
	case len(s.Accounts) == 0:
		return nil, s.replies().AuthUnavailable
	case !ss.authAllowed() && ss.mode == StartTLS:
		return nil, s.replies().MustStartTLS
	case !ss.authAllowed():
		return nil, s.replies().AuthUnavailable
	}
	if !slices.Contains(s.mechanisms(), mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			return ss.login(mech, username, password)
		}), nil
	case sasl.Login:
		return newLoginServer(func(username, password string) error {
			return ss.login(mech, username, password)
		}), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) login(mech, username, password string) error {
	a, err := ss.s.authenticate(username, password)
	if err != nil {
		return err
	}
	ss.account, ss.mech = a, mech
	ss.s.mu.Lock()
	ss.sess.AuthMechanism, ss.sess.AuthUser = mech, a.Username
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	s := ss.s
	s.slow()
	r := s.replies()
	if err := ss.strike(StageMail, ""); err != nil {
		return err
	}
	switch {
	case !wellFormed(from):
		return errBadSender
	case s.RequireTLS && !ss.tls:
		return r.MustStartTLS
	case s.AuthRequired && ss.account == nil:
		return r.AuthRequired
	case !s.CheckSenderAtData && !ss.senderOwned(from):
		return r.SenderNotOwned
	case s.rateLimited():
		ss.conn.hangUp.Store(true)
		return r.RateLimited
	}
	ss.from, ss.to = from, nil
	return nil
}

// Postfix's words for addresses that are not addresses (RFC 5321 section
// 4.1.2 allows no control characters, spaces or NUL in a path).
var (
	errBadSender    = NewReply(501, "5.1.7", "Bad sender address syntax")
	errBadRecipient = NewReply(501, "5.1.3", "Bad recipient address syntax")
)

func wellFormed(addr string) bool {
	return !strings.ContainsFunc(addr, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// senderOwned reports whether the session may send from the address.
func (ss *session) senderOwned(from string) bool {
	s := ss.s
	if ss.account != nil && !ss.account.maySend(from) {
		return false
	}
	return len(s.SenderDomains) == 0 || slices.ContainsFunc(s.SenderDomains, func(d string) bool {
		return strings.EqualFold(d, from[strings.LastIndexByte(from, '@')+1:])
	})
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.slow()
	if err := ss.strike(StageRcpt, to); err != nil {
		return err
	}
	if !wellFormed(to) || to == "" {
		return errBadRecipient
	}
	client, _, _ := net.SplitHostPort(ss.sess.Remote)
	if ss.s.greylisted(client, ss.from, to) {
		return ss.s.replies().Greylisted
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	s := ss.s
	if s.DisconnectAfter > 0 {
		io.CopyN(io.Discard, r, s.DisconnectAfter)
		s.note(ss.sess, "hung up after %d bytes of message data (fault)", s.DisconnectAfter)
		ss.conn.cut()
		return io.ErrUnexpectedEOF
	}
	raw, err := io.ReadAll(r)
	s.slow()
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		ss.conn.hangUp.Store(true)
		return s.replies().DataTimeout
	case errors.Is(err, smtp.ErrDataTooLarge):
		return s.replies().MessageTooBig
	case err != nil:
		return err
	}
	if err := ss.strike(StageData, ""); err != nil {
		return err
	}
	if s.CheckSenderAtData && !ss.senderOwned(ss.from) {
		return s.replies().SenderNotOwned
	}
	m := &Message{
		Received:      time.Now(),
		From:          ss.from,
		To:            slices.Clone(ss.to),
		Raw:           raw,
		AuthMechanism: ss.mech,
	}
	if ss.account != nil {
		m.AuthUser = ss.account.Username
	}
	m.Parts, err = parseParts(raw)
	if err != nil {
		m.ParseError = err.Error()
	}
	s.store(ss.sess, m)
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
