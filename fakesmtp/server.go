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
	// OnEvent, if set, is called with each event of every session
	// (connect, TLS, AUTH, refusals, timeouts, messages, close), from the
	// session's goroutine, never under the server's lock: for logs and
	// live views.
	OnEvent func(Event)
	// Store keeps the messages' data; nil keeps it in memory, in
	// Message.Raw. See Store.
	Store Store
	// DeferParse leaves the MIME tree to the Store: Message.Parts is
	// empty when the 250 goes out, and a store that keeps messages
	// (emlstore) parses one when it is first looked at. Ingest then costs
	// no more than the copy to disk.
	DeferParse bool
	// Keep bounds the messages kept for Messages (0: all), for servers
	// that run for days.
	Keep int
	// KeepSessions bounds the sessions kept for Sessions (0: all): the
	// oldest finished ones are let go first.
	KeepSessions int
	// MaxTranscriptLines bounds each session's transcript (0: no bound):
	// past it, the first half and the latest lines are kept, with a note
	// of how many were left out between them.
	MaxTranscriptLines int
	// MaxRecipients bounds the recipients of one message (0: no bound);
	// go-smtp answers the one too many "452 4.5.3" and advertises the
	// bound (LIMITS RCPTMAX, RFC 9422).
	MaxRecipients int
	// MaxConnections bounds the sessions open at once, and
	// MaxClientConnections those from one client address (0: no bound);
	// a connection beyond either is answered Replies.TooManyConnections.
	MaxConnections       int
	MaxClientConnections int
	// MaxSessionTime bounds a whole session (0: no bound), so that a
	// client trickling a byte at a time cannot hold a connection for
	// hours: reads fail then as at the read timeout.
	MaxSessionTime time.Duration
	// AuthThrottle refuses logins from a client address that failed too
	// often; the zero value never does.
	AuthThrottle AuthThrottle
	// AllowBareLF stores lines that end in a bare LF as they came. By
	// default a command line or message data with a bare LF is refused
	// with Replies.BareLF and the session ends, as Postfix's
	// smtpd_forbid_bare_newline = reject does, so that Message.Raw always
	// has CRLF line endings and no bare-LF "SMTP smuggling" gets through.
	AllowBareLF bool

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
	recent    []time.Time            // rate limit window
	clients   map[string]int         // open sessions per client address
	authFails map[string][]time.Time // failed logins per client address
	done      chan struct{}          // closed by Close
	nextID    int
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
		clients:      make(map[string]int),
		authFails:    make(map[string][]time.Time),
		done:         make(chan struct{}),
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

	var backoff time.Duration
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
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors, a connection reset before it was
			// accepted: wait and accept again, as net/http does, rather
			// than end the server.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.emit(nil, Event{Kind: EventAcceptError, Local: l.Addr().String(), Reason: fmt.Sprintf("%v; accepting again in %v", err, backoff)})
			select {
			case <-time.After(backoff):
			case <-s.done:
				return nil
			}
			continue
		}
		backoff = 0
		s.nextID++
		sess := &Session{
			ID:      s.nextID,
			Remote:  c.RemoteAddr().String(),
			Local:   c.LocalAddr().String(),
			Mode:    mode,
			Started: time.Now(),
			max:     s.MaxTranscriptLines,
		}
		s.sessions = append(s.sessions, sess)
		s.trimSessions()
		sc := newSessionConn(s, sess, c, mode)
		client := clientAddr(sess.Remote)
		switch {
		case s.MaxConnections > 0 && len(s.active) >= s.MaxConnections:
			sc.refusal = "too many connections"
		case s.MaxClientConnections > 0 && s.clients[client] >= s.MaxClientConnections:
			sc.refusal = "too many connections from " + client
		}
		s.clients[client]++
		s.active[sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveSession(sess, sc)
		}()
	}
}

// trimSessions lets the oldest finished sessions go beyond KeepSessions.
// Called with s.mu held.
func (s *Server) trimSessions() {
	for s.KeepSessions > 0 && len(s.sessions) > s.KeepSessions {
		i := slices.IndexFunc(s.sessions, func(x *Session) bool { return !x.Ended.IsZero() })
		if i < 0 {
			i = 0
		}
		s.sessions = slices.Delete(s.sessions, i, i+1)
	}
}

// clientAddr is the client's IP address, without the port.
func clientAddr(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
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
	close(s.done)
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
		out[i] = sess.snapshot()
	}
	return out
}

// SessionSummaries is Sessions without the transcripts (Transcript nil;
// Omitted and Refusal kept): for a list of sessions, which copies no
// lines.
func (s *Server) SessionSummaries() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, len(s.sessions))
	for i, sess := range s.sessions {
		out[i] = sess.brief()
	}
	return out
}

// describe fills in what the session knows of a message about to be
// stored.
func (s *Server) describe(sess *Session, m *Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.Session, m.Remote, m.Helo = sess.ID, sess.Remote, sess.Helo
	if sess.TLS != nil {
		t := *sess.TLS
		m.TLS = &t
	}
}

// Session returns a snapshot of the session with the given ID, if it is
// still kept.
func (s *Server) Session(id int) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range slices.Backward(s.sessions) {
		if sess.ID == id {
			return sess.snapshot(), true
		}
	}
	return Session{}, false
}

// ForgetSessions lets go of every finished session, for a bench page's
// "clear", and returns how many there were.
func (s *Server) ForgetSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sessions)
	s.sessions = slices.DeleteFunc(s.sessions, func(x *Session) bool { return !x.Ended.IsZero() })
	return n - len(s.sessions)
}

// store keeps a stored message's metadata; the caller answers 250 only
// after it returns.
func (s *Server) store(sess *Session, m *Message) {
	s.mu.Lock()
	s.accepted++
	m.ID = s.accepted
	sess.Delivered++
	if m.StoreKey != "" {
		sess.StoreKeys = append(sess.StoreKeys, m.StoreKey)
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
	s.emit(sess, Event{Kind: EventMessage, Message: m})
}

// Accepted returns how many messages the server has stored in all,
// including those Keep has let go.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}
