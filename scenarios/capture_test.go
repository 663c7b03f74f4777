package scenarios

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"alertsim/golden"
)

// capturedResult is libraryResult played with Options.Capture: this
// process's play of the library scenario if it was captured, else a
// captured play that becomes the one other tests reuse. make test runs
// this file's tests before TestScenarios, so no scenario is played twice
// for it.
func capturedResult(t *testing.T, path string) *Result {
	t.Helper()
	if res, ok := played.Load(path); ok && res.(*Result).recording != nil {
		return res.(*Result)
	}
	sc, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	res := Run(t, sc, Options{Capture: true})
	played.Store(path, res)
	return res
}

// tshark reads the capture of res with args and returns its output; it
// skips where tshark is missing, and fails under CI, which installs it.
func tshark(t *testing.T, res *Result, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark is missing; make test installs it (apt-get install tshark)")
		}
		t.Skip("tshark is missing (apt-get install tshark)")
	}
	var buf bytes.Buffer
	if err := res.WriteCapture(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "run.pcapng")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"-r", path}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, stderr.Bytes())
	}
	return string(out)
}

// TestCaptureShowsTheSMTPInsideTLS: tshark lists the SMTP commands of a
// library scenario over implicit TLS and of one over STARTTLS, decrypted
// with the secrets the capture carries, and the capture changes nothing in
// the record.
func TestCaptureShowsTheSMTPInsideTLS(t *testing.T) {
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"ptz/ptz-gmail-465-motion.yaml", []string{"EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"}},
		// tshark names a command by its first four letters: STARTTLS is
		// "STAR". The EHLO and AUTH after it are read only decrypted.
		{"ptz/ptz-outlook-587-starttls.yaml", []string{"EHLO", "STAR", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res := capturedResult(t, tc.path)
			golden.Assert(t, GoldenPath(tc.path), res.Record)
			out := tshark(t, res, "-Y", "smtp.req.command", "-T", "fields", "-e", "smtp.req.command")
			got := strings.Fields(out)
			i := 0
			for _, cmd := range got {
				if i < len(tc.want) && strings.EqualFold(cmd, tc.want[i]) {
					i++
				}
			}
			if i < len(tc.want) {
				t.Errorf("tshark shows the commands %v; want %v among them, in order", got, tc.want)
			}
		})
	}
}

// TestCaptureShowsTheBlackHole: the MTU black hole's capture holds the
// oversize segments the link dropped, each with why, and their
// retransmissions.
func TestCaptureShowsTheBlackHole(t *testing.T) {
	res := capturedResult(t, "network/ptz-4g-mtu1500-handshake-blackhole.yaml")
	dropped := tshark(t, res, "-Y", `frame.comment contains "exceed the path MTU"`, "-T", "fields", "-e", "frame.len", "-e", "frame.comment")
	rows := strings.Split(strings.TrimSpace(dropped), "\n")
	if len(rows) < 3 || !strings.HasPrefix(rows[0], "1500\tdropped: on ") {
		t.Errorf("want the 1500-byte segments dropped with why, tshark shows:\n%s", dropped)
	}
	again := tshark(t, res, "-Y", "tcp.analysis.retransmission && frame.len == 1500", "-T", "fields", "-e", "frame.number")
	if n := len(strings.Fields(again)); n < 2 {
		t.Errorf("tshark sees %d retransmissions of the oversize segment, want the black hole's many", n)
	}
}

// TestCaptureIsTheSameEveryRun: the same scenario gives the same capture,
// byte for byte.
func TestCaptureIsTheSameEveryRun(t *testing.T) {
	sc, err := Load("testdata/captured.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var files [2]bytes.Buffer
	for i := range files {
		if err := Run(t, sc, Options{Capture: true}).WriteCapture(&files[i]); err != nil {
			t.Fatal(err)
		}
	}
	if files[0].Len() == 0 || !bytes.Equal(files[0].Bytes(), files[1].Bytes()) {
		t.Errorf("two captures of %s: %d and %d bytes, not the same", sc.Path, files[0].Len(), files[1].Len())
	}
	if err := Run(t, sc, Options{}).WriteCapture(&files[0]); !errors.Is(err, ErrNotCaptured) {
		t.Errorf("WriteCapture of a run played without Capture: %v", err)
	}
}
