package alert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// DialFunc opens a connection; net.Dialer.DialContext has this shape.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Security is the device's TLS policy for a server, named as mailers name
// it; Postfix calls the same levels none, may, encrypt and verify.
type Security uint8

const (
	// SecurityNone never uses TLS.
	SecurityNone Security = iota
	// SecurityOptional uses STARTTLS when the server offers it and sends
	// in plain text when it does not.
	SecurityOptional
	// SecurityRequired fails without TLS but accepts any certificate.
	SecurityRequired
	// SecurityCertified fails without TLS or when the certificate does not
	// verify against the device's roots and the server's name.
	SecurityCertified
)

func (s Security) String() string {
	switch s {
	case SecurityNone:
		return "none"
	case SecurityOptional:
		return "optional"
	case SecurityRequired:
		return "required"
	case SecurityCertified:
		return "certified"
	}
	return fmt.Sprintf("Security(%d)", uint8(s))
}

// Server is one SMTP server as a device stores it.
type Server struct {
	// Host is a name, an IPv4 address or an IPv6 address with or without
	// brackets.
	Host string
	Port int
	// ImplicitTLS speaks TLS from the first byte (port 465); Security
	// then says whether the certificate is verified.
	ImplicitTLS bool
	Security    Security
	// Username is empty when the device does not authenticate.
	Username string
	Password string
}

// Address returns "host:port".
func (s Server) Address() string {
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(s.Host, "["), "]"), strconv.Itoa(s.Port))
}

// Timeouts bound each step of a delivery.
type Timeouts struct {
	// Connect bounds the TCP handshake.
	Connect time.Duration
	// Command bounds the wait for the greeting, the TLS handshake and each
	// reply up to DATA.
	Command time.Duration
	// DataBlock bounds each write of the message: a link that takes no
	// data for this long has failed.
	DataBlock time.Duration
	// Submission bounds the wait for the reply to the final dot.
	Submission time.Duration
}

// DefaultTimeouts are RFC 5321 section 4.5.3.2's: five minutes for the
// greeting and each command, three for each block of data, ten for the end
// of data; and 30 seconds for the connection, as device firmware commonly
// uses.
func DefaultTimeouts() Timeouts {
	return Timeouts{Connect: 30 * time.Second, Command: 5 * time.Minute, DataBlock: 3 * time.Minute, Submission: 10 * time.Minute}
}

// blockConn bounds every write with the data-block timeout; go-smtp's
// client bounds only commands and the final reply.
type blockConn struct {
	net.Conn
	timeout time.Duration
}

func (c blockConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// Client delivers messages to SMTP servers. It is what a device's firmware
// runs, written against a dial function and a resolver only: given
// net.Dialer.DialContext it sends real mail.
type Client struct {
	Dial     DialFunc
	Resolver Resolver
	// RootCAs is the device's trust store; nil uses the system's.
	RootCAs *x509.CertPool
	// HelloName is the EHLO argument; empty sends the address literal of
	// the connection's local address ("[192.0.2.10]").
	HelloName string
	Timeouts  Timeouts
	// Log receives each step, if set.
	Log func(Event)
}

// Envelope is the SMTP envelope of a message: the return path and the
// recipients.
type Envelope struct {
	From string
	To   []string
}

// Receipt is the outcome of a delivery that reached the end of DATA.
type Receipt struct {
	Server   string
	Accepted []string
	// Refused are the recipients the server refused while accepting the
	// others.
	Refused []*RecipientError
	// Reply is the server's reply to the end of data.
	Reply string
}

// RecipientError is a refused recipient.
type RecipientError struct {
	Recipient string
	Err       *smtp.SMTPError
}

func (e *RecipientError) Error() string { return "<" + e.Recipient + ">: " + e.Err.Error() }

func (c *Client) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(Event{Time: time.Now(), Text: fmt.Sprintf(format, args...)})
	}
}

// Send delivers msg to srv in one attempt. A failure is an *Error saying at
// which step it failed and how to classify it; ctx bounds the whole attempt.
func (c *Client) Send(ctx context.Context, srv Server, env Envelope, msg []byte) (*Receipt, error) {
	d := &delivery{c: c, srv: srv, addr: srv.Address()}
	r, err := d.send(ctx, env, msg)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			c.logf("failed (%s): %v", e.Class, e.Err)
		}
		return nil, err
	}
	c.logf("delivered: 250 %s", r.Reply)
	return r, nil
}

type delivery struct {
	c    *Client
	srv  Server
	addr string
	ctx  context.Context
}

func (d *delivery) fail(class Class, stage string, err error) error {
	e := &Error{Class: class, Server: d.addr, Stage: stage, Err: err}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		e.Code = se.Code
	}
	return e
}

func (d *delivery) send(ctx context.Context, env Envelope, msg []byte) (*Receipt, error) {
	d.ctx = ctx
	c, srv := d.c, d.srv
	t := c.Timeouts
	if t == (Timeouts{}) {
		t = DefaultTimeouts()
	}

	addrs, err := resolve(ctx, c.Resolver, srv.Host)
	if err != nil {
		return nil, d.fail(ClassDNS, "resolve", err)
	}
	if _, err := netip.ParseAddr(strings.Trim(srv.Host, "[]")); err != nil { // a name
		c.logf("resolved %s: %s", srv.Host, joinAddrs(addrs))
	}

	conn, err := d.connect(ctx, addrs, t.Connect)
	if err != nil {
		return nil, err
	}
	// The context bounds the whole attempt, writes included, which
	// go-smtp's command timeouts do not cover. Closing the TCP connection
	// ends TLS and SMTP above it.
	tcp := conn
	stop := context.AfterFunc(ctx, func() { tcp.Close() })
	defer stop()
	defer tcp.Close()

	if srv.ImplicitTLS {
		tc := tls.Client(conn, d.tlsConfig())
		hctx, cancel := context.WithTimeout(ctx, t.Command)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			if isTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
				// Silence, not a refusal: a black hole or a dead link.
				return nil, d.fail(ClassTimeout, "tls", fmt.Errorf("no answer to the TLS handshake within %v", t.Command))
			}
			return nil, d.fail(ClassTLS, "tls", err)
		}
		st := tc.ConnectionState()
		c.logf("TLS established: %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
		conn = tc
	}

	if !srv.ImplicitTLS && srv.Security != SecurityNone {
		// STARTTLS is not in this pipeline yet. Refuse rather than send
		// credentials in the clear against the device's policy.
		return nil, d.fail(ClassTLS, "starttls", fmt.Errorf("security %v needs STARTTLS, which this pipeline does not implement yet", srv.Security))
	}

	if t.DataBlock > 0 {
		conn = blockConn{Conn: conn, timeout: t.DataBlock}
	}
	sc := smtp.NewClient(conn)
	sc.CommandTimeout = t.Command
	sc.SubmissionTimeout = t.Submission
	if err := sc.Hello(d.helloName(conn)); err != nil {
		return nil, d.smtpFail("hello", err)
	}

	if srv.Username != "" {
		var auth sasl.Client
		var mech string
		switch {
		case sc.SupportsAuth(sasl.Plain):
			auth, mech = sasl.NewPlainClient("", srv.Username, srv.Password), sasl.Plain
		case sc.SupportsAuth(sasl.Login):
			auth, mech = sasl.NewLoginClient(srv.Username, srv.Password), sasl.Login
		default:
			return nil, d.fail(ClassAuth, "auth", errors.New("the server offers no authentication mechanism this device supports (PLAIN, LOGIN)"))
		}
		if err := sc.Auth(auth); err != nil {
			return nil, d.smtpFail("auth", err)
		}
		c.logf("authenticated as %s (%s)", srv.Username, mech)
	}

	if err := sc.Mail(env.From, nil); err != nil {
		return nil, d.smtpFail("mail", err)
	}
	r := &Receipt{Server: d.addr}
	var firstRefusal error
	for _, to := range env.To {
		err := sc.Rcpt(to, nil)
		var se *smtp.SMTPError
		switch {
		case err == nil:
			r.Accepted = append(r.Accepted, to)
		case errors.As(err, &se):
			c.logf("recipient <%s> refused: %d %s", to, se.Code, se.Message)
			r.Refused = append(r.Refused, &RecipientError{Recipient: to, Err: se})
			if firstRefusal == nil {
				firstRefusal = err
			}
		default:
			return nil, d.smtpFail("rcpt", err)
		}
	}
	if len(r.Accepted) == 0 {
		return nil, d.smtpFail("rcpt", firstRefusal)
	}

	w, err := sc.Data()
	if err != nil {
		return nil, d.smtpFail("data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return nil, d.smtpFail("data", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return nil, d.smtpFail("data", err)
	}
	r.Reply = resp.StatusText
	// The message is delivered; a failing QUIT changes nothing.
	sc.Quit()
	return r, nil
}

func (d *delivery) connect(ctx context.Context, addrs []netip.Addr, timeout time.Duration) (net.Conn, error) {
	var last error
	for _, a := range addrs {
		target := netip.AddrPortFrom(a, uint16(d.srv.Port)).String()
		d.c.logf("connect %s", target)
		dctx, cancel := context.WithTimeout(ctx, timeout)
		conn, err := d.c.Dial(dctx, "tcp", target)
		cancel()
		if err == nil {
			d.c.logf("connected from %s", conn.LocalAddr())
			return conn, nil
		}
		last = err
	}
	switch {
	case errors.Is(last, syscall.ECONNREFUSED):
		return nil, d.fail(ClassRefused, "connect", last)
	case isTimeout(last):
		return nil, d.fail(ClassConnectTimeout, "connect", last)
	}
	return nil, d.fail(ClassNetwork, "connect", last)
}

// smtpFail classifies a failure in the SMTP dialogue.
func (d *delivery) smtpFail(stage string, err error) error {
	var se *smtp.SMTPError
	switch {
	case errors.As(err, &se) && se.Code >= 500 && stage == "auth":
		return d.fail(ClassAuth, stage, err)
	case errors.As(err, &se) && se.Code >= 500:
		return d.fail(ClassRejected, stage, err)
	case errors.As(err, &se) && se.Code >= 400:
		return d.fail(ClassDeferred, stage, err)
	case d.ctx.Err() != nil:
		return d.fail(ClassTimeout, stage, fmt.Errorf("attempt abandoned: %w", d.ctx.Err()))
	case isTimeout(err):
		return d.fail(ClassTimeout, stage, err)
	}
	return d.fail(ClassNetwork, stage, err)
}

func (d *delivery) tlsConfig() *tls.Config {
	cfg := &tls.Config{RootCAs: d.c.RootCAs}
	host := strings.Trim(d.srv.Host, "[]")
	if _, err := netip.ParseAddr(host); err != nil {
		cfg.ServerName = host
	}
	if d.srv.Security != SecurityCertified {
		// Encrypt but do not verify, as Required means.
		cfg.InsecureSkipVerify = true
	}
	return cfg
}

func (d *delivery) helloName(conn net.Conn) string {
	if d.c.HelloName != "" {
		return d.c.HelloName
	}
	ap, err := netip.ParseAddrPort(conn.LocalAddr().String())
	if err != nil {
		return "localhost"
	}
	if ap.Addr().Is6() {
		return "[IPv6:" + ap.Addr().String() + "]"
	}
	return "[" + ap.Addr().String() + "]"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
