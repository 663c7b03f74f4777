package fakesmtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// Mode is how a listener speaks to its clients.
type Mode uint8

const (
	// Plain is SMTP without TLS, as on port 25 of an old relay.
	Plain Mode = iota
	// StartTLS offers the STARTTLS command (RFC 3207), as on port 587.
	StartTLS
	// ImplicitTLS starts TLS on the first byte (RFC 8314), as on port 465.
	ImplicitTLS
)

func (m Mode) String() string {
	switch m {
	case Plain:
		return "plain"
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "implicit TLS"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("fakesmtp: server closed")

// Server is a fake SMTP server: the real go-smtp server behind it speaks
// the protocol, and Server decides the answers, captures every message and
// keeps a transcript of every session. Construct it with NewServer, set its
// fields, then Serve listeners (or Start in a test). Fields must not change
// once serving has begun.
type Server struct {
	// Domain is the name in the greeting and the EHLO reply.
	Domain string
	// TLSConfig holds the certificate for StartTLS and ImplicitTLS
	// listeners.
	TLSConfig *tls.Config
	// Accounts may authenticate with AUTH PLAIN or LOGIN; with none, AUTH
	// is not offered.
	Accounts []Account
	// AuthRequired refuses MAIL until the client has authenticated.
	AuthRequired bool
	// AllowInsecureAuth offers AUTH on connections without TLS.
	AllowInsecureAuth bool
	// AuthMechanisms are offered in this order: PLAIN and LOGIN by
	// default.
	AuthMechanisms []string
	// RequireTLS refuses AUTH and MAIL before STARTTLS (Replies.MustStartTLS).
	RequireTLS bool
	// SenderDomains, when set, are the only domains MAIL FROM may use (an
	// ISP relay's rule).
	SenderDomains []string
	// CheckSenderAtData refuses a sender the account may not use after the
	// message instead of at MAIL FROM, as Exchange does.
	CheckSenderAtData bool
	// MaxMessageBytes is advertised with SIZE and enforced; 0 is no limit.
	MaxMessageBytes int64
	// MinTLSVersion, when set, answers a session whose TLS is older with
	// Replies.OldTLS after the handshake and hangs up, as Microsoft's
	// servers do (TLSConfig.MinVersion refuses the handshake itself).
	MinTLSVersion uint16
	// Replies are the refusals' words; unset ones are DefaultReplies'.
	Replies Replies
	// Successes are the words of what succeeds; unset ones are go-smtp's.
	Successes Successes
	// Faults override replies at chosen stages.
	Faults []Fault
	// Greylist refuses each new (client, sender, recipient) triplet with
	// Replies.Greylisted until this long after it was first seen.
	Greylist time.Duration
	// RateLimit refuses MAIL beyond it with Replies.RateLimited.
	RateLimit RateLimit
	// Tarpit holds back the greeting and the replies to EHLO, AUTH, MAIL,
	// RCPT and the end of data.
	Tarpit time.Duration
	// DisconnectAfter, when set, hangs up after this many bytes of message
	// data, without a reply.
	DisconnectAfter int64
	// ReadTimeout bounds the wait for each command (RFC 5321 section
	// 4.5.3.2.7 asks for at least 5 minutes) and for the TLS handshake.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// OnMessage, if set, is called with each message as it is stored,
	// before the 250 reply.
	OnMessage func(*Message)
	// Keep bounds the messages kept for Messages (0: all), for servers
	// that run for days.
	Keep int

	mu        sync.Mutex
	listeners []net.Listener
	active    map[*sessionConn]struct{}
	sessions  []*Session
	messages  []*Message
	accepted  int
	changed   chan struct{} // closed and replaced when a message arrives
	closed    bool
	wg        sync.WaitGroup
	struck    []int // per fault: times it struck
	greylist  map[string]time.Time
	recent    []time.Time // rate limit window
}

// NewServer returns a server with the defaults: domain "localhost", no
// accounts, 5-minute timeouts.
func NewServer() *Server {
	return &Server{
		Domain:       "localhost",
		ReadTimeout:  5 * time.Minute,
		WriteTimeout: 5 * time.Minute,
		active:       make(map[*sessionConn]struct{}),
		changed:      make(chan struct{}),
		greylist:     make(map[string]time.Time),
	}
}

// replies returns the server's replies with the defaults filled in.
func (s *Server) replies() Replies { return s.Replies.merge(DefaultReplies()) }

// Serve accepts connections on l and serves each in its own goroutine until
// l fails or the server is closed. After Close it returns nil.
func (s *Server) Serve(l net.Listener, mode Mode) error {
	if mode != Plain && s.TLSConfig == nil {
		l.Close()
		return fmt.Errorf("fakesmtp: a %v listener needs Server.TLSConfig", mode)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners = append(s.listeners, l)
	if len(s.struck) < len(s.Faults) {
		s.struck = append(s.struck, make([]int, len(s.Faults)-len(s.struck))...)
	}
	s.mu.Unlock()

	for {
		c, err := l.Accept()
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			if c != nil {
				c.Close()
			}
			return nil
		}
		if err != nil {
			s.mu.Unlock()
			return err
		}
		sess := &Session{
			ID:      len(s.sessions) + 1,
			Remote:  c.RemoteAddr().String(),
			Local:   c.LocalAddr().String(),
			Mode:    mode,
			Started: time.Now(),
		}
		s.sessions = append(s.sessions, sess)
		sc := newSessionConn(s, sess, c, mode)
		s.active[sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveSession(sess, sc)
		}()
	}
}

// Start serves l in the background for the rest of the test and closes the
// server when the test ends, failing the test if serving failed.
func (s *Server) Start(t testing.TB, l net.Listener, mode Mode) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(l, mode) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-errc; err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, ErrServerClosed) {
			t.Errorf("fakesmtp: serving %s: %v", l.Addr(), err)
		}
	})
}

// Close stops the listeners, cuts every open session and waits until all
// of the server's goroutines have returned.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, l := range s.listeners {
		l.Close()
	}
	for sc := range s.active {
		sc.cut()
	}
	close(s.changed)
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Messages returns the messages accepted so far, in order.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// WaitForMessages waits until n messages have been accepted and returns
// them all, or returns ctx's error. Under synctest, waiting costs no wall
// time.
func (s *Server) WaitForMessages(ctx context.Context, n int) ([]*Message, error) {
	for {
		s.mu.Lock()
		if s.accepted >= n {
			msgs := slices.Clone(s.messages)
			s.mu.Unlock()
			return msgs, nil
		}
		changed, closed := s.changed, s.closed
		s.mu.Unlock()
		if closed {
			return nil, fmt.Errorf("fakesmtp: server closed with %d of %d messages: %w", len(s.Messages()), n, ErrServerClosed)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("fakesmtp: waiting for %d messages, have %d: %w", n, len(s.Messages()), ctx.Err())
		}
	}
}

// Sessions returns a snapshot of every session so far, in order of
// connection.
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, len(s.sessions))
	for i, sess := range s.sessions {
		out[i] = *sess
		out[i].Transcript = slices.Clone(sess.Transcript)
		if sess.TLS != nil {
			t := *sess.TLS
			out[i].TLS = &t
		}
	}
	return out
}

// store keeps a message; the caller answers 250 only after it returns.
func (s *Server) store(sess *Session, m *Message) {
	s.mu.Lock()
	s.accepted++
	m.ID = s.accepted
	m.Session, m.Remote, m.Helo = sess.ID, sess.Remote, sess.Helo
	if sess.TLS != nil {
		t := *sess.TLS
		m.TLS = &t
	}
	s.messages = append(s.messages, m)
	if s.Keep > 0 && len(s.messages) > s.Keep {
		s.messages = slices.Delete(s.messages, 0, len(s.messages)-s.Keep)
	}
	if !s.closed {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	onMessage := s.OnMessage
	s.mu.Unlock()
	if onMessage != nil {
		onMessage(m)
	}
}

// Accepted returns how many messages the server has stored in all,
// including those Keep has let go.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}
