package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// ingestMessage is about 100 KB: a text part and a base64 attachment.
func ingestMessage(client, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: cam%d@example.com\r\nTo: owner@example.com\r\nSubject: load %d/%d\r\nMIME-Version: 1.0\r\n", client, client, n)
	b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsnapshot\r\n")
	b.WriteString("--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=snap.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := fmt.Sprintf("%076d", client*1000+n)
	for range 1300 {
		b.WriteString(line + "\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

// ingest sends perClient messages from each of clients connections at
// once, and returns how long it took.
func ingest(b *testing.B, addr string, clients, perClient int) time.Duration {
	msgs := make([][]byte, clients)
	for c := range clients {
		msgs[c] = ingestMessage(c, 0)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			cl, err := smtp.Dial(addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer cl.Close()
			for range perClient {
				if err := cl.SendMail(fmt.Sprintf("cam%d@example.com", c), []string{"owner@example.com"}, bytes.NewReader(msgs[c])); err != nil {
					b.Error(err)
					return
				}
			}
			cl.Quit()
		})
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkIngestRatio measures `alertsim serve` against go-smtp's own
// server with a backend that reads each message and throws it away, side
// by side in one run: 8 clients at once (go-smtp's client, in this
// process), 100 KB messages, 25 a client a round, the two servers taking
// turns so that both meet the same machine. It reports each one's
// messages a second and serve's share of the reference's:
//
//	go test ./cmd/alertsim -run '^$' -bench IngestRatio -benchtime 20x
//
// What each side does for a message, up to its 250:
//   - serve: the session through fakesmtp's connection layer (transcript,
//     checks); the data written to a temporary file in -dir after its
//     trace fields, flushed and fsync'd; a journal record appended to
//     index.jsonl (envelope, subject; no fsync of its own); the file
//     renamed to its .eml name and the directory fsync'd (one fsync shared
//     by the commits that come together); the store's limits applied
//     (-keep 2000: once 2,000 messages are there, each evicts the
//     oldest); a log line to a pipe read and dropped. The MIME tree is
//     not parsed: serve defers that to a message's first view
//     (fakesmtp.Server.DeferParse), so this measures none of it. At a
//     session's end its transcript joins the journal.
//   - the reference: go-smtp's dot-stuffing reader copied to io.Discard;
//     no disk, no parse, no log.
//
// The directory is ALERTSIM_INGEST_DIR's, or one under build/: the disk
// decides serve's figure (a file created and two fsyncs a message).
//
// With ALERTSIM_MAILPIT naming a mailpit binary, Mailpit takes its turns
// too, for the comparison a bench tester makes.
func BenchmarkIngestRatio(b *testing.B) {
	const clients, perClient = 8, 25
	// The directory is ALERTSIM_INGEST_DIR's (a disk to measure on), or
	// one under build/.
	parent := os.Getenv("ALERTSIM_INGEST_DIR")
	if parent == "" {
		parent = filepath.Join("..", "..", "build")
		os.MkdirAll(parent, 0o755)
	}
	dir, err := os.MkdirTemp(parent, "ingest-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- serveUntil(ctx, []string{"-smtp", "0", "-submission", "-1", "-submissions", "-1", "-http", "", "-dir", dir, "-keep", "2000"}, pw, pw)
		pw.Close()
	}()
	addr := ""
	buf := make([]byte, 64<<10)
	var out strings.Builder
	for addr == "" {
		n, err := pr.Read(buf)
		if err != nil {
			b.Fatalf("serve: %v\n%s", err, out.String())
		}
		out.Write(buf[:n])
		if m := listening.FindStringSubmatch(strings.Split(out.String(), "\n")[0]); m != nil && strings.Contains(out.String(), "CA certificate") {
			addr = m[2]
		}
	}
	go io.Copy(io.Discard, pr) // the log
	defer func() { cancel(); <-done }()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ref := smtp.NewServer(discardBackend{})
	ref.Domain = "localhost"
	ref.MaxMessageBytes = 50 << 20
	go ref.Serve(l)
	defer ref.Close()

	mailpit := ""
	if bin := os.Getenv("ALERTSIM_MAILPIT"); bin != "" {
		mailpit = startMailpit(b, bin, dir)
	}

	// A round of each first, unmeasured: connections, page cache, the
	// CPU's clock.
	ingest(b, l.Addr().String(), clients, perClient)
	ingest(b, addr, clients, perClient)
	if mailpit != "" {
		ingest(b, mailpit, clients, perClient)
	}
	b.ResetTimer()
	var serveTime, refTime, mailpitTime time.Duration
	for i := range b.N {
		if i%2 == 0 {
			refTime += ingest(b, l.Addr().String(), clients, perClient)
			serveTime += ingest(b, addr, clients, perClient)
		} else {
			serveTime += ingest(b, addr, clients, perClient)
			refTime += ingest(b, l.Addr().String(), clients, perClient)
		}
		if mailpit != "" {
			mailpitTime += ingest(b, mailpit, clients, perClient)
		}
	}
	n := float64(b.N * clients * perClient)
	b.ReportMetric(n/serveTime.Seconds(), "serve-msg/s")
	b.ReportMetric(n/refTime.Seconds(), "gosmtp-discard-msg/s")
	b.ReportMetric(refTime.Seconds()/serveTime.Seconds(), "ratio")
	if mailpit != "" {
		b.ReportMetric(n/mailpitTime.Seconds(), "mailpit-msg/s")
	}
}

// startMailpit runs Mailpit with its SMTP server on a free port, its
// database in dir, and returns the port's address once it answers.
func startMailpit(b *testing.B, bin, dir string) string {
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	smtpAddr, httpAddr := free(), free()
	cmd := exec.Command(bin, "--smtp", smtpAddr, "--listen", httpAddr, "--database", filepath.Join(dir, "mailpit.db"), "--max", "2000", "--quiet")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Ready when its greeting comes.
	for range 200 {
		if c, err := net.DialTimeout("tcp", smtpAddr, time.Second); err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "220") {
				return smtpAddr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("mailpit did not answer")
	return ""
}

type discardBackend struct{}

func (discardBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return discardSession{}, nil }

type discardSession struct{}

func (discardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (discardSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset()        {}
func (discardSession) Logout() error { return nil }
