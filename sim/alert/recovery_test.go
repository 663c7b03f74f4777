package alert_test

import (
	"context"
	"crypto/tls"
	"net/netip"
	"strings"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"alertsim/fakesmtp"
	"alertsim/netem"
	"alertsim/sim/alert"
)

// mailWorld is a device and any number of mail servers, each at its own
// address with a plain listener on port 25.
type mailWorld struct {
	n       *netem.Network
	dev     *netem.Host
	servers map[string]*fakesmtp.Server
	hosts   alert.Hosts
	events  []alert.Event
}

func newMailWorld(t *testing.T) *mailWorld {
	t.Helper()
	cryptotest.SetGlobalRandom(t, 1)
	n := netem.New(netem.Config{})
	t.Cleanup(func() { n.Close() })
	link := netem.Direction{Delay: 25 * time.Millisecond}
	dev, _ := n.AddHost(netem.HostConfig{Name: "cam", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Link: netem.Link{Up: link, Down: link}})
	return &mailWorld{n: n, dev: dev, servers: map[string]*fakesmtp.Server{}, hosts: alert.Hosts{}}
}

// add starts a server called name at addr; listen false leaves its port
// closed.
func (w *mailWorld) add(t *testing.T, name, addr string, listen bool, configure func(*fakesmtp.Server)) *fakesmtp.Server {
	t.Helper()
	h, err := w.n.AddHost(netem.HostConfig{Name: name, Addrs: []netip.Addr{netip.MustParseAddr(addr)}})
	if err != nil {
		t.Fatal(err)
	}
	w.hosts[name] = []netip.Addr{netip.MustParseAddr(addr)}
	srv := fakesmtp.NewServer()
	srv.Domain = name
	srv.TLSConfig = &tls.Config{}
	if configure != nil {
		configure(srv)
	}
	if listen {
		l, _ := h.Listen("tcp", ":25")
		srv.Start(t, l, fakesmtp.Plain)
	}
	w.servers[name] = srv
	return srv
}

func (w *mailWorld) client() *alert.Client {
	return &alert.Client{
		Dial: w.dev.Dial, Resolver: w.hosts, HelloName: "cam",
		Timeouts: alert.Timeouts{Connect: 10 * time.Second, Command: time.Minute, DataBlock: time.Minute, Submission: time.Minute},
		Log:      func(e alert.Event) { w.events = append(w.events, e) },
	}
}

// times returns when the device logged lines starting with prefix, since
// start.
func (w *mailWorld) times(prefix string, start time.Time) []time.Duration {
	var out []time.Duration
	for _, e := range w.events {
		if strings.HasPrefix(e.Text, prefix) {
			out = append(out, e.Time.Sub(start))
		}
	}
	return out
}

var plainServer = func(name string) alert.Server { return alert.Server{Host: name, Port: 25} }

// TestRetryTimeline: a server that fails the first two connections with
// 421; the retries come 10 s and 30 s after each failure, to the
// nanosecond, and the third attempt delivers.
func TestRetryTimeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newMailWorld(t)
		w.add(t, "mx.example.com", "203.0.113.25", true, func(s *fakesmtp.Server) {
			s.Faults = []fakesmtp.Fault{{Stage: fakesmtp.StageConnect, Reply: fakesmtp.NewReply(421, "4.7.0", "Try again later"), Times: 2}}
		})
		start := time.Now()
		d := w.client().Deliver(context.Background(), alert.Policy{
			Servers: []alert.Server{plainServer("mx.example.com")},
			Retries: []time.Duration{10 * time.Second, 30 * time.Second},
		}, alert.Envelope{From: "cam@example.com", To: []string{"owner@example.com"}}, []byte("Subject: x\r\n\r\nx\r\n"))
		if !d.Delivered() || d.Attempts != 3 || len(d.Failures) != 2 {
			t.Fatalf("delivered %v after %d attempts, failures %v", d.Delivered(), d.Attempts, d.Failures)
		}
		attempts := w.times("attempt ", start)
		failures := w.times("failed ", start)
		if len(attempts) != 3 || len(failures) != 2 {
			t.Fatalf("attempts at %v, failures at %v", attempts, failures)
		}
		if attempts[0] != 0 {
			t.Errorf("first attempt at +%v, want at once", attempts[0])
		}
		for i, wait := range []time.Duration{10 * time.Second, 30 * time.Second} {
			if got := attempts[i+1] - failures[i]; got != wait {
				t.Errorf("attempt %d came %v after failure %d, want %v", i+2, got, i+1, wait)
			}
		}
		for i, f := range d.Failures {
			if f.Class != alert.ClassDeferred || f.Code != 421 || f.Attempt != i+1 {
				t.Errorf("failure %d = %+v", i+1, f)
			}
		}
	})
}

// TestPermanentFailureNotRetried: a refused login is not retried, unless
// the firmware's policy retries everything (some do, and a wrong password
// then costs three logins).
func TestPermanentFailureNotRetried(t *testing.T) {
	for _, retryAll := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			w := newMailWorld(t)
			w.add(t, "mx.example.com", "203.0.113.25", true, func(s *fakesmtp.Server) {
				s.Accounts = []fakesmtp.Account{{Username: "cam", Password: "right"}}
				s.AllowInsecureAuth = true
			})
			srv := plainServer("mx.example.com")
			srv.Username, srv.Password = "cam", "wrong"
			d := w.client().Deliver(context.Background(), alert.Policy{
				Servers: []alert.Server{srv}, Retries: []time.Duration{10 * time.Second, 30 * time.Second}, RetryPermanent: retryAll,
			}, alert.Envelope{From: "cam@example.com", To: []string{"owner@example.com"}}, []byte("x\r\n"))
			want := 1
			if retryAll {
				want = 3
			}
			if d.Delivered() || d.Attempts != want || d.Last().Class != alert.ClassAuth {
				t.Errorf("retry all %v: %d attempts, last %+v; want %d attempts ending in auth", retryAll, d.Attempts, d.Last(), want)
			}
		})
	}
}

// TestFailover: server 1 refuses connections, server 2 takes the alert in
// the same attempt; the failure log keeps server 1's failure.
func TestFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newMailWorld(t)
		w.add(t, "smtp1.example.com", "203.0.113.25", false, nil)
		two := w.add(t, "smtp2.example.com", "203.0.113.26", true, nil)
		d := w.client().Deliver(context.Background(), alert.Policy{
			Servers: []alert.Server{plainServer("smtp1.example.com"), plainServer("smtp2.example.com")},
			Retries: []time.Duration{10 * time.Second},
		}, alert.Envelope{From: "cam@example.com", To: []string{"owner@example.com"}}, []byte("x\r\n"))
		if !d.Delivered() || d.Attempts != 1 || d.Receipt.Server != "smtp2.example.com:25" {
			t.Fatalf("delivered %v by %+v after %d attempts", d.Delivered(), d.Receipt, d.Attempts)
		}
		if len(d.Failures) != 1 || d.Failures[0].Class != alert.ClassRefused || d.Failures[0].Server != "smtp1.example.com:25" {
			t.Errorf("failure log %+v, want server 1 refused", d.Failures)
		}
		if two.Accepted() != 1 {
			t.Errorf("server 2 accepted %d", two.Accepted())
		}
	})
}

// directWorld serves DNS for example.net with the given MX records, and
// mail servers mx1 and mx2.
func directWorld(t *testing.T, mxs []netem.Record, mx1Up bool) (*mailWorld, *alert.Client) {
	t.Helper()
	w := newMailWorld(t)
	w.add(t, "mx1.example.net", "203.0.113.31", mx1Up, nil)
	w.add(t, "mx2.example.net", "203.0.113.32", true, nil)
	w.add(t, "example.net", "203.0.113.30", true, nil)
	dns, _ := w.n.AddHost(netem.HostConfig{Name: "dns", Addrs: []netip.Addr{netip.MustParseAddr("198.51.100.53")}})
	records := append([]netem.Record{
		{Name: "mx1.example.net", Type: dnsmessage.TypeA, Addr: netip.MustParseAddr("203.0.113.31")},
		{Name: "mx2.example.net", Type: dnsmessage.TypeA, Addr: netip.MustParseAddr("203.0.113.32")},
		{Name: "example.net", Type: dnsmessage.TypeA, Addr: netip.MustParseAddr("203.0.113.30")},
	}, mxs...)
	if err := dns.ServeDNS(netem.DNSService{Records: records}); err != nil {
		t.Fatal(err)
	}
	c := w.client()
	c.Resolver = &alert.StubResolver{Servers: []netip.Addr{netip.MustParseAddr("198.51.100.53")}, Dial: w.dev.Dial}
	return w, c
}

var toExampleNet = alert.Envelope{From: "cam@example.com", To: []string{"owner@example.net"}}

func TestDirectDeliveryFollowsMXPreference(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, c := directWorld(t, []netem.Record{
			{Name: "example.net", Type: dnsmessage.TypeMX, Target: "mx2.example.net", Pref: 20},
			{Name: "example.net", Type: dnsmessage.TypeMX, Target: "mx1.example.net", Pref: 10},
		}, true)
		if _, err := c.SendDirect(context.Background(), toExampleNet, []byte("x\r\n")); err != nil {
			t.Fatal(err)
		}
		if w.servers["mx1.example.net"].Accepted() != 1 || w.servers["mx2.example.net"].Accepted() != 0 {
			t.Error("the message did not go to the preferred exchanger mx1")
		}
	})
}

func TestDirectDeliveryFallsBackToTheNextMX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, c := directWorld(t, []netem.Record{
			{Name: "example.net", Type: dnsmessage.TypeMX, Target: "mx1.example.net", Pref: 10},
			{Name: "example.net", Type: dnsmessage.TypeMX, Target: "mx2.example.net", Pref: 20},
		}, false)
		if _, err := c.SendDirect(context.Background(), toExampleNet, []byte("x\r\n")); err != nil {
			t.Fatal(err)
		}
		if w.servers["mx2.example.net"].Accepted() != 1 {
			t.Error("mx1 is down, but mx2 did not get the message")
		}
	})
}

func TestDirectDeliveryImplicitMX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, c := directWorld(t, nil, true)
		if _, err := c.SendDirect(context.Background(), toExampleNet, []byte("x\r\n")); err != nil {
			t.Fatal(err)
		}
		if w.servers["example.net"].Accepted() != 1 {
			t.Error("without MX records the domain's own address did not get the message")
		}
	})
}

func TestDirectDeliveryNullMX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, c := directWorld(t, []netem.Record{{Name: "example.net", Type: dnsmessage.TypeMX, Target: ".", Pref: 0}}, true)
		_, err := c.SendDirect(context.Background(), toExampleNet, []byte("x\r\n"))
		e, ok := err.(*alert.Error)
		if !ok || e.Class != alert.ClassRejected || e.Stage != "mx" || !strings.Contains(e.Error(), "null MX") {
			t.Fatalf("error %v, want a permanent null MX failure", err)
		}
		for name, s := range w.servers {
			if s.Accepted() != 0 {
				t.Errorf("%s got a message for a domain that takes none", name)
			}
		}
	})
}
