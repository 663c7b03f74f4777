package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"crypto/x509"

	"alertsim/fakesmtp"
	"alertsim/internal/mailcheck"
)

// debianPython returns a python3 that can import aiosmtpd: Debian's
// (make test installs python3-aiosmtpd), which a pyenv shim may hide.
func debianPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import aiosmtpd").Run() == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("python3-aiosmtpd is not installed; make test installs it (apt-get install python3-aiosmtpd)")
	}
	t.Skip("python3-aiosmtpd is not installed; make test installs it (apt-get install python3-aiosmtpd)")
	return ""
}

// TestSendThroughAiosmtpd: `alertsim send` delivers through a real server,
// aiosmtpd, that requires STARTTLS and AUTH, verifying its certificate.
func TestSendThroughAiosmtpd(t *testing.T) {
	python := debianPython(t)
	dir := t.TempDir()

	ca, _ := fakesmtp.NewCA("aiosmtpd test CA")
	cert, err := ca.Issue(fakesmtp.CertOptions{Hosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	write := func(name string, blocks ...*pem.Block) string {
		var b bytes.Buffer
		for _, blk := range blocks {
			pem.Encode(&b, blk)
		}
		path := filepath.Join(dir, name)
		os.WriteFile(path, b.Bytes(), 0o600)
		return path
	}
	certFile := write("cert.pem", &pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	keyFile := write("key.pem", &pem.Block{Type: "PRIVATE KEY", Bytes: key})
	caFile := write("ca.pem", &pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
	out := filepath.Join(dir, "received")
	os.Mkdir(out, 0o755)

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := exec.Command(python, "testdata/aiosmtpd_server.py", strconv.Itoa(port), certFile, keyFile, out, "camera", "bench-secret")
	stdin, _ := srv.StdinPipe()
	stdout, _ := srv.StdoutPipe()
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); srv.Wait() }()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("aiosmtpd did not start: %q %v", line, err)
	}

	snapshot := filepath.Join(dir, "snapshot.jpg")
	os.WriteFile(snapshot, bytes.Repeat([]byte{0xff, 0xd8, 0x42}, 20_000), 0o644)
	settings := filepath.Join(dir, "send.yaml")
	os.WriteFile(settings, []byte(`server:
  host: 127.0.0.1
  port: `+strconv.Itoa(port)+`
  security: certified
  username: camera
  password_env: ALERTSIM_TEST_PASSWORD
hello: bench-camera
from: camera@example.com
from_name: Bench Camera
to: [owner@example.com]
subject: alertsim send test
text: Motion at the bench.
attach: [snapshot.jpg]
ca_file: `+caFile+"\n"), 0o644)
	t.Setenv("ALERTSIM_TEST_PASSWORD", "bench-secret")

	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if code := sendWith(ctx, []string{"-probe", settings}, &log, &log); code != 0 {
		t.Fatalf("send exited %d:\n%s", code, log.String())
	}
	for _, want := range []string{"STARTTLS established: TLS 1.3", "authenticated as camera", "delivered: 250 2.0.0 OK stored", "\nsent.\n"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, log.String())
		}
	}
	if strings.Contains(log.String(), "bench-secret") {
		t.Error("the output shows the password")
	}
	raw, err := os.ReadFile(filepath.Join(out, "1.eml"))
	if err != nil {
		t.Fatal(err)
	}
	parts, err := mailcheck.Check(raw)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(snapshot)
	if len(parts) != 2 || !bytes.Equal(parts[1].Body, want) {
		t.Errorf("aiosmtpd received %d parts; the snapshot does not match", len(parts))
	}
}

// TestSendSaysWhatHappened: a server that offers no STARTTLS, with
// security required, is said to be that, not a failed handshake.
func TestSendSaysWhatHappened(t *testing.T) {
	s := startServe(t)
	host, port, _ := net.SplitHostPort(s.ports["smtp"])
	path := filepath.Join(t.TempDir(), "send.yaml")
	os.WriteFile(path, []byte("server: {host: "+host+", port: "+port+", security: required}\nfrom: a@example.com\nto: [b@example.com]\n"), 0o644)
	var out bytes.Buffer
	if code := sendWith(context.Background(), []string{path}, &out, &out); code != 1 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "not sent: the server offers no STARTTLS, which security \"required\" needs (tls, at starttls)") || strings.Contains(out.String(), "handshake") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestSendBadSettings(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown key":            "server: {host: x}\nfrom: a@b\nto: [c@d]\nsubjct: x\n",
		"no host":                "from: a@b\nto: [c@d]\n",
		"bad security":           "server: {host: x, security: strict}\nfrom: a@b\nto: [c@d]\n",
		"empty env":              "server: {host: x, password_env: ALERTSIM_UNSET_VARIABLE}\nfrom: a@b\nto: [c@d]\n",
		"none over implicit TLS": "server: {host: x, implicit_tls: true, security: none}\nfrom: a@b\nto: [c@d]\n",
		"CR LF in the subject":   "server: {host: x}\nfrom: a@b\nto: [c@d]\nsubject: \"alert\\r\\nBcc: x@y\"\n",
		"LF in from_name":        "server: {host: x}\nfrom: a@b\nto: [c@d]\nfrom_name: \"Cam\\nX: y\"\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		os.WriteFile(path, []byte(body), 0o644)
		var out bytes.Buffer
		if code := sendWith(context.Background(), []string{path}, &out, &out); code != 2 || !strings.Contains(out.String(), path) {
			t.Errorf("%s: exit %d, output %q", name, code, out.String())
		}
	}
}
