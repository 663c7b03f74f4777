package fakesmtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
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

// sessionConn is the accepted connection; done is closed when anyone closes
// it, which ends the session.
type sessionConn struct {
	net.Conn
	once sync.Once
	done chan struct{}
	// hangUp closes the connection after the next write: the reply that
	// announces it.
	hangUp atomic.Bool
}

func (c *sessionConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.hangUp.Swap(false) {
		c.Close()
	}
	return n, err
}

func (c *sessionConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}

// serveSession runs one connection through its own go-smtp server, whose
// Debug writer is this session's transcript. A go-smtp server per
// connection is what gives each session its own transcript, and lets
// Close wait for the connection's goroutine (Server.Shutdown).
func (s *Server) serveSession(sess *Session, sc *sessionConn, mode Mode) {
	defer func() {
		s.mu.Lock()
		delete(s.active, sc)
		s.mu.Unlock()
	}()
	s.note(sess, "connection from %s (%v)", sess.Remote, mode)
	defer s.note(sess, "connection closed")

	var conn net.Conn = sc
	if mode == ImplicitTLS {
		tc := tls.Server(sc, s.tlsConfig(sess))
		if s.ReadTimeout > 0 {
			sc.SetDeadline(time.Now().Add(s.ReadTimeout))
		}
		err := tc.Handshake()
		sc.SetDeadline(time.Time{})
		if err != nil {
			s.note(sess, "TLS handshake failed: %v", err)
			sc.Close()
			return
		}
		conn = tc
	}

	srv := smtp.NewServer(&backend{s: s, sess: sess, conn: sc})
	srv.Domain = s.Domain
	srv.ReadTimeout = s.ReadTimeout
	srv.WriteTimeout = s.WriteTimeout
	srv.MaxMessageBytes = s.MaxMessageBytes
	srv.AllowInsecureAuth = s.AllowInsecureAuth
	srv.Debug = &transcript{add: func(l Line) { s.addLine(sess, l) }}
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if mode == StartTLS {
		srv.TLSConfig = s.tlsConfig(sess)
	}
	srv.Serve(&oneConnListener{conn: conn, done: sc.done, closed: make(chan struct{})})
	srv.Shutdown(context.Background())
}

// oneConnListener hands go-smtp a single connection, then blocks until that
// connection is closed, so that Serve returns when the session ends.
type oneConnListener struct {
	conn      net.Conn
	done      <-chan struct{}
	mu        sync.Mutex
	given     bool
	closeOnce sync.Once
	closed    chan struct{}
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	given := l.given
	l.given = true
	l.mu.Unlock()
	if !given {
		return l.conn, nil
	}
	select {
	case <-l.done:
	case <-l.closed:
	}
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return l.conn.LocalAddr() }

type backend struct {
	s    *Server
	sess *Session
	conn *sessionConn
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	b.sess.Helo = c.Hostname()
	b.s.mu.Unlock()
	return &session{s: b.s, sess: b.sess, conn: b.conn}, nil
}

// session is go-smtp's view of one SMTP session (it starts again after
// STARTTLS).
type session struct {
	s                  *Server
	sess               *Session
	conn               *sessionConn
	authMech, authUser string
	from               string
	to                 []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
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
	if err := ss.s.authenticate(username, password); err != nil {
		return err
	}
	ss.authMech, ss.authUser = mech, username
	ss.s.mu.Lock()
	ss.sess.AuthMechanism, ss.sess.AuthUser = mech, username
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.AuthRequired && ss.authUser == "" {
		return ErrAuthRequired
	}
	ss.from, ss.to = from, nil
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

// ErrDataTimeout is the reply when the client stops sending in the middle
// of a message: Gmail's words, and it hangs up.
var ErrDataTimeout = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Timeout - closing connection."}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		ss.conn.hangUp.Store(true)
		return ErrDataTimeout
	}
	if err != nil {
		return err
	}
	m := &Message{
		Received:      time.Now(),
		From:          ss.from,
		To:            ss.to,
		Raw:           raw,
		AuthMechanism: ss.authMech,
		AuthUser:      ss.authUser,
	}
	m.Parts, err = parseParts(raw)
	if err != nil {
		m.ParseError = err.Error()
	}
	ss.s.store(ss.sess, m)
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
