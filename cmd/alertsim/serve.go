package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"alertsim/fakesmtp"
)

// serve runs the fake server on real sockets, for a device on the bench.
func serve(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveUntil(ctx, args, stdout, stderr)
}

// serveUntil serves until ctx ends.
func serveUntil(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: alertsim serve [flags]")
		fmt.Fprintln(stderr, "\nA fake SMTP server for a real device on the bench. It stores every message")
		fmt.Fprintln(stderr, "and relays nothing anywhere. A port of -1 is not opened; 0 is any free port.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1", "`address` to listen on (0.0.0.0 for a device on the LAN)")
	smtpPort := fs.Int("smtp", 2525, "`port` for plain SMTP, without TLS")
	submission := fs.Int("submission", 2587, "`port` for submission with STARTTLS")
	submissions := fs.Int("submissions", 2465, "`port` for submission over implicit TLS")
	dir := fs.String("dir", "", "`directory` to write each message to as a .eml file, and the CA certificate as ca.pem")
	user := fs.String("user", "", "user `name` of the one account (no account: any client may send)")
	password := fs.String("password", "", "`password` of the account")
	preset := fs.String("preset", "", "answer like `preset`: "+strings.Join(fakesmtp.PresetNames(), ", "))
	domain := fs.String("domain", "localhost", "`name` in the greeting, and in the certificate")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "alertsim serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if (*user == "") != (*password == "") {
		fmt.Fprintln(stderr, "alertsim serve: -user and -password go together")
		return 2
	}

	ca, err := fakesmtp.NewCA("alertsim serve CA")
	if err != nil {
		fmt.Fprintf(stderr, "alertsim serve: %v\n", err)
		return 1
	}
	cert, err := ca.Issue(fakesmtp.CertOptions{Hosts: []string{*domain, *listen, "localhost", "127.0.0.1"}})
	if err != nil {
		fmt.Fprintf(stderr, "alertsim serve: %v\n", err)
		return 1
	}
	if _, ok := fakesmtp.LookupPreset(*preset); *preset != "" && !ok {
		fmt.Fprintf(stderr, "alertsim serve: unknown preset %q (presets: %s)\n", *preset, strings.Join(fakesmtp.PresetNames(), ", "))
		return 2
	}
	// The plain port takes mail from anyone, as a port 25 does; the
	// submission ports want the account's login, as submission does. So
	// they are two servers, numbering their messages together.
	newServer := func(submission bool) *fakesmtp.Server {
		srv := fakesmtp.NewServer()
		srv.Domain = *domain
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.Keep = 1000 // a bench server runs for days: the files are the record
		if *user != "" {
			srv.Accounts = []fakesmtp.Account{{Username: *user, Password: *password}}
		}
		if p, ok := fakesmtp.LookupPreset(*preset); ok {
			p.Apply(srv)
		}
		srv.AuthRequired = submission && len(srv.Accounts) > 0
		return srv
	}
	plainSrv, subSrv := newServer(false), newServer(true)
	if *dir != "" {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			fmt.Fprintf(stderr, "alertsim serve: %v\n", err)
			return 1
		}
		caFile := filepath.Join(*dir, "ca.pem")
		if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o644); err != nil {
			fmt.Fprintf(stderr, "alertsim serve: %v\n", err)
			return 1
		}
	}

	var mu sync.Mutex // one line per message, whole, and its number
	count := 0
	onMessage := func(m *fakesmtp.Message) {
		mu.Lock()
		defer mu.Unlock()
		count++
		where := ""
		if *dir != "" {
			path, err := writeEML(*dir, *domain, count, m)
			if err != nil {
				where = " (NOT SAVED: " + err.Error() + ")"
			} else {
				where = " -> " + path
			}
		}
		fmt.Fprintf(stdout, "%s message %d from %s: %s%s\n", time.Now().Format("15:04:05"), count, m.Remote, describeMessage(m), where)
	}
	plainSrv.OnMessage, subSrv.OnMessage = onMessage, onMessage

	type port struct {
		name string
		port int
		mode fakesmtp.Mode
		srv  *fakesmtp.Server
	}
	var listeners []net.Listener
	errc := make(chan error, 3)
	for _, p := range []port{{"smtp", *smtpPort, fakesmtp.Plain, plainSrv}, {"submission", *submission, fakesmtp.StartTLS, subSrv}, {"submissions", *submissions, fakesmtp.ImplicitTLS, subSrv}} {
		if p.port < 0 {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort(*listen, strconv.Itoa(p.port)))
		if err != nil {
			fmt.Fprintf(stderr, "alertsim serve: %s port: %v\n", p.name, err)
			for _, l := range listeners {
				l.Close()
			}
			return 1
		}
		listeners = append(listeners, l)
		fmt.Fprintf(stdout, "%-11s listening on %s (%v)\n", p.name, l.Addr(), p.mode)
		go func() { errc <- p.srv.Serve(l, p.mode) }()
	}
	if len(listeners) == 0 {
		fmt.Fprintln(stderr, "alertsim serve: every port is disabled")
		return 2
	}
	sum := sha256.Sum256(ca.Cert.Raw)
	fmt.Fprintf(stdout, "CA certificate sha256 %s", hex.EncodeToString(sum[:]))
	if *dir != "" {
		fmt.Fprintf(stdout, ", in %s", filepath.Join(*dir, "ca.pem"))
	}
	fmt.Fprintln(stdout)
	if *dir == "" {
		fmt.Fprintln(stdout, "messages are kept in memory only: give -dir to save them")
	}

	status := 0
	select {
	case <-ctx.Done():
	case err := <-errc:
		fmt.Fprintf(stderr, "alertsim serve: %v\n", err)
		status = 1
	}
	plainSrv.Close()
	subSrv.Close()
	fmt.Fprintf(stdout, "stopped after %d message(s)\n", plainSrv.Accepted()+subSrv.Accepted())
	return status
}

func describeMessage(m *fakesmtp.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<%s> -> <%s>, %d bytes", m.From, strings.Join(m.To, ">, <"), len(m.Raw))
	if n := len(m.Attachments()); n > 0 {
		fmt.Fprintf(&b, ", %d attachment(s)", n)
	}
	if m.TLS != nil {
		fmt.Fprintf(&b, ", %s", m.TLS.Version)
	}
	if m.AuthUser != "" {
		fmt.Fprintf(&b, ", AUTH %s %s", m.AuthMechanism, m.AuthUser)
	}
	return b.String()
}

// writeEML writes a message to dir: a Received line, then the message as
// it came. It is written to a temporary name and renamed, so that a reader
// watching the directory never sees half a file.
func writeEML(dir, domain string, n int, m *fakesmtp.Message) (string, error) {
	name := fmt.Sprintf("%s-%06d.eml", m.Received.UTC().Format("20060102T150405.000"), n)
	path := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, ".incoming-*")
	if err != nil {
		return "", err
	}
	_, err = io.WriteString(f, receivedLine(domain, n, m))
	if err == nil {
		_, err = f.Write(m.Raw)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return path, nil
}

// receivedLine is the trace header a server adds (RFC 5321 section
// 4.4); the protocol names are RFC 3848's.
func receivedLine(domain string, n int, m *fakesmtp.Message) string {
	with := "ESMTP"
	if m.TLS != nil {
		with += "S"
	}
	if m.AuthUser != "" {
		with += "A"
	}
	ip, _, _ := net.SplitHostPort(m.Remote)
	return fmt.Sprintf("Received: from %s ([%s])\r\n\tby %s (alertsim) with %s id %d;\r\n\t%s\r\n",
		m.Helo, ip, domain, with, n, m.Received.Format(time.RFC1123Z))
}
