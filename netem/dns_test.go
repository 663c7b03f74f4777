package netem

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

var dnsAddr = netip.MustParseAddr("198.51.100.53")

// dnsWorld is a client and a DNS server on the network.
func dnsWorld(t *testing.T, svc DNSService, link Link) (*Network, *Host) {
	t.Helper()
	n, client, _ := world(t, link, 0)
	dns, err := n.AddHost(HostConfig{Name: "dns", Addrs: addrs(dnsAddr)})
	if err != nil {
		t.Fatal(err)
	}
	if err := dns.ServeDNS(svc); err != nil {
		t.Fatal(err)
	}
	return n, client
}

// ask sends one question over UDP and returns the reply header and
// answers, or the read error.
func ask(t *testing.T, client *Host, name string, qtype dnsmessage.Type, wait time.Duration) (dnsmessage.Header, []dnsmessage.Resource, error) {
	t.Helper()
	conn, err := client.Dial(context.Background(), "udp", "198.51.100.53:53")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 42, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: qtype, Class: dnsmessage.ClassINET})
	q, _ := b.Finish()
	conn.Write(q)
	conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 1500)
	k, err := conn.Read(buf)
	if err != nil {
		return dnsmessage.Header{}, nil, err
	}
	var p dnsmessage.Parser
	h, err := p.Start(buf[:k])
	if err != nil {
		t.Fatal(err)
	}
	p.SkipAllQuestions()
	answers, err := p.AllAnswers()
	if err != nil {
		t.Fatal(err)
	}
	return h, answers, nil
}

var zone = []Record{
	{Name: "smtp.gmail.com", Type: dnsmessage.TypeA, Addr: netip.MustParseAddr("203.0.113.10")},
	{Name: "smtp.gmail.com", Type: dnsmessage.TypeAAAA, Addr: netip.MustParseAddr("2001:db8::10")},
	{Name: "mail.example.com", Type: dnsmessage.TypeCNAME, Target: "smtp.gmail.com"},
	{Name: "example.com", Type: dnsmessage.TypeMX, Target: "mx2.example.com", Pref: 20},
	{Name: "example.com", Type: dnsmessage.TypeMX, Target: "mx1.example.com", Pref: 10},
}

func TestDNSAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, client := dnsWorld(t, DNSService{Records: zone}, Link{Up: clean, Down: clean})
		start := time.Now()
		h, answers, err := ask(t, client, "smtp.gmail.com.", dnsmessage.TypeA, time.Second)
		if err != nil || h.RCode != dnsmessage.RCodeSuccess || len(answers) != 1 {
			t.Fatalf("A: %v %v %v", h.RCode, answers, err)
		}
		if a := answers[0].Body.(*dnsmessage.AResource).A; netip.AddrFrom4(a).String() != "203.0.113.10" || !h.Authoritative {
			t.Errorf("A answer %v", answers[0])
		}
		if d := time.Since(start); d < 50*time.Millisecond || d > 51*time.Millisecond {
			t.Errorf("answer after %v, want one round trip (50 ms)", d)
		}
		// A CNAME is followed within the zone.
		_, answers, _ = ask(t, client, "MAIL.example.com.", dnsmessage.TypeA, time.Second)
		if len(answers) != 2 || answers[0].Header.Type != dnsmessage.TypeCNAME || answers[1].Header.Type != dnsmessage.TypeA {
			t.Errorf("CNAME chain: %v", answers)
		}
		_, answers, _ = ask(t, client, "example.com.", dnsmessage.TypeMX, time.Second)
		if len(answers) != 2 {
			t.Errorf("MX: %v", answers)
		}
		h, answers, _ = ask(t, client, "example.com.", dnsmessage.TypeA, time.Second)
		if h.RCode != dnsmessage.RCodeSuccess || len(answers) != 0 {
			t.Errorf("A of a name with only MX: %v %v, want NOERROR and no records", h.RCode, answers)
		}
		h, _, _ = ask(t, client, "nowhere.example.", dnsmessage.TypeA, time.Second)
		if h.RCode != dnsmessage.RCodeNameError {
			t.Errorf("unknown name: %v, want NXDOMAIN", h.RCode)
		}
		wantTrace(t, n, "dns: A smtp.gmail.com? from 192.0.2.10:49152: A 203.0.113.10")
	})
}

func TestDNSFaults(t *testing.T) {
	for _, tc := range []struct {
		fault DNSFault
		rcode dnsmessage.RCode
		check func(t *testing.T, took time.Duration, answers []dnsmessage.Resource, err error)
	}{
		{fault: DNSFault{Kind: DNSNXDomain}, rcode: dnsmessage.RCodeNameError},
		{fault: DNSFault{Kind: DNSServFail}, rcode: dnsmessage.RCodeServerFailure},
		{fault: DNSFault{Kind: DNSRefused}, rcode: dnsmessage.RCodeRefused},
		{fault: DNSFault{Name: "smtp.gmail.com", Kind: DNSNoAnswer}, check: func(t *testing.T, _ time.Duration, _ []dnsmessage.Resource, err error) {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("no answer: %v, want the read to time out", err)
			}
		}},
		{fault: DNSFault{Kind: DNSDelay, Delay: 3 * time.Second}, check: func(t *testing.T, took time.Duration, answers []dnsmessage.Resource, err error) {
			if err != nil || len(answers) != 1 || took < 3*time.Second {
				t.Errorf("delayed answer after %v: %v %v", took, answers, err)
			}
		}},
		{fault: DNSFault{Kind: DNSWrongAddress, Addr: netip.MustParseAddr("192.0.2.99")}, check: func(t *testing.T, _ time.Duration, answers []dnsmessage.Resource, err error) {
			if err != nil || len(answers) != 1 || netip.AddrFrom4(answers[0].Body.(*dnsmessage.AResource).A).String() != "192.0.2.99" {
				t.Errorf("wrong address: %v %v", answers, err)
			}
		}},
	} {
		t.Run(tc.fault.Kind.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n, client := dnsWorld(t, DNSService{Records: zone, Faults: []DNSFault{tc.fault}}, Link{Up: clean, Down: clean})
				start := time.Now()
				h, answers, err := ask(t, client, "smtp.gmail.com.", dnsmessage.TypeA, 10*time.Second)
				if tc.check != nil {
					tc.check(t, time.Since(start), answers, err)
				} else if err != nil || h.RCode != tc.rcode {
					t.Errorf("rcode %v, err %v; want %v", h.RCode, err, tc.rcode)
				}
				wantTrace(t, n, "(fault: "+tc.fault.Kind.String())
			})
		})
	}
}

// TestDNSNamedFaultBeatsWildcard: a fault for a name applies to that name
// whatever its place in the list, and a fault for every name (empty Name)
// to the others.
func TestDNSNamedFaultBeatsWildcard(t *testing.T) {
	named := DNSFault{Name: "SMTP.gmail.com.", Kind: DNSNXDomain}
	every := DNSFault{Kind: DNSServFail}
	for _, faults := range [][]DNSFault{{every, named}, {named, every}} {
		t.Run(faults[0].Kind.String()+" first", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, client := dnsWorld(t, DNSService{Records: zone, Faults: faults}, Link{Up: clean, Down: clean})
				for _, q := range []struct {
					name string
					want dnsmessage.RCode
				}{
					{"smtp.gmail.com.", dnsmessage.RCodeNameError},
					{"mail.example.com.", dnsmessage.RCodeServerFailure},
				} {
					h, _, err := ask(t, client, q.name, dnsmessage.TypeA, time.Second)
					if err != nil || h.RCode != q.want {
						t.Errorf("%s: rcode %v, err %v; want %v", q.name, h.RCode, err, q.want)
					}
				}
			})
		})
	}
}

// TestDNSQueryLostOnTheLink: UDP suffers the link like TCP does.
func TestDNSQueryLostOnTheLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Up: clean, Down: clean, Faults: []Fault{{Kind: FaultDown}}}
		n, client := dnsWorld(t, DNSService{Records: zone}, link)
		if _, _, err := ask(t, client, "smtp.gmail.com.", dnsmessage.TypeA, 5*time.Second); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("query over a dead link: %v", err)
		}
		wantTrace(t, n, "UDP datagram dropped on client uplink: link down")
	})
}

func TestUDPPacketConn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, client, server := world(t, Link{Up: clean, Down: clean}, 0)
		srv, err := server.ListenPacket("udp", ":9000")
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		go func() {
			buf := make([]byte, 100)
			k, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			srv.WriteTo(append([]byte("echo "), buf[:k]...), from)
		}()
		c, _ := client.Dial(context.Background(), "udp", "203.0.113.25:9000")
		defer c.Close()
		c.Write([]byte("ping"))
		buf := make([]byte, 100)
		k, err := c.Read(buf)
		if err != nil || string(buf[:k]) != "echo ping" {
			t.Fatalf("got %q, %v", buf[:k], err)
		}
		// Nobody on that port: the datagram is dropped, the reader times
		// out.
		c2, _ := client.Dial(context.Background(), "udp", "203.0.113.25:9001")
		defer c2.Close()
		c2.Write([]byte("hello?"))
		c2.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := c2.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read from a port nobody listens on: %v", err)
		}
	})
}
