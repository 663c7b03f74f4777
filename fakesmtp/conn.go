package fakesmtp

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// sessionConn is fakesmtp's own layer between a session's network
// connection and go-smtp. What go-smtp reads from it is, by definition, the
// client's bytes, and what go-smtp writes to it the server's: the
// transcript is kept here, with no guess about direction. It reads the
// client's stream ahead of go-smtp into its own buffer and hands go-smtp
// only bytes whose meaning is settled (transcript.scan), whatever sizes the
// network delivered them in; that is what lets it answer STARTTLS itself,
// as a command and never as message data.
//
// STARTTLS is the layer's because the TLS connection must sit below it:
// tls.Server runs on the network connection, and go-smtp, on top, only
// ever sees plain text. After the handshake a new go-smtp connection serves
// the rest of the session (RFC 3207 section 4.2: the server discards
// everything it knew), so its next EHLO asks the backend for a new session
// again.
//
// Everything but cut is called by one goroutine at a time: go-smtp's
// connection goroutine, and serveSession's before and between those. cut
// may come from anywhere.
type sessionConn struct {
	s    *Server
	sess *Session
	mode Mode
	raw  net.Conn // the network connection
	conn net.Conn // raw, or the TLS connection over it

	tr transcript

	buf  []byte // client bytes read from conn, buf[r:] not yet go-smtp's
	r, c int    // buf[r:c] is for go-smtp; buf[c:] awaits scanning
	own  int    // after buf[c], a STARTTLS line that is the layer's to answer
	rerr error  // a read error held back until go-smtp has the bytes read with it

	tlsState atomic.Pointer[tls.ConnectionState]
	// hangUp closes the connection once the next reply has been written:
	// the reply that announces it.
	hangUp    atomic.Bool
	closeOnce sync.Once
	done      chan struct{} // closed when the connection is

	// refusal, set before the session starts, says why it is refused.
	refusal string
	// endsAt is when Server.MaxSessionTime runs out (zero: never).
	endsAt time.Time
	// reason says how the session ended, once known.
	reasonMu sync.Mutex
	reason   string
}

// ended records how the session ends, unless that is already known.
func (c *sessionConn) ended(reason string) {
	c.reasonMu.Lock()
	defer c.reasonMu.Unlock()
	if c.reason == "" {
		c.reason = reason
	}
}

func (c *sessionConn) endReason() string {
	c.reasonMu.Lock()
	defer c.reasonMu.Unlock()
	if c.reason == "" {
		return "connection closed"
	}
	return c.reason
}

// deadline caps a deadline at the end of the session's allowed time.
func (c *sessionConn) deadline(t time.Time) time.Time {
	if !c.endsAt.IsZero() && (t.IsZero() || t.After(c.endsAt)) {
		return c.endsAt
	}
	return t
}

// readSize is the most read from the network at once: message data comes
// in large reads, commands are tiny.
const readSize = 32 << 10

func newSessionConn(s *Server, sess *Session, c net.Conn, mode Mode) *sessionConn {
	sc := &sessionConn{s: s, sess: sess, mode: mode, raw: c, conn: c, done: make(chan struct{})}
	if s.MaxSessionTime > 0 {
		sc.endsAt = time.Now().Add(s.MaxSessionTime)
	}
	sc.tr = transcript{
		add: func(l Line) { s.addLine(sess, l) },
		// In plain mode go-smtp answers STARTTLS itself ("TLS not
		// supported").
		ownsStartTLS: mode != Plain,
		allowBareLF:  s.AllowBareLF,
		onReply:      sc.replied,
	}
	return sc
}

// replied follows the server's final reply lines: a refusal is an event,
// and some replies say how the session ends.
func (c *sessionConn) replied(code int, line, command string) {
	if code >= 400 {
		c.s.mu.Lock()
		c.sess.Refusal = line
		c.s.mu.Unlock()
	}
	switch {
	case code == 221:
		c.ended("client quit")
	case code == 421 && strings.Contains(line, "Idle timeout"):
		c.ended("idle timeout")
		c.s.emit(c.sess, Event{Kind: EventTimeout, Reply: line})
	case code >= 400:
		if c.hangUp.Load() || code == 421 {
			c.ended("server hung up after " + line)
		}
		c.s.emit(c.sess, Event{Kind: EventRefused, Command: command, Reply: line})
	}
}

// tls returns the state of the session's TLS connection, if it has one.
func (c *sessionConn) tls() *tls.ConnectionState { return c.tlsState.Load() }

// handshake runs a TLS handshake over the network connection, under
// whatever deadlines are set, and from then on speaks through it.
func (c *sessionConn) handshake() error {
	tc := tls.Server(c.raw, c.s.tlsConfig(c.sess))
	if err := tc.Handshake(); err != nil {
		return err
	}
	state := tc.ConnectionState()
	c.tlsState.Store(&state)
	c.conn = tc
	return nil
}

// read gives go-smtp, serving phase ph, the client's next bytes.
func (c *sessionConn) read(ph *phaseConn, p []byte) (int, error) {
	for {
		switch {
		case ph.isOver(), c.isCut():
			return 0, io.EOF
		case c.r < c.c:
			n := copy(p, c.buf[c.r:c.c])
			c.r += n
			return n, nil
		case c.own > 0:
			// go-smtp has had, and answered, everything before.
			c.c += c.own
			c.r, c.own = c.c, 0
			switch c.tr.ownKind {
			case ownStartTLS:
				c.answerStartTLS(ph)
			case ownBadHelo:
				c.reply(c.s.replies().BadHelo)
			case ownBareLF:
				c.hangUp.Store(true)
				c.reply(c.s.replies().BareLF)
			case ownLongLine:
				c.hangUp.Store(true)
				c.reply(replyTooLongLine)
			}
			continue
		case c.c < len(c.buf):
			pass, own := c.tr.scan(c.buf[c.c:])
			c.c += pass
			c.own = own
			if pass > 0 || own > 0 {
				continue
			}
		}
		if c.rerr != nil {
			if n := len(c.buf) - c.c; n > 0 {
				// A command line the stream ended in the middle of (a
				// close, a timeout). go-smtp's reader would take it as a
				// whole line and run it: a "NOOP" without its CRLF must
				// not pass for a command. It is dropped.
				c.buf = c.buf[:c.c]
				c.s.note(c.sess, "discarded %d bytes of a command line the client never finished", n)
			}
			err := c.rerr
			c.rerr = nil
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				if !c.endsAt.IsZero() && !time.Now().Before(c.endsAt) {
					c.ended("the session reached its longest allowed time")
				}
			case errors.Is(err, io.EOF):
				c.ended("client closed the connection")
			case errors.Is(err, net.ErrClosed):
				c.ended("connection closed by the server")
			default:
				c.ended("connection failed: " + err.Error())
			}
			return 0, err
		}
		c.fill()
	}
}

// fill reads from the network what is there, up to readSize.
func (c *sessionConn) fill() {
	if c.buf == nil {
		c.buf = make([]byte, 0, readSize)
	}
	if c.r > 0 {
		c.buf = c.buf[:copy(c.buf, c.buf[c.r:])]
		c.c -= c.r
		c.r = 0
	}
	if len(c.buf) == cap(c.buf) {
		c.buf = append(c.buf, make([]byte, readSize)...)[:len(c.buf)]
	}
	n, err := c.conn.Read(c.buf[len(c.buf):cap(c.buf)])
	c.buf = c.buf[:len(c.buf)+n]
	c.rerr = err
}

// write sends server bytes to the client, in the server's own words
// (Server.Successes), and records them.
func (c *sessionConn) write(p []byte) (int, error) {
	out := c.s.successLine(c.sess, p)
	n, err := c.conn.Write(out)
	if err == nil {
		n = len(p) // what go-smtp wrote, whatever words went out
	}
	if c.tr.replied(out, err == nil, len(c.buf)-c.c) && c.hangUp.Swap(false) {
		c.cut()
	}
	return min(n, len(p)), err
}

// reply writes a reply of fakesmtp's own, as go-smtp would write it.
func (c *sessionConn) reply(r *smtp.SMTPError) {
	if c.s.WriteTimeout > 0 {
		c.raw.SetWriteDeadline(time.Now().Add(c.s.WriteTimeout))
	}
	c.write([]byte(formatReply(r)))
}

// go-smtp's replies to STARTTLS (conn.go, handleStartTLS).
var (
	replyReadyTLS      = &smtp.SMTPError{Code: 220, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Ready to start TLS"}
	replyAlreadyTLS    = &smtp.SMTPError{Code: 502, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Already running in TLS"}
	replyHandshakeFail = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 0, 0}, Message: "Handshake error"}
	// go-smtp's to a line longer than its limit (server.go), which the
	// layer now enforces (maxLine).
	replyTooLongLine = &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 4, 0}, Message: "Too long line, closing connection"}
)

// answerStartTLS answers a STARTTLS command in phase ph: a fault's reply if
// one strikes, or the upgrade to TLS, which ends the phase.
func (c *sessionConn) answerStartTLS(ph *phaseConn) {
	if c.tls() != nil {
		c.reply(replyAlreadyTLS)
		return
	}
	if f, ok := c.s.fault(StageSTARTTLS, ""); ok {
		if f.Hangup {
			c.hangUp.Store(true)
		}
		c.reply(f.Reply)
		return
	}
	c.reply(c.s.readyTLS())
	if n := len(c.buf) - c.c; n > 0 {
		// The client sent them before it could know that TLS would start:
		// executed after the handshake, they would pass for commands sent
		// over TLS (STARTTLS command injection, CVE-2011-0411).
		c.buf = c.buf[:c.c]
		c.s.note(c.sess, "discarded %d bytes the client sent after STARTTLS without waiting for the reply", n)
	}
	// The handshake runs under the deadlines go-smtp set to read the
	// command, as go-smtp's own upgrade did.
	if err := c.handshake(); err != nil {
		// go-smtp's way: the session goes on in plain text.
		// The reply says it in the transcript; the event and the session
		// say why.
		msg := tlsErrorText(err)
		c.s.mu.Lock()
		c.sess.TLSError = msg
		c.s.mu.Unlock()
		c.s.emit(c.sess, Event{Kind: EventTLSFailed, Reason: msg})
		c.tr.answerAgain()
		c.reply(replyHandshakeFail)
		return
	}
	c.tr.restart()
	close(ph.over)
}

// isCut reports whether the connection is closed: a hang-up, after which
// nothing more of the client's is read.
func (c *sessionConn) isCut() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// cut closes the network connection at once: a hang-up, or the server
// closing.
func (c *sessionConn) cut() {
	c.closeOnce.Do(func() { close(c.done) })
	c.raw.Close()
}

// Close ends the session as go-smtp ends it: over TLS, with a close_notify
// alert first.
func (c *sessionConn) Close() error {
	c.closeOnce.Do(func() { close(c.done) })
	return c.conn.Close()
}

// phaseConn is what one go-smtp connection sees of the session: all of it,
// or, with STARTTLS, the part before the upgrade or the part after.
type phaseConn struct {
	c *sessionConn
	// greeting: go-smtp's greeting is still to come, and not for the
	// client, who had it before STARTTLS.
	greeting bool
	over     chan struct{} // closed when STARTTLS has ended the phase
}

func (p *phaseConn) isOver() bool {
	select {
	case <-p.over:
		return true
	default:
		return false
	}
}

func (p *phaseConn) Read(b []byte) (int, error) { return p.c.read(p, b) }

func (p *phaseConn) Write(b []byte) (int, error) {
	if p.greeting {
		// go-smtp writes its greeting in one piece, a single line.
		p.greeting = false
		return len(b), nil
	}
	return p.c.write(b)
}

// Close ends the session, unless STARTTLS has ended only the phase.
func (p *phaseConn) Close() error {
	if p.isOver() {
		return nil
	}
	return p.c.Close()
}

func (p *phaseConn) LocalAddr() net.Addr           { return p.c.raw.LocalAddr() }
func (p *phaseConn) RemoteAddr() net.Addr          { return p.c.raw.RemoteAddr() }
func (p *phaseConn) SetDeadline(t time.Time) error { return p.c.raw.SetDeadline(p.c.deadline(t)) }
func (p *phaseConn) SetReadDeadline(t time.Time) error {
	return p.c.raw.SetReadDeadline(p.c.deadline(t))
}
func (p *phaseConn) SetWriteDeadline(t time.Time) error { return p.c.raw.SetWriteDeadline(t) }

// phaseListener hands go-smtp a phase's connection, then blocks until the
// phase or the session ends, so that Serve returns then.
type phaseListener struct {
	conn      *phaseConn
	mu        sync.Mutex
	given     bool
	closeOnce sync.Once
	closed    chan struct{}
}

func (l *phaseListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	given := l.given
	l.given = true
	l.mu.Unlock()
	if !given {
		return l.conn, nil
	}
	select {
	case <-l.conn.c.done:
	case <-l.conn.over:
	case <-l.closed:
	}
	return nil, net.ErrClosed
}

func (l *phaseListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *phaseListener) Addr() net.Addr { return l.conn.LocalAddr() }

// errStartTLSMissed fails a handshake go-smtp would start itself: it must
// never, as the layer answers STARTTLS first.
var errStartTLSMissed = errors.New("fakesmtp: STARTTLS reached go-smtp")

// startTLSOffered is the TLS configuration of a go-smtp server for a plain
// phase that offers STARTTLS: go-smtp lists STARTTLS in its EHLO reply only
// when it has one, and would use it only for a STARTTLS command the layer
// let through.
var startTLSOffered = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
	return nil, errStartTLSMissed
}}

// serve runs the session through go-smtp, one go-smtp server a phase.
func (c *sessionConn) serve() {
	ph := &phaseConn{c: c, over: make(chan struct{})}
	for {
		srv := smtp.NewServer(&backend{s: c.s, sess: c.sess, conn: c})
		srv.Domain = c.s.Domain
		srv.ReadTimeout = c.s.ReadTimeout
		srv.WriteTimeout = c.s.WriteTimeout
		srv.MaxMessageBytes = c.s.MaxMessageBytes
		srv.MaxRecipients = c.s.MaxRecipients
		// The layer bounds command lines (maxLine); go-smtp's bound would
		// apply to message data too (see maxLine).
		srv.MaxLineLength = 0
		// The server's own policy decides when AUTH is allowed, with the
		// preset's words; go-smtp would refuse it before TLS in its own.
		srv.AllowInsecureAuth = true
		srv.ErrorLog = log.New(io.Discard, "", 0)
		if c.mode == StartTLS && c.tls() == nil {
			srv.TLSConfig = startTLSOffered
		}
		srv.Serve(&phaseListener{conn: ph, closed: make(chan struct{})})
		srv.Shutdown(context.Background())
		if !ph.isOver() {
			return
		}
		ph = &phaseConn{c: c, greeting: true, over: make(chan struct{})}
	}
}
