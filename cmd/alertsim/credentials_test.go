package main

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawSession is a client speaking SMTP bytes as they are, to send what a
// well-behaved library would not.
type rawSession struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawSession {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A bound on a test that would otherwise hang on a server that says
	// nothing; no wait depends on it.
	c.SetDeadline(time.Now().Add(time.Minute))
	s := &rawSession{t: t, conn: c, r: bufio.NewReader(c)}
	s.reply()
	return s
}

// reply reads one reply and returns its last line.
func (s *rawSession) reply() string {
	s.t.Helper()
	for {
		l, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading a reply: %v", err)
		}
		if len(l) < 4 || l[3] != '-' {
			return strings.TrimRight(l, "\r\n")
		}
	}
}

// send writes p in one write and checks the replies that come to it.
func (s *rawSession) send(p string, want ...string) {
	s.t.Helper()
	if _, err := io.WriteString(s.conn, p); err != nil {
		s.t.Fatal(err)
	}
	for _, w := range want {
		if got := s.reply(); !strings.HasPrefix(got, w) {
			s.t.Errorf("after %q: reply %q, want %q", p, got, w)
		}
	}
}

func (s *rawSession) startTLS() {
	s.t.Helper()
	s.send("STARTTLS\r\n", "220 ")
	tc := tls.Client(s.conn, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		s.t.Fatal(err)
	}
	s.conn, s.r = tc, bufio.NewReader(tc)
}

// TestPipelinedAuthLeavesNoCredential: a client that pipelines AUTH with
// its answers, on the plain port where AUTH is refused (503) and after a
// login where it is refused again (503 Already authenticated), has no
// credential of its in serve's log, in the sessions API, in the page's
// data or on disk: the lines that came with the AUTH are redacted, never
// recorded as commands.
func TestPipelinedAuthLeavesNoCredential(t *testing.T) {
	const password = "S3cr3t-Bench-Pw!"
	t.Setenv("ALERTSIM_TEST_SMTP_PW", password)
	s := startServe(t, "-user", benchUser, "-password-env", "ALERTSIM_TEST_SMTP_PW")
	b64 := func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }
	blob := b64("\x00" + benchUser + "\x00" + password)
	secrets := []string{password, b64(password), b64(benchUser), blob}

	plain := dialRaw(t, s.ports["smtp"])
	plain.send("EHLO camera\r\n", "250 ")
	plain.send("AUTH LOGIN\r\n"+b64(benchUser)+"\r\n"+b64(password)+"\r\n", "503 5.5.1", "501 5.5.2", "501 5.5.2")
	plain.send("MAIL FROM:<camera@example.com>\r\n", "250 ")
	plain.send("RCPT TO:<owner@example.com>\r\n", "250 ")
	plain.send("DATA\r\n", "354 ")
	plain.send("Subject: after a pipelined AUTH\r\n\r\nMotion.\r\n.\r\n", "250 ")
	plain.send("QUIT\r\n", "221 ")

	sub := dialRaw(t, s.ports["submission"])
	sub.send("EHLO camera\r\n", "250 ")
	sub.startTLS()
	sub.send("EHLO camera\r\n", "250 ")
	sub.send("AUTH PLAIN "+blob+"\r\n", "235 ")
	sub.send("AUTH PLAIN\r\n"+blob+"\r\n", "503 5.5.1 Already authenticated", "501 5.5.2")
	sub.send("QUIT\r\n", "221 ")

	// Everything serve prints until both sessions have ended.
	var log strings.Builder
	for closed := 0; closed < 2; {
		line := s.waitLine(t, "")
		log.WriteString(line + "\n")
		if strings.Contains(line, "event=close") {
			closed++
		}
	}
	if !strings.Contains(log.String(), "event=refused") {
		t.Fatalf("no refusal logged:\n%s", log.String())
	}
	texts := map[string]string{"the log": log.String()}
	get := func(path string) string {
		resp, err := http.Get(s.web + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	var sessions struct{ Sessions []struct{ ID string } }
	getJSON(t, s.web+"/api/v1/sessions", &sessions)
	if len(sessions.Sessions) != 2 {
		t.Fatalf("%d sessions, want 2", len(sessions.Sessions))
	}
	texts["/api/v1/sessions"] = get("/api/v1/sessions")
	for _, sess := range sessions.Sessions {
		p := "/api/v1/sessions/" + sess.ID
		texts[p] = get(p)
		if !strings.Contains(texts[p], `"text": "[redacted]"`) {
			t.Errorf("%s has no redacted line:\n%s", p, texts[p])
		}
	}
	var l apiList
	getJSON(t, s.web+"/api/v1/messages/wait?count=1&timeout=30s", &l)
	if len(l.Messages) != 1 {
		t.Fatalf("messages: %+v", l)
	}
	texts["the message"] = get("/api/v1/messages/" + l.Messages[0].Key)
	s.stop()
	files, _ := filepath.Glob(filepath.Join(s.dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		texts[f] = string(b)
	}
	for where, text := range texts {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds a credential (%q):\n%s", where, secret, text)
			}
		}
	}
}
