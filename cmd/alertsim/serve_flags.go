package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"alertsim/fakesmtp"
	"alertsim/internal/smtpstatus"
)

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
	// As a scenario's fault: NewReply would drop a code that is none,
	// and send one of another class as it is.
	if c, err := smtpstatus.Parse(enhanced); enhanced != "" && (err != nil || !c.Matches(code)) {
		return fmt.Errorf("%q is not an enhanced status code for a %d reply: class.subject.detail, the class matching the code (5.1.1 for 550)", enhanced, code)
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
	fs.IntVar(&c.dnsPort, "dns", 5353, "with -scenario: UDP and TCP `port` of its DNS server (-1: none; 0: one free for both)")
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
	if c.scenario == "" && c.preset == "" || c.set["max-size"] {
		if err := c.keepsLargest("", c.maxSize); err != nil {
			return bad("%v", err)
		}
	}
	return c, 0
}

// keepsLargest checks that -keep-bytes can keep the largest message a
// server accepts: a 250 is for a message kept, and one past -keep-bytes
// alone would be let go the moment it came, or the store would hold more
// than it was told. server names the server whose limit it is, if not
// -max-size's.
func (c *serveFlags) keepsLargest(server string, maxSize int64) error {
	if c.keepBytes <= 0 || maxSize > 0 && maxSize <= c.keepBytes {
		return nil
	}
	limit := fmt.Sprintf("-max-size %d", maxSize)
	if server != "" {
		limit = fmt.Sprintf("%s's largest message, %d bytes", server, maxSize)
	}
	if maxSize <= 0 {
		return fmt.Errorf("-keep-bytes %d with -max-size 0 (no limit): a message larger than -keep-bytes would be answered 250 and not kept; give -max-size no larger than -keep-bytes", c.keepBytes)
	}
	return fmt.Errorf("-keep-bytes %d is below %s: such a message would be answered 250 and not kept; give -keep-bytes of at least %d, or a smaller -max-size", c.keepBytes, limit, maxSize)
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
