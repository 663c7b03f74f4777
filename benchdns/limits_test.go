package benchdns

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"alertsim/netem"
)

// query is a DNS question for name's A record.
func query(t *testing.T, id uint16, name string) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
	q, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return q
}

var service = netem.DNSService{
	Records: []netem.Record{{Name: "smtp.example.com", Type: dnsmessage.TypeA, Addr: netip.MustParseAddr("127.0.0.1")}},
	Faults:  []netem.DNSFault{{Name: "slow.example.com", Kind: netem.DNSDelay, Delay: time.Hour}},
}

// askTCP sends one query over c and reads its answer.
func askTCP(c net.Conn, q []byte) error {
	if _, err := c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(q)))); err != nil {
		return err
	}
	if _, err := c.Write(q); err != nil {
		return err
	}
	var n uint16
	if err := binary.Read(c, binary.BigEndian, &n); err != nil {
		return err
	}
	_, err := io.ReadFull(c, make([]byte, n))
	return err
}

// eventually polls cond until it holds, failing the test past a deadline
// far beyond what it takes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestTCPConnsDroppedAndBounded: a finished TCP connection is let go, and
// past MaxTCPConns a new one is closed at once: a flood costs no memory.
func TestTCPConnsDroppedAndBounded(t *testing.T) {
	var mu sync.Mutex
	var refused int
	srv := &Server{Service: service, MaxTCPConns: 3, OnError: func(err error, _ time.Duration) {
		if errors.Is(err, ErrTooManyConns) {
			mu.Lock()
			refused++
			mu.Unlock()
		}
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.ServeTCP(l) }()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(time.Minute))
		return c
	}
	// Connections one after another, each closed after its answer, and
	// let go by the server once it sees the close (then only: a client
	// that comes back sooner may meet the bound).
	for i := range 20 {
		c := dial()
		if err := askTCP(c, query(t, uint16(i), "smtp.example.com.")); err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
		c.Close()
		eventually(t, "the finished connection let go", func() bool { return srv.tcpConns() == 0 })
	}
	// Three open at once, and a fourth closed unanswered.
	var open []net.Conn
	for i := range 3 {
		c := dial()
		if err := askTCP(c, query(t, uint16(i), "smtp.example.com.")); err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	extra := dial()
	if err := askTCP(extra, query(t, 9, "smtp.example.com.")); err == nil {
		t.Error("a fourth connection was answered; MaxTCPConns is 3")
	}
	mu.Lock()
	if refused != 1 {
		t.Errorf("%d connections reported refused, want 1", refused)
	}
	mu.Unlock()
	for _, c := range open {
		c.Close()
	}
	eventually(t, "the three let go", func() bool { return srv.tcpConns() == 0 })
	srv.Close()
	if err := <-served; err != nil {
		t.Errorf("ServeTCP after Close: %v", err)
	}
}

// flakyListener fails its first n accepts, as a process out of file
// descriptors does.
type flakyListener struct {
	net.Listener
	mu sync.Mutex
	n  int
}

type tempErr struct{}

func (tempErr) Error() string   { return "accept: too many open files" }
func (tempErr) Timeout() bool   { return false }
func (tempErr) Temporary() bool { return true }

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n > 0 {
		l.n--
		return nil, tempErr{}
	}
	return l.Listener.Accept()
}

// TestAcceptErrorsSurvived: ServeTCP reports a failed accept, waits a
// growing back-off and accepts again, rather than ending.
func TestAcceptErrorsSurvived(t *testing.T) {
	var mu sync.Mutex
	var waits []time.Duration
	srv := &Server{Service: service, OnError: func(err error, retry time.Duration) {
		mu.Lock()
		waits = append(waits, retry)
		mu.Unlock()
	}}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.ServeTCP(&flakyListener{Listener: inner, n: 3}) }()
	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	if err := askTCP(c, query(t, 1, "smtp.example.com.")); err != nil {
		t.Fatalf("a query after three failed accepts: %v", err)
	}
	mu.Lock()
	if want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}; len(waits) != 3 || waits[0] != want[0] || waits[2] != want[2] {
		t.Errorf("back-offs %v, want %v", waits, want)
	}
	mu.Unlock()
	srv.Close()
	if err := <-served; err != nil {
		t.Errorf("ServeTCP after Close: %v", err)
	}
}

// TestDelayedAnswersBounded: a delay fault holds back at most MaxDelayed
// UDP answers; past them a query is dropped and reported, and Close ends
// the ones waiting.
func TestDelayedAnswersBounded(t *testing.T) {
	type report struct {
		n   int
		err error
	}
	reports := make(chan report, 100)
	srv := &Server{Service: service, MaxDelayed: 4, OnQuery: func(_ net.Addr, n int, err error) { reports <- report{n, err} }}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.ServeUDP(pc) }()
	c, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 10 {
		c.Write(query(t, uint16(i), "slow.example.com."))
	}
	held, dropped := 0, 0
	for range 10 {
		r := <-reports
		switch {
		case r.err == nil && r.n > 0:
			held++
		case errors.Is(r.err, ErrTooManyDelayed) && r.n == 0:
			dropped++
		default:
			t.Errorf("report %+v", r)
		}
	}
	if held != 4 || dropped != 6 {
		t.Errorf("%d answers held back and %d dropped, want 4 and 6", held, dropped)
	}
	srv.Close()
	if err := <-served; err != nil {
		t.Errorf("ServeUDP after Close: %v", err)
	}
}
