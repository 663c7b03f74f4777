package fakesmtp

import (
	"bytes"
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
	// TLS is set once a handshake has succeeded; TLSError says why the
	// last one failed.
	TLS      *TLSInfo
	TLSError string
	// AuthMechanism and AuthUser are set by a successful AUTH.
	AuthMechanism string
	AuthUser      string
	// Logins are the session's AUTH attempts, successful or not, the
	// latest maxLogins of them.
	Logins []Login
	// Delivered counts the messages the session stored; StoreKeys are
	// their keys in the server's Store, when it names them.
	Delivered int
	StoreKeys []string
	// Refusal is the last line of the latest 4xx or 5xx reply the
	// client was sent, as the transcript has it: kept apart, so that a
	// list of sessions says why one failed without its transcript.
	Refusal string
	// Ended is when the session ended (zero while it is open), and
	// EndReason how: "client quit", "client closed the connection",
	// "idle timeout", the reply the server hung up after, ...
	Ended     time.Time
	EndReason string
	// Transcript is every command and reply with its time, credentials
	// redacted, message data summarized; bounded by
	// Server.MaxTranscriptLines.
	Transcript []Line
	// Omitted counts the transcript lines left out by that bound.
	Omitted int

	max  int    // MaxTranscriptLines when the session began
	tail []Line // past the bound: a ring of the latest lines
	next int    // where the ring's next line goes
}

// Login is one AUTH attempt. The password is never kept.
type Login struct {
	At        time.Time
	Mechanism string
	// User is the user name the client gave.
	User string
	OK   bool
	// Reply is the server's answer to a refused attempt.
	Reply string
}

// maxLogins bounds Session.Logins: a client that tries thousands of
// passwords keeps only its latest attempts.
const maxLogins = 20

// snapshot copies the session, its transcript put together in order.
// Called with the server's lock held.
func (sess *Session) snapshot() Session {
	out := *sess
	out.tail, out.next = nil, 0
	out.Logins = slices.Clone(sess.Logins)
	out.StoreKeys = slices.Clone(sess.StoreKeys)
	out.Transcript = slices.Clone(sess.Transcript)
	if len(sess.tail) > 0 {
		out.Transcript = append(out.Transcript, Line{At: sess.tail[sess.next%len(sess.tail)].At, Kind: Note, Text: fmt.Sprintf("%d transcript lines left out", sess.Omitted)})
		out.Transcript = append(out.Transcript, sess.tail[sess.next:]...)
		out.Transcript = append(out.Transcript, sess.tail[:sess.next]...)
	}
	if sess.TLS != nil {
		t := *sess.TLS
		out.TLS = &t
	}
	return out
}

// brief copies the session without its transcript. Called with the
// server's lock held.
func (sess *Session) brief() Session {
	out := *sess
	out.Transcript, out.tail, out.next = nil, nil, 0
	out.Logins = slices.Clone(sess.Logins)
	out.StoreKeys = slices.Clone(sess.StoreKeys)
	if sess.TLS != nil {
		t := *sess.TLS
		out.TLS = &t
	}
	return out
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
	head := sess.max - sess.max/2
	switch {
	case sess.max <= 0 || len(sess.Transcript) < head:
		sess.Transcript = append(sess.Transcript, l)
	case len(sess.tail) < sess.max/2:
		sess.tail = append(sess.tail, l)
	case len(sess.tail) == 0:
		sess.Omitted++
	default:
		sess.tail[sess.next] = l
		sess.next = (sess.next + 1) % len(sess.tail)
		sess.Omitted++
	}
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
			// crypto/tls takes any bytes for a name but a trailing
			// dot.
			ServerName: printable(cs.ServerName),
		}
		s.mu.Lock()
		sess.TLS = info
		s.mu.Unlock()
		s.note(sess, "TLS negotiated: %s", info)
		s.emit(sess, Event{Kind: EventTLS, TLS: info})
		return nil
	}
	return cfg
}

// serveSession serves one connection: TLS first in implicit TLS mode, a
// greeting fault, then go-smtp through the session's own connection layer
// (sessionConn).
func (s *Server) serveSession(sess *Session, sc *sessionConn) {
	client := clientAddr(sess.Remote)
	defer func() {
		s.mu.Lock()
		delete(s.active, sc)
		if s.clients[client]--; s.clients[client] <= 0 {
			delete(s.clients, client)
		}
		sess.Ended = time.Now()
		sess.EndReason = sc.endReason()
		reason := sess.EndReason
		s.trimSessions()
		s.mu.Unlock()
		s.emit(sess, Event{Kind: EventClose, Reason: reason})
	}()
	s.note(sess, "connection from %s (%v)", sess.Remote, sc.mode)
	defer s.note(sess, "connection closed")
	s.emit(sess, Event{Kind: EventConnect})

	if sc.refusal != "" {
		// Before TLS, as Postfix does: the client learns why in the clear.
		r := s.replies().TooManyConnections
		s.emit(sess, Event{Kind: EventThrottled, Reply: strings.TrimSpace(formatReply(r)), Reason: sc.refusal})
		sc.ended(sc.refusal)
		sc.reply(r)
		sc.Close()
		return
	}
	if sc.mode == ImplicitTLS {
		if s.ReadTimeout > 0 {
			sc.raw.SetDeadline(sc.deadline(time.Now().Add(s.ReadTimeout)))
		}
		err := sc.handshake()
		sc.raw.SetDeadline(time.Time{})
		if err != nil {
			s.tlsFailed(sess, sc, err)
			sc.cut()
			return
		}
	}
	if f, ok := s.fault(StageConnect, ""); ok {
		if f.Reply != nil {
			sc.reply(f.Reply)
		}
		s.note(sess, "hung up at the greeting (fault)")
		sc.ended("hung up at the greeting (fault)")
		sc.Close()
		return
	}
	s.slow()
	sc.serve()
}

// tlsFailed records a failed handshake.
func (s *Server) tlsFailed(sess *Session, sc *sessionConn, err error) {
	msg := tlsErrorText(err)
	s.note(sess, "TLS handshake failed: %s", msg)
	s.mu.Lock()
	sess.TLSError = msg
	s.mu.Unlock()
	sc.ended("TLS handshake failed: " + msg)
	s.emit(sess, Event{Kind: EventTLSFailed, Reason: msg})
}

// tlsErrorText is a failed handshake's error made safe to record: some of
// crypto/tls's quote what the client sent (its ALPN protocols).
func tlsErrorText(err error) string { return printable(err.Error()) }

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
	if s.authThrottled(clientAddr(ss.sess.Remote)) {
		r := s.replies().AuthThrottled
		ss.conn.hangUp.Store(true)
		s.emit(ss.sess, Event{Kind: EventThrottled, Reply: strings.TrimSpace(formatReply(r)), Reason: "too many failed logins from " + clientAddr(ss.sess.Remote)})
		return nil, r
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
	s := ss.s
	a, err := s.authenticate(username, password)
	attempt := Login{At: time.Now(), Mechanism: mech, User: printable(username), OK: err == nil}
	if err != nil {
		s.authFailed(clientAddr(ss.sess.Remote))
		if r, ok := err.(*smtp.SMTPError); ok {
			attempt.Reply = strings.TrimSpace(formatReply(r))
			attempt.Reply = attempt.Reply[strings.LastIndexByte(attempt.Reply, '\n')+1:]
		}
	}
	s.mu.Lock()
	ss.sess.Logins = append(ss.sess.Logins, attempt)
	if len(ss.sess.Logins) > maxLogins {
		ss.sess.Logins = slices.Delete(ss.sess.Logins, 0, len(ss.sess.Logins)-maxLogins)
	}
	if err == nil {
		ss.sess.AuthMechanism, ss.sess.AuthUser = mech, a.Username
	}
	s.mu.Unlock()
	if err != nil {
		s.emit(ss.sess, Event{Kind: EventAuthFailed, User: attempt.User, Mechanism: mech, Reply: attempt.Reply})
		// A wrong password waits before its answer, as Dovecot's
		// auth_failure_delay does: guessing over one connection is slow.
		if d := s.AuthThrottle.Delay; d > 0 {
			time.Sleep(d)
		}
		return err
	}
	ss.account, ss.mech = a, mech
	s.emit(ss.sess, Event{Kind: EventAuth, User: a.Username, Mechanism: mech})
	return nil
}

// printable is a client's string made safe to show: control characters
// and invalid UTF-8 replaced, at most 256 bytes.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s)
	if len(s) > 256 {
		s = strings.ToValidUTF8(s[:256], "") + "..."
	}
	return s
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
		ss.conn.ended("hung up mid-message (fault)")
		ss.conn.cut()
		return io.ErrUnexpectedEOF
	}
	store := s.Store
	if store == nil {
		store = memoryStore{}
	}
	m := &Message{
		Received:      time.Now(),
		From:          ss.from,
		To:            slices.Clone(ss.to),
		AuthMechanism: ss.mech,
	}
	if ss.account != nil {
		m.AuthUser = ss.account.Username
	}
	s.describe(ss.sess, m)
	draft, err := store.Create(m)
	if err != nil {
		io.Copy(io.Discard, r)
		return s.storeFailed(ss.sess, err)
	}
	dw := &draftWriter{w: draft}
	size, err := io.Copy(dw, r)
	s.slow()
	var ne net.Error
	switch {
	case err != nil && dw.err != nil:
		// Reading went well; writing the draft did not: the store's
		// failure, not the client's.
		draft.Discard()
		io.Copy(io.Discard, r)
		return s.storeFailed(ss.sess, err)
	case errors.As(err, &ne) && ne.Timeout():
		draft.Discard()
		ss.conn.hangUp.Store(true)
		return s.replies().DataTimeout
	case errors.Is(err, smtp.ErrDataTooLarge):
		draft.Discard()
		return s.replies().MessageTooBig
	case err != nil:
		// The client is gone, or the network failed it; no reply of
		// ours reaches it.
		draft.Discard()
		return err
	}
	if !s.AllowBareLF && ss.conn.tr.sawBareLF.Load() {
		draft.Discard()
		ss.conn.hangUp.Store(true)
		return s.replies().BareLF
	}
	if err := ss.strike(StageData, ""); err != nil {
		draft.Discard()
		return err
	}
	if s.CheckSenderAtData && !ss.senderOwned(ss.from) {
		draft.Discard()
		return s.replies().SenderNotOwned
	}
	m.Received, m.Size = time.Now(), size
	m.messageID = messageID(dw.header)
	if !s.DeferParse {
		rc, err := draft.Open()
		if err != nil {
			draft.Discard()
			return s.storeFailed(ss.sess, err)
		}
		m.Parts, err = parseParts(rc)
		rc.Close()
		if err != nil {
			m.ParseError = err.Error()
		}
	}
	if err := draft.Commit(m); err != nil {
		draft.Discard()
		return s.storeFailed(ss.sess, err)
	}
	s.store(ss.sess, m)
	return nil
}

// draftWriter tells a failed write to the draft from a failed read of the
// client's data, which io.Copy returns alike, and keeps the message's
// header block (at most maxHeader bytes) as it goes by.
type draftWriter struct {
	w      io.Writer
	err    error
	header []byte
	inBody bool
}

// maxHeader bounds what draftWriter keeps of a header block.
const maxHeader = 64 << 10

func (d *draftWriter) Write(p []byte) (int, error) {
	if !d.inBody {
		// Searched from a little before the new bytes: the blank line
		// may straddle two writes.
		from := max(0, len(d.header)-3)
		d.header = append(d.header, p[:min(maxHeader-len(d.header), len(p))]...)
		if i := bytes.Index(d.header[from:], []byte("\r\n\r\n")); i >= 0 {
			d.header, d.inBody = d.header[:from+i+2], true
		} else if len(d.header) >= maxHeader {
			d.inBody = true
		}
	}
	n, err := d.w.Write(p)
	if err != nil {
		d.err = err
	}
	return n, err
}

// storeFailed answers a message the store could not keep: the client keeps
// it and tries again later.
func (s *Server) storeFailed(sess *Session, err error) error {
	s.note(sess, "message not stored: %v", err)
	s.emit(sess, Event{Kind: EventStoreFailed, Reason: err.Error()})
	return s.replies().StoreFailed
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
