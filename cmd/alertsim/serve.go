package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"alertsim/benchdns"
	"alertsim/benchlog"
	"alertsim/benchtls"
	"alertsim/benchweb"
	"alertsim/emlstore"
	"alertsim/fakesmtp"
	"alertsim/scenarios"
)

// serve runs the fake server on real sockets, for a device on the bench.
func serve(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveUntil(ctx, args, stdout, stderr)
}

// serveFlags are serve's settings, one field a flag.
type serveFlags struct {
	listen                         string
	smtp, submission, submissions  int
	http                           string
	dir                            string
	user, password, passwordEnv    string
	preset, domain                 string
	maxSize                        int64
	maxRecipients                  int
	maxConnections, maxClientConns int
	keep                           int
	keepAge                        time.Duration
	keepBytes                      int64
	readTimeout, sessionTime       time.Duration
	authFailures                   int
	authWindow                     time.Duration
	cert, key, keyType, minTLS     string
	logJSON                        bool
	scenario                       string
	portOffset                     int
	dnsPort                        int
	greylist, tarpit               time.Duration
	failFirst                      int
	rateLimit                      string
	disconnectAfter                int64
	faults                         faultFlags
	set                            map[string]bool // flags given on the command line
}

// faultFlags collects -fault stage:code:enhanced:text, repeatable.
type faultFlags []fakesmtp.Fault

func (f *faultFlags) String() string { return "" }

func (f *faultFlags) Set(v string) error {
	parts := strings.SplitN(v, ":", 4)
	stage, ok := fakesmtp.ParseStage(parts[0])
	if !ok {
		return fmt.Errorf("stage %q: use %s", parts[0], strings.Join(fakesmtp.Stages(), ", "))
	}
	if len(parts) < 2 {
		return errors.New("a fault is stage:code[:enhanced[:text]], e.g. rcpt:550:5.1.1:No such user")
	}
	code, err := strconv.Atoi(parts[1])
	if err != nil || code < 400 || code > 599 {
		return fmt.Errorf("code %q: a 4xx or 5xx reply", parts[1])
	}
	enhanced, text := "", "Fault injected by alertsim serve"
	if len(parts) > 2 {
		enhanced = parts[2]
	}
	if len(parts) > 3 && parts[3] != "" {
		text = parts[3]
	}
	*f = append(*f, fakesmtp.Fault{Stage: stage, Reply: fakesmtp.NewReply(code, enhanced, text)})
	return nil
}

func parseServeFlags(args []string, stderr io.Writer) (*serveFlags, int) {
	c := &serveFlags{set: map[string]bool{}}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: alertsim serve [flags]")
		fmt.Fprintln(stderr, "\nA fake SMTP server for a real device on the bench, with a web page and JSON API.")
		fmt.Fprintln(stderr, "It stores every message (fsync'd before its 250) and relays nothing anywhere.")
		fmt.Fprintln(stderr, "A port of -1 is not opened; 0 is any free port. docs/BENCH.md tells more.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.listen, "listen", "127.0.0.1", "`address` to listen on for SMTP (0.0.0.0 for a device on the LAN)")
	fs.IntVar(&c.smtp, "smtp", 2525, "`port` for plain SMTP (STARTTLS offered when the preset requires TLS)")
	fs.IntVar(&c.submission, "submission", 2587, "`port` for submission with STARTTLS")
	fs.IntVar(&c.submissions, "submissions", 2465, "`port` for submission over implicit TLS")
	fs.StringVar(&c.http, "http", "127.0.0.1:8025", "`address` of the web page and API (\"\" for none)")
	fs.StringVar(&c.dir, "dir", "", "`directory` for the .eml files, the CA and the certificate (default: a temporary one, removed at exit)")
	fs.StringVar(&c.user, "user", "", "user `name` of the one account (no account: any client may send)")
	fs.StringVar(&c.password, "password", "", "`password` of the account (visible in ps: prefer -password-env)")
	fs.StringVar(&c.passwordEnv, "password-env", "", "environment `variable` holding the account's password")
	fs.StringVar(&c.preset, "preset", "", "answer like `preset`: "+strings.Join(fakesmtp.PresetNames(), ", "))
	fs.StringVar(&c.domain, "domain", "localhost", "`name` in the greeting, the Received fields and the certificate")
	fs.Int64Var(&c.maxSize, "max-size", 50<<20, "largest message in `bytes`, advertised with SIZE (0: no limit; a preset's own limit wins unless given)")
	fs.IntVar(&c.maxRecipients, "max-recipients", 100, "most recipients of one message (RFC 5321's minimum is 100)")
	fs.IntVar(&c.maxConnections, "max-connections", 100, "most sessions open at once")
	fs.IntVar(&c.maxClientConns, "max-client-connections", 50, "most sessions open at once from one client address")
	fs.IntVar(&c.keep, "keep", 5000, "most messages kept in -dir; the oldest go first (0: no bound)")
	fs.DurationVar(&c.keepAge, "keep-age", 0, "how `long` messages are kept (0: no bound)")
	fs.Int64Var(&c.keepBytes, "keep-bytes", 0, "most `bytes` of messages kept (0: no bound)")
	fs.DurationVar(&c.readTimeout, "read-timeout", 5*time.Minute, "how `long` to wait for each command (RFC 5321 asks for 5 minutes)")
	fs.DurationVar(&c.sessionTime, "session-time", 30*time.Minute, "longest `time` a session may last")
	fs.IntVar(&c.authFailures, "auth-failures", 10, "failed logins from one client address within -auth-window before AUTH is refused (0: no limit)")
	fs.DurationVar(&c.authWindow, "auth-window", 5*time.Minute, "the `window` -auth-failures counts in")
	fs.StringVar(&c.cert, "cert", "", "your own certificate `file` (PEM, with its chain) instead of the CA's")
	fs.StringVar(&c.key, "key", "", "the key `file` of -cert")
	fs.StringVar(&c.keyType, "key-type", "ecdsa", "key of the CA and certificate: ecdsa or rsa (for firmware without ECDSA)")
	fs.StringVar(&c.minTLS, "min-tls", "1.2", "oldest TLS `version` accepted: 1.0, 1.1, 1.2 or 1.3 (1.0 for old firmware)")
	fs.BoolVar(&c.logJSON, "log-json", false, "log one JSON object a line instead of key=value text")
	fs.StringVar(&c.scenario, "scenario", "", "play the servers and DNS of this scenario `file` instead")
	fs.IntVar(&c.portOffset, "port-offset", 0, "with -scenario: add this to each server's ports (25 -> 2025 with 2000)")
	fs.IntVar(&c.dnsPort, "dns", 5353, "with -scenario: UDP and TCP `port` of its DNS server (-1: none)")
	fs.DurationVar(&c.greylist, "greylist", 0, "refuse each new client, sender and recipient with 450 for this `long`")
	fs.DurationVar(&c.tarpit, "tarpit", 0, "hold back each reply this `long`")
	fs.IntVar(&c.failFirst, "fail-first", 0, "answer the first `N` connections 421 and hang up")
	fs.StringVar(&c.rateLimit, "rate-limit", "", "allow `N/duration` messages (10/1h), then 421")
	fs.Int64Var(&c.disconnectAfter, "disconnect-after", 0, "hang up after this many `bytes` of message data")
	fs.Var(&c.faults, "fault", "replace a reply: `stage:code[:enhanced[:text]]`, repeatable (rcpt:550:5.1.1:No such user)")
	if err := fs.Parse(args); err != nil {
		return nil, 2
	}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	bad := func(format string, args ...any) (*serveFlags, int) {
		fmt.Fprintf(stderr, "alertsim serve: "+format+"\n", args...)
		return nil, 2
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case c.password != "" && c.passwordEnv != "":
		return bad("-password and -password-env: give one")
	}
	if c.passwordEnv != "" {
		c.password = os.Getenv(c.passwordEnv)
		if c.password == "" {
			return bad("the environment variable %s holding the password is empty", c.passwordEnv)
		}
	}
	if (c.user == "") != (c.password == "") {
		return bad("-user and -password (or -password-env) go together")
	}
	if _, ok := fakesmtp.LookupPreset(c.preset); c.preset != "" && !ok {
		return bad("unknown preset %q (presets: %s)", c.preset, strings.Join(fakesmtp.PresetNames(), ", "))
	}
	if _, ok := tlsVersions[c.minTLS]; !ok {
		return bad("-min-tls %q: use 1.0, 1.1, 1.2 or 1.3", c.minTLS)
	}
	if c.rateLimit != "" {
		if _, err := parseRate(c.rateLimit); err != nil {
			return bad("-rate-limit: %v", err)
		}
	}
	if c.scenario == "" && c.smtp < 0 && c.submission < 0 && c.submissions < 0 {
		return bad("every port is disabled")
	}
	return c, 0
}

var tlsVersions = map[string]uint16{"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

func parseRate(s string) (fakesmtp.RateLimit, error) {
	n, per, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(n)
	d, derr := time.ParseDuration(per)
	if !ok || err != nil || derr != nil || count <= 0 || d <= 0 {
		return fakesmtp.RateLimit{}, fmt.Errorf("%q is not N/duration (10/1h)", s)
	}
	return fakesmtp.RateLimit{Messages: count, Per: d}, nil
}

// benchServer is one SMTP server serve runs and the ports it serves.
type benchServer struct {
	name  string
	srv   *fakesmtp.Server
	ports []benchPort
}

type benchPort struct {
	name string
	port int
	mode fakesmtp.Mode
}

// serveUntil serves until ctx ends.
func serveUntil(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, code := parseServeFlags(args, stderr)
	if c == nil {
		return code
	}
	failf := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "alertsim serve: "+format+"\n", args...)
		return 1
	}
	logger := &benchlog.Logger{W: stdout, JSON: c.logJSON}

	dir := c.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "alertsim-serve-")
		if err != nil {
			return failf("%v", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	store, err := emlstore.Open(dir, c.domain, emlstore.Limits{Messages: c.keep, Age: c.keepAge, Bytes: c.keepBytes})
	if err != nil {
		return failf("%v", err)
	}
	defer store.Close()
	store.OnEvict = func(e emlstore.Entry, reason string) {
		logger.Line(time.Now(), benchlog.Field{Key: "event", Value: "evicted"}, benchlog.Field{Key: "key", Value: e.Key}, benchlog.Field{Key: "reason", Value: reason})
	}
	store.Start()

	id, err := benchtls.Load(benchtls.Options{Dir: dir, Hosts: benchtls.Hosts(c.domain, c.listen), KeyType: benchtls.KeyType(c.keyType), CertFile: c.cert, KeyFile: c.key})
	if err != nil {
		return failf("%v", err)
	}

	var servers []*benchServer
	var sc *scenarios.Scenario
	if c.scenario != "" {
		sc, err = scenarios.Load(c.scenario)
		if err != nil {
			return failf("%v", err)
		}
		if id.CA == nil {
			return failf("-scenario issues its servers' certificates (valid, expired, wrong name...) from the CA: -cert cannot be used with it")
		}
		built, err := sc.BenchServers(id.CA, benchtls.Hosts(c.domain, c.listen))
		if err != nil {
			return failf("%v", err)
		}
		for _, b := range built {
			bs := &benchServer{name: b.Host, srv: b.Server}
			for _, l := range b.Listeners {
				bs.ports = append(bs.ports, benchPort{fmt.Sprintf("%s:%d", b.Host, l.Port), l.Port + c.portOffset, l.Mode})
			}
			servers = append(servers, bs)
		}
	} else {
		servers = c.defaultServers(id)
	}
	for _, bs := range servers {
		bs.srv.Store = store
		bs.srv.DeferParse = true // the store parses a message when it is first looked at
		c.benchLimits(bs.srv, sc != nil)
	}

	web := &benchweb.Handler{Store: store, CAPEM: id.CAPEM, Title: "alertsim bench: " + c.domain}
	for _, bs := range servers {
		web.Servers = append(web.Servers, benchweb.Server{Name: bs.name, SMTP: bs.srv})
		bs.srv.OnEvent = eventSink(bs, logger, store, web)
	}

	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}()
	errc := make(chan error, 16)
	for _, bs := range servers {
		srv := bs.srv
		closers = append(closers, func() { srv.Close() })
		for _, p := range bs.ports {
			if p.port < 0 {
				continue
			}
			l, err := net.Listen("tcp", net.JoinHostPort(c.listen, strconv.Itoa(p.port)))
			if err != nil {
				return failf("%s port: %v", p.name, err)
			}
			fmt.Fprintf(stdout, "%-11s listening on %s (%v)\n", p.name, l.Addr(), p.mode)
			go func() { errc <- srv.Serve(l, p.mode) }()
		}
	}
	if sc != nil && c.dnsPort >= 0 {
		stop, err := c.serveDNS(sc, stdout, logger)
		if err != nil {
			return failf("%v", err)
		}
		closers = append(closers, stop)
	}
	if c.http != "" {
		l, err := net.Listen("tcp", c.http)
		if err != nil {
			return failf("web page: %v", err)
		}
		hs := &http.Server{Handler: web, ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(l)
		closers = append(closers, func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			hs.Shutdown(sctx)
			hs.Close()
		})
		fmt.Fprintf(stdout, "web page   on http://%s/\n", l.Addr())
	}
	fmt.Fprintf(stdout, "messages   in %s", dir)
	if c.dir == "" {
		fmt.Fprint(stdout, " (temporary: give -dir to keep them)")
	}
	fmt.Fprintln(stdout)
	sum := sha256.Sum256(id.Certificate.Certificate[len(id.Certificate.Certificate)-1])
	if id.CA != nil {
		sum = sha256.Sum256(id.CA.Cert.Raw)
	} else if err := os.WriteFile(filepath.Join(dir, "ca.pem"), id.CAPEM, 0o644); err != nil {
		return failf("%v", err)
	}
	reused := ""
	if id.Reused {
		reused = " (kept from an earlier run)"
	}
	fmt.Fprintf(stdout, "CA certificate sha256 %s, in %s%s\n", hex.EncodeToString(sum[:]), filepath.Join(dir, "ca.pem"), reused)

	status := 0
	select {
	case <-ctx.Done():
	case err := <-errc:
		fmt.Fprintf(stderr, "alertsim serve: %v\n", err)
		status = 1
	}
	total := 0
	for _, bs := range servers {
		bs.srv.Close()
		total += bs.srv.Accepted()
	}
	fmt.Fprintf(stdout, "stopped after %d message(s)\n", total)
	return status
}

// defaultServers are serve's own two: the plain port takes mail from
// anyone, as a port 25 does; the submission ports want the account's
// login, as submission does.
func (c *serveFlags) defaultServers(id *benchtls.Identity) []*benchServer {
	newServer := func(submission bool) *fakesmtp.Server {
		srv := fakesmtp.NewServer()
		srv.Domain = c.domain
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{id.Certificate}}
		if c.user != "" {
			srv.Accounts = []fakesmtp.Account{{Username: c.user, Password: c.password}}
		}
		if p, ok := fakesmtp.LookupPreset(c.preset); ok {
			p.Apply(srv)
		}
		srv.AuthRequired = submission && len(srv.Accounts) > 0
		return srv
	}
	plain, sub := newServer(false), newServer(true)
	plainMode := fakesmtp.Plain
	if plain.RequireTLS {
		// A preset that wants TLS before AUTH or MAIL (gmail-like) must
		// offer it: its plain port offers STARTTLS, as Gmail's port 25
		// does.
		plainMode = fakesmtp.StartTLS
	}
	return []*benchServer{
		{name: "smtp", srv: plain, ports: []benchPort{{"smtp", c.smtp, plainMode}}},
		{name: "submission", srv: sub, ports: []benchPort{{"submission", c.submission, fakesmtp.StartTLS}, {"submissions", c.submissions, fakesmtp.ImplicitTLS}}},
	}
}

// benchLimits sets what a server on real sockets for days needs, and the
// faults given as flags.
func (c *serveFlags) benchLimits(srv *fakesmtp.Server, scenario bool) {
	srv.Keep = 100 // the store has them all; this is for WaitForMessages
	srv.KeepSessions = 1000
	srv.MaxTranscriptLines = 1000
	srv.MaxRecipients = c.maxRecipients
	srv.MaxConnections = c.maxConnections
	srv.MaxClientConnections = c.maxClientConns
	srv.ReadTimeout = c.readTimeout
	srv.MaxSessionTime = c.sessionTime
	if c.authFailures > 0 {
		srv.AuthThrottle = fakesmtp.AuthThrottle{Failures: c.authFailures, Per: c.authWindow, Delay: time.Second}
	}
	if srv.MaxMessageBytes == 0 || c.set["max-size"] {
		srv.MaxMessageBytes = c.maxSize
	}
	if min := tlsVersions[c.minTLS]; srv.TLSConfig != nil && (!scenario || c.set["min-tls"]) {
		srv.TLSConfig.MinVersion = min
		if min < tls.VersionTLS12 {
			// Old firmware often knows only RSA key exchange and CBC,
			// which Go no longer offers by default.
			srv.TLSConfig.CipherSuites = oldFirmwareSuites()
		}
	}
	if c.set["greylist"] {
		srv.Greylist = c.greylist
	}
	if c.set["tarpit"] {
		srv.Tarpit = c.tarpit
	}
	if c.failFirst > 0 {
		r := srv.Replies.TryLater
		if r == nil {
			r = fakesmtp.DefaultReplies().TryLater
		}
		srv.Faults = append(srv.Faults, fakesmtp.Fault{Stage: fakesmtp.StageConnect, Reply: r, Times: c.failFirst})
	}
	if c.rateLimit != "" {
		srv.RateLimit, _ = parseRate(c.rateLimit)
	}
	if c.disconnectAfter > 0 {
		srv.DisconnectAfter = c.disconnectAfter
	}
	srv.Faults = append(srv.Faults, c.faults...)
}

// oldFirmwareSuites are Go's secure suites and the RSA key exchange ones
// that TLS 1.0 firmware may offer alone.
func oldFirmwareSuites() []uint16 {
	var out []uint16
	for _, s := range tls.CipherSuites() {
		out = append(out, s.ID)
	}
	return append(out, tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA)
}

// eventSink logs a server's events, tells the page, and keeps a finished
// session with the messages it delivered.
func eventSink(bs *benchServer, logger *benchlog.Logger, store *emlstore.Store, web *benchweb.Handler) func(fakesmtp.Event) {
	return func(e fakesmtp.Event) {
		logger.Event(bs.name, e)
		if e.Kind == fakesmtp.EventClose {
			if s, ok := bs.srv.Session(e.Session); ok && s.Delivered > 0 {
				store.AttachSession(s)
			}
		}
		web.Notify()
	}
}

// serveDNS serves the scenario's first DNS server on real UDP and TCP
// sockets, its mail servers' names answering with the listen address.
func (c *serveFlags) serveDNS(sc *scenarios.Scenario, stdout io.Writer, logger *benchlog.Logger) (func(), error) {
	addr, err := netip.ParseAddr(c.listen)
	if err != nil || addr.IsUnspecified() {
		addr = netip.MustParseAddr("127.0.0.1")
		if ips := benchtls.Hosts("", c.listen); err == nil && len(ips) > 4 {
			// 0.0.0.0: the first interface address that is not loopback.
			if a, err := netip.ParseAddr(ips[4]); err == nil {
				addr = a
			}
		}
	}
	services := sc.BenchDNS(addr)
	if len(services) == 0 {
		return func() {}, nil
	}
	if len(services) > 1 {
		fmt.Fprintf(stdout, "dns: the scenario has %d DNS servers; serving the first, %s\n", len(services), services[0].Name)
	}
	srv := &benchdns.Server{Service: services[0].Service, OnQuery: func(client net.Addr, replied int, err error) {
		f := []benchlog.Field{{Key: "server", Value: "dns"}, {Key: "event", Value: "query"}, {Key: "remote", Value: client.String()}, {Key: "reply", Value: strconv.Itoa(replied) + " bytes"}}
		if replied == 0 {
			f[3].Value = "none (fault)"
		}
		if err != nil {
			f = append(f, benchlog.Field{Key: "reason", Value: err.Error()})
		}
		logger.Line(time.Now(), f...)
	}}
	hostport := net.JoinHostPort(c.listen, strconv.Itoa(c.dnsPort))
	pc, err := net.ListenPacket("udp", hostport)
	if err != nil {
		return nil, fmt.Errorf("dns port: %w", err)
	}
	l, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("dns port (TCP): %w", err)
	}
	go srv.ServeUDP(pc)
	go srv.ServeTCP(l)
	fmt.Fprintf(stdout, "%-11s listening on %s (UDP and TCP, names -> %s)\n", "dns", pc.LocalAddr(), addr)
	return func() { srv.Close() }, nil
}
