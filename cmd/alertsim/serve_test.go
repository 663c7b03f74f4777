package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// served is a running `alertsim serve`, in this process.
type served struct {
	ports map[string]string // "smtp" -> "127.0.0.1:40001"
	web   string            // "http://127.0.0.1:40003"
	dir   string
	lines chan string // what it prints, after the start-up lines
	stop  func() int
}

var (
	listening = regexp.MustCompile(`^(\S+) +listening on (\S+) `)
	webPage   = regexp.MustCompile(`^web page +on (\S+)/$`)
)

func startServe(t *testing.T, extra ...string) *served {
	t.Helper()
	dir := t.TempDir()
	return startServeIn(t, dir, extra...)
}

// startServeIn runs serve with -dir dir, on free ports.
func startServeIn(t testing.TB, dir string, extra ...string) *served {
	t.Helper()
	args := append([]string{"-smtp", "0", "-submission", "0", "-submissions", "0", "-http", "127.0.0.1:0", "-dir", dir}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- serveUntil(ctx, args, pw, pw)
		pw.Close()
	}()
	s := &served{ports: map[string]string{}, dir: dir, lines: make(chan string, 100)}
	scan := bufio.NewScanner(pr)
	for scan.Scan() {
		line := scan.Text()
		if m := listening.FindStringSubmatch(line); m != nil {
			s.ports[m[1]] = m[2]
		}
		if m := webPage.FindStringSubmatch(line); m != nil {
			s.web = m[1]
		}
		if strings.HasPrefix(line, "CA certificate") {
			break
		}
		if strings.HasPrefix(line, "alertsim serve:") {
			t.Fatal(line)
		}
	}
	go func() {
		for scan.Scan() {
			s.lines <- scan.Text()
		}
		close(s.lines)
	}()
	var once sync.Once
	code := 0
	s.stop = func() int {
		once.Do(func() {
			cancel()
			code = <-done
		})
		return code
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// waitLine returns the next line serve prints that contains want.
func (s *served) waitLine(t testing.TB, want string) string {
	t.Helper()
	for line := range s.lines {
		if strings.Contains(line, want) {
			return line
		}
	}
	t.Fatalf("serve ended without printing %q", want)
	return ""
}

// eml returns the messages written to the directory, the trace fields
// (Return-Path, Delivered-To, Received) cut off, in order.
func (s *served) eml(t *testing.T) [][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.dir, "*.eml"))
	slices.Sort(files)
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "Return-Path: <") {
			t.Errorf("%s does not start with a Return-Path line", f)
		}
		i := strings.Index(string(b), "\r\nReceived: from ")
		if i < 0 {
			t.Fatalf("%s has no Received field", f)
		}
		b = b[i+2:]
		// The Received field and its two folded lines.
		for range 3 {
			b = b[strings.Index(string(b), "\r\n")+2:]
		}
		out = append(out, b)
	}
	return out
}

// requireTool finds a real client to test against. make test installs
// them; in CI a missing one is a failure, never a silent skip.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed; make test installs it (apt-get install %s)", name, name)
	}
	t.Skipf("%s is not installed; make test installs it (apt-get install %s)", name, name)
	return ""
}

const (
	benchUser     = "camera"
	benchPassword = "bench-secret"
)

// message is what the client sends; swaks ends the data with CRLF, so the
// file leaves it out and the server stores message + "\r\n".
const message = "From: camera@example.com\r\nTo: owner@example.com\r\nSubject: bench test\r\n\r\nMotion at the gate.\r\n.a line that starts with a dot"

func TestServeWithSwaks(t *testing.T) {
	swaks := requireTool(t, "swaks")
	s := startServe(t, "-user", benchUser, "-password", benchPassword)
	data := filepath.Join(t.TempDir(), "message.eml")
	os.WriteFile(data, []byte(message), 0o644)

	for _, tc := range []struct {
		name string
		args []string
		want string // in the line serve prints
	}{
		{"submission: STARTTLS and AUTH LOGIN", []string{"--port", port(s.ports["submission"]), "--tls", "--auth", "LOGIN", "--auth-user", benchUser, "--auth-password", benchPassword}, `server=submission session=1 event=message`},
		{"submissions: implicit TLS and AUTH PLAIN", []string{"--port", port(s.ports["submissions"]), "--tls-on-connect", "--auth", "PLAIN", "--auth-user", benchUser, "--auth-password", benchPassword}, `server=submission session=2 event=message`},
		{"smtp: plain", []string{"--port", port(s.ports["smtp"])}, "server=smtp session=1 event=message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			args := append([]string{"--server", "127.0.0.1", "--from", "camera@example.com", "--to", "owner@example.com", "--data", data}, tc.args...)
			out, err := exec.CommandContext(ctx, swaks, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("swaks: %v\n%s", err, out)
			}
			line := s.waitLine(t, "event=message")
			if !strings.Contains(line, tc.want) || !strings.Contains(line, "from=camera@example.com to=owner@example.com") {
				t.Errorf("serve printed %q, want it to mention %q", line, tc.want)
			}
			if strings.Contains(tc.name, "AUTH") && !strings.Contains(line, `tls="TLS 1.3" user=camera`) {
				t.Errorf("serve printed %q, want the TLS version and the login", line)
			}
		})
	}
	if code := s.stop(); code != 0 {
		t.Errorf("serve exited %d", code)
	}
	msgs := s.eml(t)
	if len(msgs) != 3 {
		t.Fatalf("%d messages in -dir, want 3", len(msgs))
	}
	for i, m := range msgs {
		if string(m) != message+"\r\n" {
			t.Errorf("message %d differs from what swaks sent:\n%q\nwant\n%q", i+1, m, message+"\r\n")
		}
	}
	assertNoCredentials(t, s.dir)
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

// TestServeWithNetSMTP sends with Go's net/smtp client, which verifies the
// server's certificate against the CA serve writes to -dir.
func TestServeWithNetSMTP(t *testing.T) {
	s := startServe(t, "-user", benchUser, "-password", benchPassword)
	pem, err := os.ReadFile(filepath.Join(s.dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("ca.pem holds no certificate")
	}
	c, err := smtp.Dial(s.ports["submission"])
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StartTLS(&tls.Config{ServerName: "localhost", RootCAs: roots}); err != nil {
		t.Fatalf("STARTTLS with a verified certificate: %v", err)
	}
	if err := c.Auth(smtp.PlainAuth("", benchUser, benchPassword, "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	c.Mail("camera@example.com")
	c.Rcpt("owner@example.com")
	w, _ := c.Data()
	io.WriteString(w, message+"\r\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	s.waitLine(t, "event=message")
	s.stop()
	if msgs := s.eml(t); len(msgs) != 1 || string(msgs[0]) != message+"\r\n" {
		t.Errorf("stored %q", msgs)
	}
	assertNoCredentials(t, s.dir)
}

// TestServeRequiresLoginOnSubmission: with an account, the submission
// ports refuse mail without its login; the plain port takes it.
func TestServeRequiresLoginOnSubmission(t *testing.T) {
	s := startServe(t, "-user", benchUser, "-password", benchPassword)
	c, err := smtp.Dial(s.ports["submission"])
	if err != nil {
		t.Fatal(err)
	}
	c.StartTLS(&tls.Config{InsecureSkipVerify: true})
	if err := c.Mail("camera@example.com"); err == nil || !strings.HasPrefix(err.Error(), "530") {
		t.Errorf("MAIL without login on submission: %v, want 530", err)
	}
	c.Close()
	if err := smtp.SendMail(s.ports["smtp"], nil, "camera@example.com", []string{"owner@example.com"}, []byte(message+"\r\n")); err != nil {
		t.Errorf("plain port: %v", err)
	}
}

func assertNoCredentials(t *testing.T, dir string) {
	t.Helper()
	b64 := base64.StdEncoding.EncodeToString
	secrets := []string{benchPassword, b64([]byte(benchPassword)), b64([]byte("\x00" + benchUser + "\x00" + benchPassword)), b64([]byte(benchUser))}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, secret := range secrets {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s contains a credential", f)
			}
		}
	}
}

func TestServeBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-user", "x"},
		{"-preset", "aol-like"},
		{"-smtp", "-1", "-submission", "-1", "-submissions", "-1"},
		{"stray"},
	} {
		if code := serveUntil(context.Background(), args, io.Discard, io.Discard); code != 2 {
			t.Errorf("serve %q exited %d, want 2", args, code)
		}
	}
}

// TestServeExitsOnInterrupt runs the real command in a child process and
// stops it with SIGINT, as Ctrl-C does.
func TestServeExitsOnInterrupt(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ALERTSIM_MAIN=serve -smtp 0 -submission 0 -submissions 0 -http 127.0.0.1:0")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	scan := bufio.NewScanner(stdout)
	for scan.Scan() && !strings.HasPrefix(scan.Text(), "CA certificate") {
	}
	cmd.Process.Signal(syscall.SIGINT)
	var rest strings.Builder
	for scan.Scan() {
		rest.WriteString(scan.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGINT: %v", err)
	}
	if !strings.Contains(rest.String(), "stopped after 0 message(s)") {
		t.Errorf("output after SIGINT: %q", rest.String())
	}
}

// TestMain lets a test run the command itself in a child process.
func TestMain(m *testing.M) {
	if args := os.Getenv("ALERTSIM_MAIN"); args != "" {
		os.Exit(run(strings.Fields(args), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestKeepBytesBelowMaxSizeRefused: serve refuses to start with a
// -keep-bytes that could not keep the largest message it accepts, which
// would be answered 250 and let go at once; and with one as large, a
// message of -max-size, a little larger on disk with its trace fields, is
// kept.
func TestKeepBytesBelowMaxSizeRefused(t *testing.T) {
	for _, args := range [][]string{
		{"-keep-bytes", "1000"},
		{"-keep-bytes", "1000", "-max-size", "0"},
		{"-keep-bytes", "20000000", "-preset", "gmail-like"},
	} {
		var stderr strings.Builder
		// Cancelled: should serve start all the same, it stops at once.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		code := serveUntil(ctx, append([]string{"-smtp", "0", "-submission", "-1", "-submissions", "-1", "-http", "", "-dir", t.TempDir()}, args...), io.Discard, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "-keep-bytes") {
			t.Errorf("serve %q: exit %d, %q; want 2 and why", args, code, stderr.String())
		}
	}
	s := startServe(t, "-keep-bytes", "3000", "-max-size", "3000")
	msg := "Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 98)+"\r\n", 29)
	if err := smtp.SendMail(s.ports["smtp"], nil, "camera@example.com", []string{"owner@example.com"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	var l apiList
	getJSON(t, s.web+"/api/v1/messages", &l)
	if l.Total != 1 {
		t.Errorf("a message of %d bytes answered 250, and the store holds %+v", len(msg), l)
	}
	if files, _ := filepath.Glob(filepath.Join(s.dir, "*.eml")); len(files) != 1 {
		t.Errorf("files %q", files)
	}
}

// TestServeFaultEnhancedCodeChecked: -fault takes an enhanced code only
// as a scenario's fault does, the class matching the reply's: one that
// is none, or of another class, is refused rather than dropped or sent.
func TestServeFaultEnhancedCodeChecked(t *testing.T) {
	for _, f := range []string{"rcpt:550:4.1.1", "rcpt:550:5.1", "mail:451:4.3:Try later", "data:421:x.y.z"} {
		if c, code := parseServeFlags([]string{"-fault", f}, io.Discard); c != nil || code != 2 {
			t.Errorf("-fault %s: taken (exit %d)", f, code)
		}
	}
	for _, f := range []string{"rcpt:550:5.1.1:No such user", "mail:451", "data:552::Too big"} {
		if c, code := parseServeFlags([]string{"-fault", f}, io.Discard); c == nil {
			t.Errorf("-fault %s: refused (exit %d)", f, code)
		}
	}
}
