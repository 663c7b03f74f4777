package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// getJSON fetches an API path and decodes it.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return resp.StatusCode
}

type apiList struct {
	Total    int `json:"total"`
	Messages []struct {
		Key, From, Subject string
		To                 []string
		Attachments        *int
	} `json:"messages"`
}

// TestAPI: list, wait, get, raw, parts, delete, and the sessions, from Go.
func TestAPI(t *testing.T) {
	s := startServe(t, "-user", benchUser, "-password", benchPassword)
	api := s.web + "/api/v1"
	// The wait is asked before the mail is sent: it returns when it comes.
	type result struct {
		code int
		list apiList
	}
	waited := make(chan result, 1)
	go func() {
		var l apiList
		code := getJSON(t, api+"/messages/wait?count=1&timeout=30s", &l)
		waited <- result{code, l}
	}()
	body := "From: camera@example.com\r\nTo: owner@example.com\r\nSubject: api test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=log.bin\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--b--\r\n"
	if err := smtp.SendMail(s.ports["smtp"], nil, "camera@example.com", []string{"owner@example.com", "bcc@example.com"}, []byte(body)); err != nil {
		t.Fatal(err)
	}
	r := <-waited
	if r.code != 200 || r.list.Total != 1 || r.list.Messages[0].Subject != "api test" {
		t.Fatalf("wait: %d %+v", r.code, r.list)
	}
	key := r.list.Messages[0].Key
	// Not parsed yet: the count is not known, and the list says so.
	if n := r.list.Messages[0].Attachments; n != nil {
		t.Errorf("attachments before the message is parsed: %d, want null", *n)
	}
	var d struct {
		From    string
		To      []string
		Text    string
		Parts   []struct{ Path, ContentType, Filename string }
		Session *struct {
			ID         string
			Delivered  int
			Transcript []struct{ Who, Text string }
		}
	}
	if code := getJSON(t, api+"/messages/"+key, &d); code != 200 || d.Text != "hello" || len(d.Parts) != 3 || d.Parts[2].Filename != "log.bin" || len(d.To) != 2 {
		t.Errorf("get: %d %+v", code, d)
	}
	if d.Session == nil || d.Session.Delivered != 1 || len(d.Session.Transcript) == 0 {
		t.Errorf("the message's session: %+v", d.Session)
	}
	var parsed apiList
	getJSON(t, api+"/messages", &parsed)
	if n := parsed.Messages[0].Attachments; n == nil || *n != 1 {
		t.Errorf("attachments once parsed: %v, want 1", n)
	}
	for path, want := range map[string]string{"/raw": "Delivered-To: bcc@example.com\r\n", "/parts/2": "\x00\x01\x02\x03", "/parts/1": "hello"} {
		resp, err := http.Get(api + "/messages/" + key + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("%s: %q, want it to hold %q", path, b, want)
		}
	}
	var sessions struct {
		Total    int
		Sessions []struct {
			ID, Problem string
			Failed      bool
		}
	}
	// A session with a wrong password, then the failed ones.
	c, err := smtp.Dial(s.ports["submission"])
	if err != nil {
		t.Fatal(err)
	}
	c.StartTLS(&tls.Config{InsecureSkipVerify: true})
	if err := c.Auth(smtp.PlainAuth("", benchUser, "wrong", "127.0.0.1")); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	c.Quit()
	if code := getJSON(t, api+"/sessions/wait?failed=1&count=1&timeout=30s", &sessions); code != 200 || sessions.Total != 1 || !strings.HasPrefix(sessions.Sessions[0].Problem, "535 5.7.8") {
		t.Errorf("failed sessions: %d %+v", code, sessions)
	}
	req, _ := http.NewRequest(http.MethodDelete, api+"/messages/"+key, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("delete: %v %v", resp, err)
	}
	var after apiList
	getJSON(t, api+"/messages", &after)
	if after.Total != 0 {
		t.Errorf("after delete: %+v", after)
	}
	if files, _ := filepath.Glob(filepath.Join(s.dir, "*.eml")); len(files) != 0 {
		t.Errorf("after delete, files %q", files)
	}
	resp, err := http.Get(s.web + "/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := io.ReadAll(resp.Body)
	onDisk, _ := os.ReadFile(filepath.Join(s.dir, "ca.pem"))
	if !bytes.Equal(pem, onDisk) || !bytes.HasPrefix(pem, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Errorf("the page's ca.pem is not the directory's")
	}
}

// TestCurlExampleInTheDocs runs the example of docs/BENCH.md as written:
// serve, swaks, curl; only the default ports it names (2525, 8025) are
// replaced by the free ones this serve took, so that a serve someone runs
// on the machine does not fail the test, nor the test disturb it.
func TestCurlExampleInTheDocs(t *testing.T) {
	requireTool(t, "swaks")
	requireTool(t, "curl")
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "BENCH.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example -->\\s*```sh\\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/BENCH.md has no example block")
	}
	s := startServe(t)
	script := string(m[1])
	for def, free := range map[string]string{"127.0.0.1:2525": s.ports["smtp"], "http://127.0.0.1:8025": s.web} {
		if !strings.Contains(script, def) {
			t.Fatalf("the example no longer uses serve's default %s; update this test:\n%s", def, script)
		}
		script = strings.ReplaceAll(script, def, free)
	}
	out, err := exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("the example failed: %v\n%s\n%s", err, script, out)
	}
	if !strings.Contains(string(out), `"total": 1`) || !strings.Contains(string(out), `"subject": "bench test"`) {
		t.Errorf("the example printed:\n%s", out)
	}
}

// TestRestartKeepsMessagesAndCA: serve stopped and started again on the
// same -dir lists the earlier message and presents the same CA.
func TestRestartKeepsMessagesAndCA(t *testing.T) {
	dir := t.TempDir()
	s := startServeIn(t, dir)
	if err := smtp.SendMail(s.ports["smtp"], nil, "camera@example.com", []string{"owner@example.com"}, []byte(message+"\r\n")); err != nil {
		t.Fatal(err)
	}
	s.waitLine(t, "event=message")
	s.waitLine(t, "event=close")
	caBefore, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	s.stop()

	again := startServeIn(t, dir)
	var l apiList
	getJSON(t, again.web+"/api/v1/messages", &l)
	if l.Total != 1 || l.Messages[0].Subject != "bench test" {
		t.Fatalf("after the restart: %+v", l)
	}
	// The session that delivered it was kept with it.
	var d struct {
		Session *struct {
			Delivered  int
			Transcript []struct{ Who, Text string }
		}
	}
	getJSON(t, again.web+"/api/v1/messages/"+l.Messages[0].Key, &d)
	if d.Session == nil || d.Session.Delivered != 1 || len(d.Session.Transcript) < 5 {
		t.Errorf("the message's session after the restart: %+v", d.Session)
	}
	caAfter, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if !bytes.Equal(caBefore, caAfter) {
		t.Error("the restart made a new CA")
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caBefore)
	c, err := smtp.Dial(again.ports["submission"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{ServerName: "localhost", RootCAs: roots}); err != nil {
		t.Errorf("a client that trusts the first run's ca.pem: %v", err)
	}
}

// TestEHLOInjectionInTheFile: a name with CR and a header is refused; the
// .eml's Received field has the name the client gave next, and no
// injected header.
func TestEHLOInjectionInTheFile(t *testing.T) {
	s := startServe(t)
	c, err := net.Dial("tcp", s.ports["smtp"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	r.ReadString('\n')
	say := func(line string) string {
		io.WriteString(c, line)
		for {
			l, err := r.ReadString('\n')
			if err != nil || len(l) < 4 || l[3] != '-' {
				return strings.TrimSpace(l)
			}
		}
	}
	if got := say("EHLO cam\rX-Injected: yes\r\n"); !strings.HasPrefix(got, "501 5.5.2") {
		t.Errorf("EHLO with a CR: %q", got)
	}
	say("EHLO camera\r\n")
	say("MAIL FROM:<camera@example.com>\r\n")
	say("RCPT TO:<owner@example.com>\r\n")
	say("DATA\r\n")
	if got := say("Subject: x\r\n\r\nbody\r\n.\r\n"); !strings.HasPrefix(got, "250 ") {
		t.Fatalf("data: %q", got)
	}
	s.waitLine(t, "event=message")
	files, _ := filepath.Glob(filepath.Join(s.dir, "*.eml"))
	b, _ := os.ReadFile(files[0])
	if bytes.Contains(b, []byte("X-Injected")) || !bytes.Contains(b, []byte("Received: from camera ([127.0.0.1])")) {
		t.Errorf("the file:\n%s", b)
	}
}

// TestOldTLSOnRequest: TLS 1.0 firmware is refused by default and served
// with -min-tls 1.0 (RSA key exchange too, as such firmware offers).
func TestOldTLSOnRequest(t *testing.T) {
	old := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}}
	try := func(s *served) error {
		conn, err := tls.Dial("tcp", s.ports["submissions"], old)
		if err != nil {
			return err
		}
		defer conn.Close()
		l, err := bufio.NewReader(conn).ReadString('\n')
		if !strings.HasPrefix(l, "220 ") {
			return fmt.Errorf("greeting %q %v", l, err)
		}
		if v := conn.ConnectionState().Version; v != tls.VersionTLS10 {
			return fmt.Errorf("version %x", v)
		}
		return nil
	}
	if err := try(startServe(t)); err == nil {
		t.Error("TLS 1.0 accepted by default")
	}
	if err := try(startServe(t, "-min-tls", "1.0", "-key-type", "rsa")); err != nil {
		t.Errorf("TLS 1.0 with -min-tls 1.0: %v", err)
	}
}

// TestGmailLikePlainPort: with -preset gmail-like the plain port offers the
// STARTTLS it requires, and a client that uses it gets through.
func TestGmailLikePlainPort(t *testing.T) {
	s := startServe(t, "-preset", "gmail-like")
	c, err := smtp.Dial(s.ports["smtp"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Hello("camera")
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("gmail-like's plain port does not offer STARTTLS")
	}
	if err := c.Mail("camera@example.com"); !strings.HasPrefix(reply(err), "530 5.7.0 Must issue a STARTTLS command first") {
		t.Errorf("MAIL before STARTTLS: %v", err)
	}
	if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("camera@example.com"); err != nil {
		t.Errorf("MAIL after STARTTLS: %v", err)
	}
}

// reply is the SMTP reply net/smtp's error carries, "" for none.
func reply(err error) string {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Sprintf("%d %s", te.Code, te.Msg)
	}
	return ""
}

// TestPasswordFromTheEnvironment: -password-env keeps the password out of
// the command line.
func TestPasswordFromTheEnvironment(t *testing.T) {
	t.Setenv("ALERTSIM_TEST_BENCH_PASSWORD", benchPassword)
	s := startServe(t, "-user", benchUser, "-password-env", "ALERTSIM_TEST_BENCH_PASSWORD")
	c, err := smtp.Dial(s.ports["submission"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.StartTLS(&tls.Config{InsecureSkipVerify: true})
	if err := c.Auth(smtp.PlainAuth("", benchUser, benchPassword, "127.0.0.1")); err != nil {
		t.Errorf("the environment's password: %v", err)
	}
	if code := serveUntil(context.Background(), []string{"-user", "x", "-password-env", "ALERTSIM_UNSET_VARIABLE"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("an empty -password-env: exit %d, want 2", code)
	}
}

// TestAuthThrottledAndLogged: wrong passwords are logged one line each,
// without the password, and the client is refused once over the limit.
func TestAuthThrottledAndLogged(t *testing.T) {
	s := startServe(t, "-user", benchUser, "-password", benchPassword, "-auth-failures", "3")
	for i := range 4 {
		c, err := smtp.Dial(s.ports["submission"])
		if err != nil {
			t.Fatal(err)
		}
		c.StartTLS(&tls.Config{InsecureSkipVerify: true})
		err = c.Auth(smtp.PlainAuth("", benchUser, "guess-"+strconv.Itoa(i), "127.0.0.1"))
		want := "535 5.7.8"
		if i == 3 {
			want = "421 4.7.0 Error: too many failed logins"
		}
		if !strings.HasPrefix(reply(err), want) {
			t.Errorf("attempt %d: %v, want %s", i+1, err, want)
		}
		c.Close()
	}
	for range 3 {
		line := s.waitLine(t, "event=auth-failed")
		if !strings.Contains(line, "user=camera") || strings.Contains(line, "guess-") {
			t.Errorf("log line %q", line)
		}
	}
	if line := s.waitLine(t, "event=throttled"); !strings.Contains(line, "too many failed logins from 127.0.0.1") {
		t.Errorf("log line %q", line)
	}
}

// TestServeMemoryBounded: fifty 30 MB messages go to disk, not memory:
// the peak resident size of the process grows by far less than one
// message. Run without the race detector (make test does).
func TestServeMemoryBounded(t *testing.T) {
	if raceDetector || testing.Short() {
		t.Skip("moves 1.5 GB: make test runs it without -race")
	}
	s := startServe(t, "-max-size", "0")
	// VmHWM, the peak resident size, from now on.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak resident size: %v", err)
	}
	before := peakRSS(t)
	const n, size = 50, 30 << 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for c := range 2 {
		wg.Go(func() {
			cl, err := gosmtp.Dial(s.ports["smtp"])
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			for i := c; i < n; i += 2 {
				if err := cl.SendMail("camera@example.com", []string{"owner@example.com"}, &bigMessage{left: size}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	grew := peakRSS(t) - before
	t.Logf("peak resident size grew by %d MB while %d messages of %d MB arrived", grew>>20, n, size>>20)
	if grew > 64<<20 {
		t.Errorf("peak resident size grew by %d MB: messages are held in memory", grew>>20)
	}
	files, _ := filepath.Glob(filepath.Join(s.dir, "*.eml"))
	if len(files) != n {
		t.Errorf("%d files, want %d", len(files), n)
	}
}

// bigMessage is a message of left bytes, made as it is read.
type bigMessage struct {
	left   int
	header bool
}

func (m *bigMessage) Read(p []byte) (int, error) {
	if !m.header {
		m.header = true
		return copy(p, "Subject: big\r\n\r\n"), nil
	}
	if m.left <= 0 {
		return 0, io.EOF
	}
	line := strings.Repeat("x", 998) + "\r\n"
	n := 0
	for n+len(line) <= len(p) && m.left > 0 {
		n += copy(p[n:], line)
		m.left -= len(line)
	}
	if n == 0 {
		return copy(p, "\r\n"), nil
	}
	return n, nil
}

func peakRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmHWM")
	return 0
}

// TestScenarioOnTheBench: serve -scenario plays a scenario's relay, with
// its greylisting, and its DNS server, with its fault, for real clients:
// dig asks the DNS, swaks is greylisted, msmtp's retry after the period
// is delivered.
func TestScenarioOnTheBench(t *testing.T) {
	swaks := requireTool(t, "swaks")
	msmtp := requireTool(t, "msmtp")
	dig := requireTool(t, "dig")
	// The relay's port 25 moved to a free one; the DNS on any port free
	// for both UDP and TCP (-dns 0), which serve prints.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpPort := free.Addr().(*net.TCPAddr).Port
	free.Close()
	s := startServe(t, "-scenario", "testdata/bench-greylist-dns.yaml", "-port-offset", strconv.Itoa(smtpPort-25), "-dns", "0")
	relay := s.ports["mail.example-isp.net:25"]
	if relay == "" || s.ports["dns"] == "" {
		t.Fatalf("serve -scenario listens on %v", s.ports)
	}
	dnsPort := port(s.ports["dns"])

	ask := func(name string) string {
		out, err := exec.Command(dig, "@127.0.0.1", "-p", dnsPort, "+tries=1", "+time=5", name, "A").CombinedOutput()
		if err != nil {
			t.Fatalf("dig %s: %v\n%s", name, err, out)
		}
		return string(out)
	}
	if out := ask("mail.example-isp.net"); !regexp.MustCompile(`(?m)^mail\.example-isp\.net\.\s+300\s+IN\s+A\s+127\.0\.0\.1$`).MatchString(out) || !strings.Contains(out, "status: NOERROR") {
		t.Errorf("dig for the relay:\n%s", out)
	}
	if out := ask("backup.example-isp.net"); !strings.Contains(out, "status: NXDOMAIN") {
		t.Errorf("dig for the backup relay, whose fault is nxdomain:\n%s", out)
	}

	host, port, _ := net.SplitHostPort(relay)
	out, err := exec.Command(swaks, "--server", host, "--port", port, "--from", "bench.cam@example-isp.net", "--to", "owner@example.com", "--header", "Subject: greylisted").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "450 4.2.0 Recipient address rejected: Greylisted") {
		t.Fatalf("swaks, first attempt: %v\n%s", err, out)
	}
	// The device's retries, as a device makes them: each is refused
	// with the greylisting's 450 until the scenario's period has passed,
	// then delivered. The test waits on the server's answers, never on a
	// clock of its own: whatever the machine's speed, an attempt is
	// either refused (try again) or taken (done).
	retries := 0
	for deadline := time.Now().Add(time.Minute); ; retries++ {
		send := exec.Command(msmtp, "--host="+host, "--port="+port, "--auth=off", "--tls=off", "--domain=ptz-bench", "--from=bench.cam@example-isp.net", "owner@example.com")
		send.Stdin = strings.NewReader("From: bench.cam@example-isp.net\r\nTo: owner@example.com\r\nSubject: greylisted\r\n\r\nMotion.\r\n")
		out, err := send.CombinedOutput()
		if err == nil {
			break
		}
		if !strings.Contains(string(out), "450") || time.Now().After(deadline) {
			t.Fatalf("msmtp, retry %d: %v\n%s", retries+1, err, out)
		}
		// A device's retry interval, shortened: the poll's pace, not
		// what the test waits for.
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("delivered after %d refused retries", retries)
	var l apiList
	getJSON(t, s.web+"/api/v1/messages/wait?count=1&timeout=30s", &l)
	if l.Total != 1 || l.Messages[0].From != "bench.cam@example-isp.net" {
		t.Errorf("stored: %+v", l)
	}
	if line := s.waitLine(t, "event=refused"); !strings.Contains(line, "450 4.2.0") || !strings.Contains(line, `command="RCPT TO:<owner@example.com>"`) {
		t.Errorf("the greylisting's log line: %q", line)
	}
}
