package fakesmtp

import "time"

// EventKind is what happened in a session, for Server.OnEvent.
type EventKind string

// The events of a session, in the order they can happen.
const (
	// EventConnect: a client connected.
	EventConnect EventKind = "connect"
	// EventTLS: a TLS handshake succeeded (Event.TLS says how).
	EventTLS EventKind = "tls"
	// EventTLSFailed: a TLS handshake failed (Event.Reason says why).
	EventTLSFailed EventKind = "tls-failed"
	// EventAuth: a login succeeded (Event.User, Event.Mechanism).
	EventAuth EventKind = "auth"
	// EventAuthFailed: a login was refused (Event.User as given, the
	// reply); the password never appears.
	EventAuthFailed EventKind = "auth-failed"
	// EventThrottled: a client was refused for too many failed logins or
	// connections.
	EventThrottled EventKind = "throttled"
	// EventRefused: the server answered a command with a 4xx or 5xx reply
	// (Event.Command, Event.Reply).
	EventRefused EventKind = "refused"
	// EventTimeout: the client sent nothing for the read timeout, or the
	// session reached its longest allowed time.
	EventTimeout EventKind = "timeout"
	// EventMessage: a message was stored (Event.Message), just before its
	// 250 reply.
	EventMessage EventKind = "message"
	// EventStoreFailed: a message could not be stored and was answered
	// with a 4xx (Event.Reason).
	EventStoreFailed EventKind = "store-failed"
	// EventClose: the session ended (Event.Reason says how).
	EventClose EventKind = "close"
	// EventAcceptError: accepting a connection failed; the server waits
	// (Event.Reason) and accepts again.
	EventAcceptError EventKind = "accept-error"
)

// Event is one thing that happened in a session, as Server.OnEvent
// receives it. Only the fields of its kind are set. Credentials never
// appear in an event.
type Event struct {
	Time time.Time
	Kind EventKind
	// Session is the session's ID, Remote the client's address and Local
	// the listener's.
	Session int
	Remote  string
	Local   string
	Mode    Mode
	// TLS is set for EventTLS.
	TLS *TLSInfo
	// User and Mechanism are set for EventAuth and EventAuthFailed.
	User      string
	Mechanism string
	// Command is the client's line that was refused (redacted as in the
	// transcript); Reply the server's answer, its last line.
	Command string
	Reply   string
	// Reason says why, in words: a handshake error, how a session ended.
	Reason string
	// Message is set for EventMessage.
	Message *Message
}

// emit sends an event to OnEvent, if set. It is called without the
// server's lock held.
func (s *Server) emit(sess *Session, e Event) {
	if s.OnEvent == nil {
		return
	}
	e.Time = time.Now()
	if sess != nil {
		e.Session, e.Remote, e.Local, e.Mode = sess.ID, sess.Remote, sess.Local, sess.Mode
	}
	s.OnEvent(e)
}
