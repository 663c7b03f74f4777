package fakesmtp_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/pion/transport/v3/test"

	"alertsim/fakesmtp"
)

// attachmentMessage returns a message of about 100 KB: a text part and a
// base64 attachment, different for each (client, n).
func attachmentMessage(client, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: cam%d@example.com\r\nTo: owner@example.com\r\nSubject: load %d/%d\r\nMIME-Version: 1.0\r\n", client, client, n)
	b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsnapshot\r\n")
	b.WriteString("--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=snap.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := fmt.Sprintf("%076d", client*1000+n)
	for range 1300 { // 1300 lines of 76: about 100 KB
		b.WriteString(line + "\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

// TestLoopbackLoad: 200 clients send 25 messages each, with a 100 KB
// attachment, at once over real loopback sockets. Every message is stored
// exactly once, and no client sees an error reply.
func TestLoopbackLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 500 MB")
	}
	report := test.CheckRoutines(t)
	defer report()

	clients, perClient := 200, 25
	if raceDetector {
		// Twenty times the work under the race detector: a smaller crowd
		// still races every shared path; make test runs the full size
		// without it.
		clients, perClient = 40, 5
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := fakesmtp.NewServer()
	srv.Keep = 1 // the hashes are the record: do not hold 500 MB
	var mu sync.Mutex
	stored := map[[32]byte]int{}
	srv.OnMessage = func(m *fakesmtp.Message) {
		sum := sha256.Sum256(m.Raw)
		mu.Lock()
		stored[sum]++
		mu.Unlock()
	}
	srv.Start(t, l, fakesmtp.Plain)

	want := map[[32]byte]bool{}
	for c := range clients {
		for n := range perClient {
			want[sha256.Sum256(attachmentMessage(c, n))] = true
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Go(func() {
			cl, err := smtp.Dial(l.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			for n := range perClient {
				if err := cl.SendMail(fmt.Sprintf("cam%d@example.com", c), []string{"owner@example.com"}, bytes.NewReader(attachmentMessage(c, n))); err != nil {
					errs <- fmt.Errorf("client %d message %d: %w", c, n, err)
					return
				}
			}
			if err := cl.Quit(); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	srv.Close()

	if got := srv.Accepted(); got != clients*perClient {
		t.Errorf("server accepted %d messages, want %d", got, clients*perClient)
	}
	if len(stored) != len(want) {
		t.Errorf("%d distinct messages stored, want %d", len(stored), len(want))
	}
	for sum, n := range stored {
		if !want[sum] {
			t.Errorf("stored a message nobody sent (sha256 %x)", sum)
		}
		if n != 1 {
			t.Errorf("message %x stored %d times", sum, n)
		}
	}
}
