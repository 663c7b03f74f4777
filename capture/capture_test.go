package capture

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

var (
	camera = netip.MustParseAddrPort("192.0.2.10:49152")
	epoch  = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// conversation makes the segments of one TCP connection with the sequence
// and acknowledgement numbers a real stack would put on them.
type conversation struct {
	client, server netip.AddrPort
	at             time.Time
	seq            [2]uint32 // next sequence number: client, server
	packets        []Packet
}

func newConversation(server netip.AddrPort) *conversation {
	c := &conversation{client: camera, server: server, at: epoch, seq: [2]uint32{1000, 5000}}
	scale := uint8(7)
	c.add(0, TCP{SYN: true, MSS: 1460, WindowScale: &scale, SACKPermitted: true}, nil, "")
	c.add(1, TCP{SYN: true, ACK: true, MSS: 1460, WindowScale: &scale, SACKPermitted: true}, nil, "")
	c.add(0, TCP{ACK: true}, nil, "")
	return c
}

// add sends from side 0 (the client) or 1 (the server), dropped when why
// is set (a dropped segment does not advance the sender's numbers here: it
// is the one sent again).
func (c *conversation) add(from int, t TCP, payload []byte, why string) {
	c.at = c.at.Add(10 * time.Millisecond)
	src, dst := c.client, c.server
	if from == 1 {
		src, dst = dst, src
	}
	t.Seq = c.seq[from]
	if t.ACK {
		t.Ack = c.seq[1-from]
	}
	t.Window = 512
	c.packets = append(c.packets, Packet{At: c.at, Src: src, Dst: dst, TCP: t, Payload: payload, Dropped: why})
	if why != "" {
		return
	}
	c.seq[from] += uint32(len(payload))
	if t.SYN || t.FIN {
		c.seq[from]++
	}
}

func (c *conversation) say(from int, text string) {
	c.add(from, TCP{ACK: true, PSH: true}, []byte(text), "")
}

// tshark reads the capture at path with the fields given and returns its
// rows; it skips the test where tshark is missing, and fails it under CI.
func tshark(t *testing.T, path string, args ...string) []string {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark is missing; make test installs it (apt-get install tshark)")
		}
		t.Skip("tshark is missing (apt-get install tshark)")
	}
	cmd := exec.Command(bin, append([]string{"-r", path}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, stderr.Bytes())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func writeFile(t *testing.T, interfaces []Interface, keyLog []byte, packets []Packet) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, interfaces, keyLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range packets {
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "run.pcapng")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTsharkReadsTheCapture: tshark finds in the file what was put in it:
// the SMTP dialogue over real TCP headers, the TCP options of the
// handshake, the dropped segment with the reason as its comment, and a DNS
// query over UDP on the second interface.
func TestTsharkReadsTheCapture(t *testing.T) {
	c := newConversation(netip.MustParseAddrPort("203.0.113.10:25"))
	c.say(1, "220 mail.example.com ESMTP\r\n")
	c.add(0, TCP{ACK: true, PSH: true}, []byte("EHLO cam\r\n"), "lost in a burst")
	c.say(0, "EHLO cam\r\n")
	c.say(1, "250 mail.example.com\r\n")

	q := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 7, RecursionDesired: true})
	q.StartQuestions()
	q.Question(dnsmessage.Question{Name: dnsmessage.MustNewName("smtp.gmail.com."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
	query, _ := q.Finish()
	packets := append(c.packets, Packet{At: c.at.Add(time.Second), Interface: 1, Src: netip.MustParseAddrPort("192.0.2.10:49153"), Dst: netip.MustParseAddrPort("198.51.100.53:53"), UDP: true, Payload: query})

	path := writeFile(t, []Interface{{Name: "camera"}, {Name: "dns"}}, nil, packets)
	rows := tshark(t, path, "-T", "fields", "-E", "separator=|",
		"-e", "frame.interface_name", "-e", "frame.comment", "-e", "tcp.options.mss_val", "-e", "tcp.options.sack_perm",
		"-e", "smtp.req.command", "-e", "smtp.response.code", "-e", "dns.qry.name", "-e", "tcp.analysis.retransmission")
	got := strings.Join(rows, "\n")
	want := []string{
		"camera||1460|0402||||", // SYN: MSS 1460, SACK permitted
		"camera||1460|0402||||", // SYN-ACK
		"camera|||||||",
		"camera|||||220||",
		"camera|dropped: lost in a burst|||EHLO|||",
		"camera|||||||1", // the EHLO sent again: a retransmission to tshark
		"camera|||||250||",
		"dns||||||smtp.gmail.com|",
	}
	if got != strings.Join(want, "\n") {
		t.Errorf("tshark reads:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// TestTLSInsideIsDecrypted: an SMTP session over implicit TLS, captured
// with the key log crypto/tls wrote, reads as SMTP in tshark with no keys
// given to it: the secrets travel in the file.
func TestTLSInsideIsDecrypted(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.example.com"}, DNSNames: []string{"smtp.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	var keyLog bytes.Buffer
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}

	// Each side's writes become that side's segments, in the order they
	// happened.
	c := newConversation(netip.MustParseAddrPort("203.0.113.10:465"))
	var mu sync.Mutex
	record := func(from int) func([]byte) {
		return func(p []byte) {
			mu.Lock()
			defer mu.Unlock()
			for len(p) > 0 {
				n := min(len(p), 1400)
				c.add(from, TCP{ACK: true, PSH: true}, bytes.Clone(p[:n]), "")
				p = p[n:]
			}
		}
	}
	clientEnd, serverEnd := net.Pipe()
	done := make(chan error, 1)
	go func() {
		s := tls.Server(recorder{serverEnd, record(1)}, &tls.Config{Certificates: []tls.Certificate{cert}, KeyLogWriter: &keyLog})
		// The pipe closed under it, not the TLS connection: its
		// close_notify would be recorded after the test has read the
		// packets (a race), once the pipe's 5 s write deadline passed.
		defer serverEnd.Close()
		if _, err := s.Write([]byte("220 smtp.example.com ESMTP\r\n")); err != nil {
			done <- err
			return
		}
		buf := make([]byte, 64)
		n, err := s.Read(buf)
		if err == nil && string(buf[:n]) != "EHLO cam\r\n" {
			err = os.ErrInvalid
		}
		if err == nil {
			_, err = s.Write([]byte("250 smtp.example.com\r\n"))
		}
		done <- err
	}()
	cl := tls.Client(recorder{clientEnd, record(0)}, &tls.Config{InsecureSkipVerify: true, ServerName: "smtp.example.com"})
	buf := make([]byte, 64)
	if _, err := cl.Read(buf); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Write([]byte("EHLO cam\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cl.Close()

	path := writeFile(t, []Interface{{Name: "camera"}}, keyLog.Bytes(), c.packets)
	rows := tshark(t, path, "-Y", "smtp", "-T", "fields", "-e", "smtp.req.command", "-e", "smtp.response.code")
	if got := strings.Join(rows, "\n"); !strings.Contains(got, "EHLO") || !strings.Contains(got, "250") || !strings.Contains(got, "220") {
		t.Errorf("tshark does not show the SMTP inside TLS:\n%s", got)
	}
	// Without the secrets it is only TLS: the test shows the block is what
	// decrypts it.
	bare := writeFile(t, []Interface{{Name: "camera"}}, nil, c.packets)
	if rows := tshark(t, bare, "-Y", "smtp.req.command", "-T", "fields", "-e", "smtp.req.command"); strings.Contains(strings.Join(rows, ""), "EHLO") {
		t.Errorf("tshark read the SMTP without the secrets: %v", rows)
	}
}

// recorder passes writes on and tells record about them first.
type recorder struct {
	net.Conn
	record func([]byte)
}

func (r recorder) Write(p []byte) (int, error) {
	r.record(p)
	return r.Conn.Write(p)
}

func TestWriterRefusesWhatItCannotEncode(t *testing.T) {
	var buf bytes.Buffer
	if _, err := NewWriter(&buf, nil, nil); err == nil {
		t.Error("a writer without interfaces")
	}
	w, _ := NewWriter(&buf, []Interface{{Name: "a"}}, nil)
	if err := w.Write(Packet{Interface: 1, Src: camera, Dst: camera}); err == nil {
		t.Error("a packet on an interface the file does not have")
	}
	if err := w.Write(Packet{Src: camera, Dst: netip.MustParseAddrPort("[2001:db8::1]:25")}); err == nil {
		t.Error("an IPv4 source with an IPv6 destination")
	}
}
