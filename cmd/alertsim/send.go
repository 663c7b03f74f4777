package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"alertsim/sim/alert"
)

// sendSettings is the file `alertsim send` reads.
type sendSettings struct {
	Server struct {
		Host        string `yaml:"host"`
		Port        int    `yaml:"port"`
		ImplicitTLS bool   `yaml:"implicit_tls"`
		Security    string `yaml:"security"`
		Username    string `yaml:"username"`
		Password    string `yaml:"password"`
		// PasswordEnv names an environment variable holding the
		// password, so that it need not be in the file.
		PasswordEnv string `yaml:"password_env"`
	} `yaml:"server"`
	Hello    string   `yaml:"hello"`
	From     string   `yaml:"from"`
	FromName string   `yaml:"from_name"`
	To       []string `yaml:"to"`
	Subject  string   `yaml:"subject"`
	Text     string   `yaml:"text"`
	Attach   []string `yaml:"attach"`
	// CAFile adds certificates to the system's trust store.
	CAFile string `yaml:"ca_file"`
}

// sendSecurityHelp says which combinations of implicit_tls and security
// mean what.
const sendSecurityHelp = `How implicit_tls and security combine:
  implicit_tls: false (port 25 or 587), the session may upgrade with STARTTLS:
    security: none       never STARTTLS, plain text throughout
    security: optional   STARTTLS when offered, else plain text (Postfix's "may")
    security: required   STARTTLS or fail, any certificate ("encrypt")
    security: certified  STARTTLS or fail, the certificate verified ("verify", the default)
  implicit_tls: true (port 465), TLS from the first byte:
    security: optional or required   any certificate
    security: certified              the certificate verified (the default)
    security: none       refused: TLS on connect cannot be "no TLS"`

const sendExample = `server:
  host: smtp.gmail.com
  port: 465
  implicit_tls: true
  security: certified          # none, optional, required or certified
  username: you@gmail.com
  password_env: SMTP_PASSWORD  # or password: ...
from: you@gmail.com
to: [you@example.com]
subject: alertsim test
text: A test from the alert pipeline.
attach: [snapshot.jpg]`

// send runs the alert pipeline once, in real time, on the real network.
func send(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return sendWith(ctx, args, stdout, stderr)
}

func sendWith(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: alertsim send [-probe] [-timeout d] SETTINGS.yaml")
		fmt.Fprintln(stderr, "\nSends one alert through a real server with the device's pipeline. A settings file:")
		fmt.Fprintf(stderr, "\n%s\n\n%s\n\n", sendExample, sendSecurityHelp)
		fs.PrintDefaults()
	}
	probe := fs.Bool("probe", false, "check that the server's port answers before sending, as Test Email can")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this `long`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	s, msg, client, srv, err := loadSend(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "alertsim send: %v\n", err)
		return 2
	}
	client.Log = func(e alert.Event) { fmt.Fprintf(stdout, "%s  %s\n", e.Time.Format("15:04:05.000"), e.Text) }

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res := client.TestEmail(ctx, srv, alert.Envelope{From: s.From, To: s.To}, msg, *probe)
	if res.Probe != "" {
		fmt.Fprintf(stdout, "probe: %s\n", res.Probe)
	}
	if res.OK {
		fmt.Fprintln(stdout, "sent.")
		return 0
	}
	// What happened, not the device UI's words for it (which would say
	// "SSL/TLS handshake failed" for a server that offers no STARTTLS).
	var e *alert.Error
	if errors.As(res.Err, &e) {
		fmt.Fprintf(stdout, "not sent: %v (%s, at %s)\n", e.Err, e.Class, e.Stage)
	} else {
		fmt.Fprintf(stdout, "not sent: %v\n", res.Err)
	}
	return 1
}

// loadSend reads the settings and composes the message.
func loadSend(path string) (*sendSettings, []byte, *alert.Client, alert.Server, error) {
	var s sendSettings
	var srv alert.Server
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, srv, err
	}
	if err := yaml.UnmarshalWithOptions(data, &s, yaml.Strict()); err != nil {
		return nil, nil, nil, srv, fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, true))
	}
	switch {
	case s.Server.Host == "":
		return nil, nil, nil, srv, fmt.Errorf("%s: server.host is missing", path)
	case s.From == "" || len(s.To) == 0:
		return nil, nil, nil, srv, fmt.Errorf("%s: from and to are needed", path)
	}
	if s.Server.Port == 0 {
		s.Server.Port = 587
		if s.Server.ImplicitTLS {
			s.Server.Port = 465
		}
	}
	sec, ok := alert.ParseSecurity(s.Server.Security)
	if s.Server.Security == "" {
		sec, ok = alert.SecurityCertified, true
	}
	if !ok {
		return nil, nil, nil, srv, fmt.Errorf("%s: security %q: use none, optional, required or certified", path, s.Server.Security)
	}
	if s.Server.ImplicitTLS && sec == alert.SecurityNone {
		return nil, nil, nil, srv, fmt.Errorf("%s: security none with implicit_tls: true contradict each other: implicit TLS always encrypts; use security: required (any certificate) or certified, or implicit_tls: false for plain text (alertsim send -h explains)", path)
	}
	for _, f := range []struct{ name, value string }{{"from_name", s.FromName}, {"subject", s.Subject}, {"from", s.From}, {"hello", s.Hello}, {"to", strings.Join(s.To, " ")}} {
		if strings.ContainsAny(f.value, "\r\n") {
			return nil, nil, nil, srv, fmt.Errorf("%s: %s holds a line break (CR or LF): a header or command cannot", path, f.name)
		}
	}
	password := s.Server.Password
	if s.Server.PasswordEnv != "" {
		password = os.Getenv(s.Server.PasswordEnv)
		if password == "" {
			return nil, nil, nil, srv, fmt.Errorf("%s: the environment variable %s holding the password is empty", path, s.Server.PasswordEnv)
		}
	}
	srv = alert.Server{Host: s.Server.Host, Port: s.Server.Port, ImplicitTLS: s.Server.ImplicitTLS, Security: sec, Username: s.Server.Username, Password: password}

	a := alert.Alert{
		FromName: s.FromName, FromAddress: s.From, To: s.To,
		Subject: s.Subject, Date: time.Now(), Text: s.Text,
		MessageID: alert.MessageID(uint64(time.Now().UnixNano()), hostname(), 1),
	}
	for _, f := range s.Attach {
		if !filepath.IsAbs(f) {
			f = filepath.Join(filepath.Dir(path), f)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, nil, srv, err
		}
		ct := mime.TypeByExtension(filepath.Ext(f))
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.Attachments = append(a.Attachments, alert.Attachment{Name: filepath.Base(f), ContentType: strings.Split(ct, ";")[0], Data: b})
	}
	msg, err := alert.Compose(a)
	if err != nil {
		return nil, nil, nil, srv, err
	}

	client := &alert.Client{Dial: (&net.Dialer{}).DialContext, Resolver: alert.SystemResolver{}, HelloName: s.Hello}
	if s.CAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(s.CAFile)
		if err == nil && !pool.AppendCertsFromPEM(pem) {
			err = errors.New("no certificate in it")
		}
		if err != nil {
			return nil, nil, nil, srv, fmt.Errorf("ca_file %s: %v", s.CAFile, err)
		}
		client.RootCAs = pool
	}
	return &s, msg, client, srv, nil
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	return h
}
