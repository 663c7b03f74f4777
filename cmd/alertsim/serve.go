package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
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
		// A preset's or a scenario's own limit, which -max-size does
		// not override unless given.
		if err := c.keepsLargest(bs.name, bs.srv.MaxMessageBytes); err != nil {
			fmt.Fprintf(stderr, "alertsim serve: %v\n", err)
			return 2
		}
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
		stop, err := c.serveDNS(sc, stdout, logger, errc)
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

// listenDNS listens on UDP and TCP on one port, as a DNS server does. For
// port 0 it tries free UDP ports until one is free for TCP too.
func listenDNS(host string, port int) (net.PacketConn, net.Listener, error) {
	for tries := 0; ; tries++ {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, nil, fmt.Errorf("dns port: %w", err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		if port != 0 || tries == 100 {
			return nil, nil, fmt.Errorf("dns port (TCP): %w", err)
		}
	}
}

// serveDNS serves the scenario's first DNS server on real UDP and TCP
// sockets, its mail servers' names answering with the listen address.
// Serving survives failed reads and accepts (each logged); should it end
// all the same, errc says so and serve stops, as for the SMTP ports.
func (c *serveFlags) serveDNS(sc *scenarios.Scenario, stdout io.Writer, logger *benchlog.Logger, errc chan<- error) (func(), error) {
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
		switch {
		case replied == 0 && err == nil:
			f[3].Value = "none (fault)"
		case replied == 0:
			f[3].Value = "none"
		}
		if err != nil {
			f = append(f, benchlog.Field{Key: "reason", Value: err.Error()})
		}
		logger.Line(time.Now(), f...)
	}, OnError: func(err error, retry time.Duration) {
		reason := err.Error()
		if retry > 0 {
			reason += fmt.Sprintf("; trying again in %v", retry)
		}
		logger.Line(time.Now(), benchlog.Field{Key: "server", Value: "dns"}, benchlog.Field{Key: "event", Value: "accept-error"}, benchlog.Field{Key: "reason", Value: reason})
	}}
	pc, l, err := listenDNS(c.listen, c.dnsPort)
	if err != nil {
		return nil, err
	}
	// Each returns nil once stopped; anything else is an end serve must
	// not miss.
	go func() {
		if err := srv.ServeUDP(pc); err != nil {
			errc <- fmt.Errorf("dns (UDP): %w", err)
		}
	}()
	go func() {
		if err := srv.ServeTCP(l); err != nil {
			errc <- fmt.Errorf("dns (TCP): %w", err)
		}
	}()
	fmt.Fprintf(stdout, "%-11s listening on %s (UDP and TCP, names -> %s)\n", "dns", pc.LocalAddr(), addr)
	return func() { srv.Close() }, nil
}
