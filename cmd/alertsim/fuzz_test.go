package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzServeSession feeds `alertsim serve`, over a real socket, arbitrary
// client bytes: it must answer or hang up, never crash, store only whole
// messages the client sent (less the dot-stuffing), and serve the next
// client. The seeds run in make test; make fuzz explores.
func FuzzServeSession(f *testing.F) {
	for _, seed := range []string{
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: s\r\n\r\nbody\r\n.\r\nQUIT\r\n",
		"EHLO cam\rX-Injected: yes\r\nHELO ok\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: s\r\n\r\nb\r\n.\r\n",
		"HELO x\r\nAUTH PLAIN AGEAYg==\r\nAUTH LOGIN\r\n*\r\n",
		"EHLO x\r\nBDAT 5 LAST\r\nhelloQUIT\r\n",
		"EHLO x\r\nSTARTTLS\r\n\x16\x03\x01\x00\x05hello",
		"EHLO x\nMAIL FROM:<a@b>\nRCPT TO:<c@d>\nDATA\nx\n.\n",
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: s\r\n\r\nsmuggled\n.\nMAIL FROM:<e@f>\r\n.\r\n",
		"NOOP",
	} {
		f.Add([]byte(seed))
	}
	// No wait after a failed login: the fuzzer tries many.
	s := startServeIn(f, f.TempDir(), "-read-timeout", "2s", "-max-size", "65536", "-auth-failures", "0")
	go func() {
		for range s.lines { // the log, unread otherwise
		}
	}()
	f.Fuzz(func(t *testing.T, data []byte) {
		before := storedKeys(t, s)
		c, err := net.Dial("tcp", s.ports["smtp"])
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c)
		c.Close()

		undotted := strings.ReplaceAll("\n"+string(data), "\n.", "\n")[1:]
		for key := range storedKeys(t, s) {
			if before[key] {
				continue
			}
			resp, err := http.Get(s.web + "/api/v1/messages/" + key + "/raw")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// The trace fields serve adds, up to the end of Received.
			body := string(raw)
			if i := strings.Index(body, "\r\nReceived: "); i >= 0 {
				body = body[i+2:]
				for range 3 {
					body = body[strings.Index(body, "\r\n")+2:]
				}
			}
			if !strings.Contains(undotted, body) && !strings.Contains(string(data), body) {
				t.Fatalf("stored a message the client did not send whole: %q", body)
			}
			if strings.Contains(strings.ReplaceAll(body, "\r\n", ""), "\n") {
				t.Fatalf("stored a bare LF: %q", body)
			}
		}
		next, err := net.Dial("tcp", s.ports["smtp"])
		if err != nil {
			t.Fatal(err)
		}
		defer next.Close()
		next.SetDeadline(time.Now().Add(10 * time.Second))
		if l, err := bufio.NewReader(next).ReadString('\n'); err != nil || !strings.HasPrefix(l, "220 ") {
			t.Fatalf("next client's greeting: %q, %v", l, err)
		}
	})
}

func storedKeys(t *testing.T, s *served) map[string]bool {
	var l apiList
	getJSON(t, s.web+"/api/v1/messages?limit=0", &l)
	out := map[string]bool{}
	for _, m := range l.Messages {
		out[m.Key] = true
	}
	return out
}
