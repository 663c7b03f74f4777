package benchweb

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"runtime"
	"strings"
	"testing"

	"alertsim/emlstore"
	"alertsim/fakesmtp"
)

// busyBench is a handler over a server that kept one session that
// delivered a message and many long ones that delivered nothing.
func busyBench(t *testing.T) (*Handler, string) {
	t.Helper()
	st, err := emlstore.Open(t.TempDir(), "bench.example", emlstore.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := fakesmtp.NewServer()
	srv.Store = st
	srv.DeferParse = true
	srv.MaxTranscriptLines = 1000
	srv.Start(t, l, fakesmtp.Plain)
	h := &Handler{Store: st, Servers: []Server{{Name: "smtp", SMTP: srv}}}
	if err := smtp.SendMail(l.Addr().String(), nil, "cam@example.com", []string{"owner@example.com"}, []byte("Subject: motion\r\n\r\nMotion.\r\n")); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "EHLO camera\r\n"+strings.Repeat("NOOP\r\n", 500)+"QUIT\r\n")
		io.Copy(io.Discard, c)
		c.Close()
	}
	list, _ := st.List("", 0, 0)
	if len(list) != 1 {
		t.Fatalf("%d messages", len(list))
	}
	return h, list[0].Key
}

// allocated is how many bytes serving one request allocates.
func allocated(h http.Handler, method, target string) (int, uint64, []byte) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, target, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h.ServeHTTP(rec, req)
	runtime.ReadMemStats(&after)
	return rec.Code, after.TotalAlloc - before.TotalAlloc, rec.Body.Bytes()
}

// TestMessageViewCopiesNoOtherSession: a message's page finds its own
// session without copying every kept session's transcript, and the
// session list copies none: on a bench server that kept a thousand
// sessions of a thousand lines, each view copied them all.
func TestMessageViewCopiesNoOtherSession(t *testing.T) {
	h, key := busyBench(t)
	code, n, body := allocated(h, "GET", "/api/v1/messages/"+key)
	if code != http.StatusOK {
		t.Fatalf("GET message: %d %s", code, body)
	}
	var d MessageDetail
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	if d.Session == nil || d.Session.ID != "smtp-1" || len(d.Session.Transcript) == 0 {
		t.Errorf("the message's session: %+v", d.Session)
	}
	if n > 1<<20 {
		t.Errorf("GET message allocated %d bytes", n)
	}
	code, n, body = allocated(h, "GET", "/api/v1/sessions")
	if code != http.StatusOK || !strings.Contains(string(body), `"smtp-41"`) {
		t.Fatalf("GET sessions: %d %s", code, body)
	}
	if n > 1<<20 {
		t.Errorf("GET sessions allocated %d bytes", n)
	}
	code, n, body = allocated(h, "GET", "/api/v1/sessions/smtp-7")
	if code != http.StatusOK || !strings.Contains(string(body), `"NOOP"`) {
		t.Fatalf("GET session: %d %s", code, body)
	}
	// Its own transcript, of a thousand lines, and no other.
	if n > 4<<20 {
		t.Errorf("GET session allocated %d bytes", n)
	}
}
