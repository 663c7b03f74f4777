package alert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/smtp"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-sasl"

	"alertsim/internal/smtpstatus"
)

// The SMTP session runs on Go's net/smtp client. go-smtp's client (v0.25)
// cannot upgrade a session with STARTTLS after an EHLO in the device's own
// name: its only way in, NewClientStartTLS, says "EHLO localhost" first.
// net/smtp has Hello, Extension and StartTLS in public, which is what
// opportunistic STARTTLS on one connection needs; its exported textproto
// connection gives the reply to the end of data. AUTH uses go-sasl's
// clients through a small adapter.

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

var securityNames = [...]string{"none", "optional", "required", "certified"}

func (s Security) String() string {
	if int(s) < len(securityNames) {
		return securityNames[s]
	}
	return fmt.Sprintf("Security(%d)", uint8(s))
}

// ParseSecurity returns the level called name ("optional").
func ParseSecurity(name string) (Security, bool) {
	i := slices.Index(securityNames[:], name)
	return Security(max(i, 0)), i >= 0
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

// Timeouts bound each step of a delivery. Each field left zero takes its
// value from DefaultTimeouts on its own, as go-smtp's client defaults its
// CommandTimeout and SubmissionTimeout separately: a device that only
// shortens Connect keeps RFC 5321's command and data timeouts rather than
// failing at the first read with no time to wait for it.
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

// withDefaults fills each zero field from DefaultTimeouts.
func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	pick := func(v, def time.Duration) time.Duration {
		if v == 0 {
			return def
		}
		return v
	}
	return Timeouts{
		Connect:    pick(t.Connect, d.Connect),
		Command:    pick(t.Command, d.Command),
		DataBlock:  pick(t.DataBlock, d.DataBlock),
		Submission: pick(t.Submission, d.Submission),
	}
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
	// MinTLS and MaxTLS bound the TLS versions the firmware speaks (zero:
	// Go's defaults). An old firmware has MaxTLS tls.VersionTLS10.
	MinTLS, MaxTLS uint16
	// Timeouts bound each step; a zero field takes its default.
	Timeouts Timeouts
	// Clock is the device's own clock: its failure log's times, and what
	// certificates are checked against (the zero Clock is the time
	// package's).
	Clock Clock
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
	// TLS is the session's TLS version, empty in plain text.
	TLS string
}

// Reply is an SMTP reply that refused something.
type Reply struct {
	Code int
	// Enhanced is the RFC 3463 status code ("5.7.8"), if the server gave
	// one.
	Enhanced string
	Text     string
}

func (r *Reply) Error() string {
	if r.Enhanced != "" {
		return fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, r.Text)
	}
	return fmt.Sprintf("%d %s", r.Code, r.Text)
}

// asReply converts net/textproto's error into a Reply, taking the enhanced
// code off every line that repeats it.
func asReply(err error) (*Reply, bool) {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return nil, false
	}
	r := &Reply{Code: te.Code, Text: te.Msg}
	if first, rest, ok := strings.Cut(te.Msg, " "); ok {
		if _, err := smtpstatus.Parse(first); err == nil {
			r.Enhanced = first
			r.Text = strings.ReplaceAll(rest, "\n"+first+" ", "\n")
		}
	}
	return r, true
}

// RecipientError is a refused recipient.
type RecipientError struct {
	Recipient string
	Reply     *Reply
}

func (e *RecipientError) Error() string { return "<" + e.Recipient + ">: " + e.Reply.Error() }

func (c *Client) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(Event{Time: time.Now(), Text: fmt.Sprintf(format, args...)})
	}
}

// Send delivers msg to srv in one attempt. A failure is an *Error saying at
// which step it failed and how to classify it; ctx bounds the whole attempt.
func (c *Client) Send(ctx context.Context, srv Server, env Envelope, msg []byte) (*Receipt, error) {
	d := &delivery{c: c, srv: srv, addr: srv.Address(), ctx: ctx, t: c.Timeouts.withDefaults()}
	r, err := d.send(env, msg)
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
	t    Timeouts
	conn net.Conn // the TCP connection, for deadlines
	// conns are the device's ends of the connections the attempt opened
	// or tried, in order: what the network did to them explains it.
	conns []netip.AddrPort
}

func (d *delivery) fail(class Class, stage string, err error) error {
	if errors.Is(d.ctx.Err(), context.Canceled) {
		// Whatever the failure looked like, the device stopped the
		// attempt itself (it was switched off).
		class = ClassAbandoned
	}
	e := &Error{Class: class, Server: d.addr, Stage: stage, Err: err, Conns: slices.Clone(d.conns)}
	if r, ok := asReply(err); ok {
		e.Code, e.Err = r.Code, r
	}
	return e
}

// step bounds the next exchange.
func (d *delivery) step(timeout time.Duration) { d.conn.SetDeadline(time.Now().Add(timeout)) }

func (d *delivery) send(env Envelope, msg []byte) (*Receipt, error) {
	c, srv := d.c, d.srv
	addrs, err := resolve(d.ctx, c.Resolver, srv.Host)
	if err != nil {
		return nil, d.fail(ClassDNS, "resolve", err)
	}
	if _, err := netip.ParseAddr(strings.Trim(srv.Host, "[]")); err != nil { // a name
		c.logf("resolved %s: %s", srv.Host, joinAddrs(addrs))
	}
	r, err := d.session(addrs, srv.Security, env, msg)
	var retry *plainRetry
	if errors.As(err, &retry) {
		// Postfix's "may": the peer is in an undefined state after a
		// failed handshake, so the same server is tried again over a new
		// connection, in plain text.
		c.logf("the TLS handshake failed (%v): connecting again without TLS", retry.err)
		return d.session([]netip.Addr{retry.addr}, SecurityNone, env, msg)
	}
	return r, err
}

// plainRetry is a TLS handshake that failed under SecurityOptional, on a
// device with no login to protect: the attempt goes on in plain text over
// a new connection to addr.
type plainRetry struct {
	addr netip.Addr
	err  error
}

func (e *plainRetry) Error() string { return "the TLS handshake failed: " + e.err.Error() }

// session is one SMTP session with the first of addrs that answers, under
// security sec.
func (d *delivery) session(addrs []netip.Addr, sec Security, env Envelope, msg []byte) (*Receipt, error) {
	c, srv := d.c, d.srv
	conn, err := d.connect(addrs)
	if err != nil {
		return nil, err
	}
	d.conn = conn
	// The context bounds the whole attempt, writes included. Closing the
	// TCP connection ends TLS and SMTP above it.
	stop := context.AfterFunc(d.ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	var session net.Conn = conn
	r := &Receipt{Server: d.addr}
	if srv.ImplicitTLS {
		tc := tls.Client(conn, d.tlsConfig())
		hctx, cancel := context.WithTimeout(d.ctx, d.t.Command)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			return nil, d.tlsFail("tls", err)
		}
		r.TLS = d.logTLS("TLS", tc.ConnectionState())
		session = tc
	}
	session = blockConn{Conn: session, timeout: d.t.DataBlock}

	d.step(d.t.Command)
	sc, err := smtp.NewClient(session, strings.Trim(srv.Host, "[]"))
	if err != nil {
		return nil, d.smtpFail("greeting", err)
	}
	d.step(d.t.Command)
	if err := sc.Hello(d.helloName()); err != nil {
		return nil, d.smtpFail("ehlo", err)
	}

	if !srv.ImplicitTLS && sec != SecurityNone {
		offered, _ := sc.Extension("STARTTLS")
		switch {
		case offered:
			d.step(d.t.Command)
			err := sc.StartTLS(d.tlsConfig())
			reply, refused := asReply(err)
			switch {
			case err == nil:
				state, _ := sc.TLSConnectionState()
				r.TLS = d.logTLS("STARTTLS", state)
			case refused && sec == SecurityOptional:
				// Postfix's "may" goes on in plain text on the same
				// connection; nothing was said over TLS, so nothing
				// needs saying again.
				c.logf("the server refused STARTTLS (%v): sending in plain text", reply)
			case refused:
				return nil, d.smtpFail("starttls", err)
			case sec == SecurityOptional && srv.Username == "" && d.ctx.Err() == nil:
				remote, _ := netip.ParseAddrPort(conn.RemoteAddr().String())
				return nil, &plainRetry{addr: remote.Addr(), err: err}
			default:
				return nil, d.tlsFail("starttls", err)
			}
		case sec == SecurityOptional:
			c.logf("the server offers no STARTTLS: sending in plain text")
		default:
			return nil, d.fail(ClassTLS, "starttls", fmt.Errorf("the server offers no STARTTLS, which security %q needs", sec))
		}
	}

	if srv.Username != "" {
		if err := d.auth(sc); err != nil {
			return nil, err
		}
	}

	d.step(d.t.Command)
	if err := d.mail(sc, env, msg); err != nil {
		return nil, d.smtpFail("mail", err)
	}
	var firstRefusal error
	for _, to := range env.To {
		d.step(d.t.Command)
		err := sc.Rcpt(to)
		reply, isReply := asReply(err)
		switch {
		case err == nil:
			r.Accepted = append(r.Accepted, to)
		case isReply:
			c.logf("recipient <%s> refused: %v", to, reply)
			r.Refused = append(r.Refused, &RecipientError{Recipient: to, Reply: reply})
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

	reply, err := d.data(sc, msg)
	if err != nil {
		return nil, d.smtpFail("data", err)
	}
	r.Reply = reply
	// The message is delivered; a failing QUIT changes nothing.
	d.step(d.t.Command)
	sc.Quit()
	return r, nil
}

// mail sends MAIL FROM, declaring BODY=8BITMIME (RFC 6152) only for a
// message with 8-bit bytes and SMTPUTF8 (RFC 6531) only for an envelope
// that needs it, where net/smtp's Mail declares both whenever the server
// offers them: a firmware that composes 7-bit mail (quoted-printable,
// base64, RFC 2047 words) has nothing to declare.
func (d *delivery) mail(sc *smtp.Client, env Envelope, msg []byte) error {
	if strings.ContainsAny(env.From, "\r\n") {
		return errors.New("smtp: the sender address holds a line break")
	}
	cmd := "MAIL FROM:<" + env.From + ">"
	if ok, _ := sc.Extension("8BITMIME"); ok && !ascii(string(msg)) {
		cmd += " BODY=8BITMIME"
	}
	if ok, _ := sc.Extension("SMTPUTF8"); ok && (!ascii(env.From) || !ascii(strings.Join(env.To, ""))) {
		cmd += " SMTPUTF8"
	}
	id, err := sc.Text.Cmd("%s", cmd)
	if err != nil {
		return err
	}
	sc.Text.StartResponse(id)
	defer sc.Text.EndResponse(id)
	_, _, err = sc.Text.ReadResponse(250)
	return err
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// data sends the message and returns the server's reply to its end. It
// speaks through net/smtp's exported textproto connection, as Client.Data
// would, because Client.Data's closer drops the reply's text.
func (d *delivery) data(sc *smtp.Client, msg []byte) (string, error) {
	d.step(d.t.Command)
	id, err := sc.Text.Cmd("DATA")
	if err != nil {
		return "", err
	}
	sc.Text.StartResponse(id)
	_, _, err = sc.Text.ReadResponse(354)
	sc.Text.EndResponse(id)
	if err != nil {
		return "", err
	}
	// The data block timeout bounds each write; nothing is read meanwhile.
	d.conn.SetReadDeadline(time.Time{})
	// The bytes and the writes are textproto's DotWriter's (a write each
	// time its 4 KB buffer fills), without its byte-at-a-time loop, which
	// took a tenth of a long run's time.
	bw := sc.Text.W
	for p := dotStuffed(msg); len(p) > 0; {
		n := max(bw.Available(), 1)
		if n > len(p) {
			n = len(p)
		}
		if _, err := bw.Write(p[:n]); err != nil {
			return "", err
		}
		p = p[n:]
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	d.conn.SetReadDeadline(time.Now().Add(d.t.Submission))
	_, text, err := sc.Text.ReadResponse(250)
	return text, err
}

// dotStuffed is a message as DATA carries it (RFC 5321 section 4.5.2),
// exactly as net/textproto's DotWriter writes it: line ends made CRLF, a
// dot added before a line's leading dot, the last line ended, and the
// lone dot that ends the data.
func dotStuffed(msg []byte) []byte {
	out := make([]byte, 0, len(msg)+len(msg)/64+8)
	const (
		begin = iota // nothing written yet: ended like a line of data
		beginLine
		data
		cr
	)
	state := begin
	for _, c := range msg {
		switch state {
		case begin, beginLine:
			state = data
			if c == '.' {
				out = append(out, '.')
			}
			fallthrough
		case data:
			if c == '\r' {
				state = cr
			}
			if c == '\n' {
				out = append(out, '\r')
				state = beginLine
			}
		case cr:
			state = data
			if c == '\n' {
				state = beginLine
			}
		}
		out = append(out, c)
	}
	switch state {
	case begin, data:
		out = append(out, '\r', '\n')
	case cr:
		out = append(out, '\n')
	}
	return append(out, '.', '\r', '\n')
}

// auth logs in with the mechanism the server offers: PLAIN, else LOGIN.
func (d *delivery) auth(sc *smtp.Client) error {
	srv := d.srv
	_, offered := sc.Extension("AUTH")
	mechs := strings.Fields(offered)
	var client sasl.Client
	var mech string
	switch {
	case slices.Contains(mechs, sasl.Plain):
		client, mech = sasl.NewPlainClient("", srv.Username, srv.Password), sasl.Plain
	case slices.Contains(mechs, sasl.Login):
		client, mech = sasl.NewLoginClient(srv.Username, srv.Password), sasl.Login
	case len(mechs) == 0:
		return d.fail(ClassAuth, "auth", errors.New("the server offers no authentication here"))
	default:
		return d.fail(ClassAuth, "auth", fmt.Errorf("the server offers AUTH %s; this device speaks PLAIN and LOGIN", offered))
	}
	d.step(d.t.Command)
	if err := d.authExchange(sc, client); err != nil {
		if _, refused := asReply(err); refused {
			// The server has ended the exchange with its refusal; the
			// device ends the session, as its firmware does.
			d.step(d.t.Command)
			sc.Quit()
		}
		return d.smtpFail("auth", err)
	}
	d.c.logf("authenticated as %s (%s)", srv.Username, mech)
	return nil
}

// authExchange runs an AUTH exchange (RFC 4954) over the session's
// textproto connection. net/smtp's Client.Auth answers a refusal with "*",
// the cancellation a client sends in the middle of an exchange, which the
// server then refuses in its turn (501 5.5.2): no device sends it after the
// server's final reply, and the record would show a dialogue that never
// happens in the field.
func (d *delivery) authExchange(sc *smtp.Client, c sasl.Client) error {
	mech, ir, err := c.Start()
	if err != nil {
		return err
	}
	cmd := "AUTH " + mech
	if ir != nil {
		enc := base64.StdEncoding.EncodeToString(ir)
		if enc == "" {
			enc = "=" // an empty initial response (RFC 4954 section 4)
		}
		cmd += " " + enc
	}
	code, text, err := exchange(sc.Text, "%s", cmd)
	for err == nil {
		switch code {
		case 235:
			return nil
		case 334:
			challenge, derr := base64.StdEncoding.DecodeString(text)
			var resp []byte
			if derr == nil {
				resp, derr = c.Next(challenge)
			}
			if derr != nil {
				// The device cannot answer the challenge: here "*" is
				// the right word.
				exchange(sc.Text, "*")
				return derr
			}
			code, text, err = exchange(sc.Text, "%s", base64.StdEncoding.EncodeToString(resp))
		default:
			return &textproto.Error{Code: code, Msg: text}
		}
	}
	return err
}

// exchange sends a command and reads its reply, whatever its code.
func exchange(t *textproto.Conn, format string, args ...any) (int, string, error) {
	id, err := t.Cmd(format, args...)
	if err != nil {
		return 0, "", err
	}
	t.StartResponse(id)
	defer t.EndResponse(id)
	return t.ReadResponse(0)
}

func (d *delivery) logTLS(how string, st tls.ConnectionState) string {
	v := tls.VersionName(st.Version)
	d.c.logf("%s established: %s %s", how, v, tls.CipherSuiteName(st.CipherSuite))
	return v
}

func (d *delivery) connect(addrs []netip.Addr) (net.Conn, error) {
	var last error
	for _, a := range addrs {
		target := netip.AddrPortFrom(a, uint16(d.srv.Port)).String()
		d.c.logf("connect %s", target)
		dctx, cancel := context.WithTimeout(d.ctx, d.t.Connect)
		conn, err := d.c.Dial(dctx, "tcp", target)
		cancel()
		if err == nil {
			d.c.logf("connected from %s", conn.LocalAddr())
			if ap, err := netip.ParseAddrPort(conn.LocalAddr().String()); err == nil {
				d.conns = append(d.conns, ap)
			}
			return conn, nil
		}
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Source != nil {
			if ap, err := netip.ParseAddrPort(oe.Source.String()); err == nil {
				d.conns = append(d.conns, ap)
			}
		}
		last = err
	}
	switch {
	case errors.Is(last, syscall.ECONNREFUSED):
		return nil, d.fail(ClassRefused, "connect", last)
	case errors.Is(last, syscall.ENETUNREACH), errors.Is(last, syscall.EHOSTUNREACH):
		return nil, d.fail(ClassUnreachable, "connect", last)
	case isTimeout(last):
		return nil, d.fail(ClassConnectTimeout, "connect", last)
	}
	return nil, d.fail(ClassNetwork, "connect", last)
}

// tlsFail classifies a failed TLS handshake: silence is a timeout (a black
// hole, a dead link), anything else a TLS failure.
func (d *delivery) tlsFail(stage string, err error) error {
	if isTimeout(err) || errors.Is(err, context.DeadlineExceeded) || d.ctx.Err() != nil {
		return d.fail(ClassTimeout, stage, fmt.Errorf("no answer to the TLS handshake within %v", d.t.Command))
	}
	return d.fail(ClassTLS, stage, err)
}

// smtpFail classifies a failure in the SMTP dialogue.
func (d *delivery) smtpFail(stage string, err error) error {
	r, isReply := asReply(err)
	switch {
	case isReply && r.Code >= 500 && stage == "auth":
		return d.fail(ClassAuth, stage, err)
	case isReply && r.Code >= 500:
		return d.fail(ClassRejected, stage, err)
	case isReply && r.Code >= 400:
		return d.fail(ClassDeferred, stage, err)
	case d.ctx.Err() != nil:
		return d.fail(ClassTimeout, stage, fmt.Errorf("attempt abandoned: %w", d.ctx.Err()))
	case isTimeout(err):
		return d.fail(ClassTimeout, stage, err)
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed):
		return d.fail(ClassNetwork, stage, fmt.Errorf("the server closed the connection: %w", err))
	}
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) {
		return d.fail(ClassTLS, stage, err)
	}
	return d.fail(ClassNetwork, stage, err)
}

func (d *delivery) tlsConfig() *tls.Config {
	// An IP literal is verified against the certificate's IP addresses;
	// crypto/tls sends no SNI for it.
	cfg := &tls.Config{RootCAs: d.c.RootCAs, MinVersion: d.c.MinTLS, MaxVersion: d.c.MaxTLS, ServerName: strings.Trim(d.srv.Host, "[]"),
		// Validity is checked against the device's own clock, right or
		// wrong.
		Time: d.c.Clock.Now}
	if d.srv.Security != SecurityCertified {
		// Encrypt but do not verify: Optional and Required do not.
		cfg.InsecureSkipVerify = true
	}
	return cfg
}

func (d *delivery) helloName() string {
	if d.c.HelloName != "" {
		return d.c.HelloName
	}
	ap, err := netip.ParseAddrPort(d.conn.LocalAddr().String())
	if err != nil {
		return "localhost"
	}
	if ap.Addr().Is6() {
		return "[IPv6:" + ap.Addr().String() + "]"
	}
	return "[" + ap.Addr().String() + "]"
}

// blockConn bounds every write with the data-block timeout.
type blockConn struct {
	net.Conn
	timeout time.Duration
}

func (c blockConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
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
