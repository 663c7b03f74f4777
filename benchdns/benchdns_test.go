package benchdns_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"alertsim/benchdns"
	"alertsim/netem"
)

// resolver asks the server at addr over network, as Go's own stub
// resolver does.
func resolver(network, addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

// TestRecordsAndFaults: Go's resolver, over UDP and TCP, gets the
// records, and the faults, of a scenario's DNS service.
func TestRecordsAndFaults(t *testing.T) {
	svc := netem.DNSService{
		Records: []netem.Record{{Name: "smtp.example.com", Type: dnsmessage.TypeA, Addr: netip.MustParseAddr("127.0.0.1")}},
		Faults:  []netem.DNSFault{{Name: "broken.example.com", Kind: netem.DNSServFail}, {Name: "gone.example.com", Kind: netem.DNSNXDomain}},
	}
	srv := &benchdns.Server{Service: svc}
	pc, l := listenPair(t)
	go srv.ServeUDP(pc)
	go srv.ServeTCP(l)
	defer srv.Close()
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			r := resolver(network, pc.LocalAddr().String())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			addrs, err := r.LookupHost(ctx, "smtp.example.com")
			if err != nil || len(addrs) != 1 || addrs[0] != "127.0.0.1" {
				t.Errorf("smtp.example.com: %v %v", addrs, err)
			}
			var de *net.DNSError
			if _, err := r.LookupHost(ctx, "gone.example.com"); !errors.As(err, &de) || !de.IsNotFound {
				t.Errorf("nxdomain fault: %v", err)
			}
			if _, err := r.LookupHost(ctx, "broken.example.com"); !errors.As(err, &de) || de.IsNotFound || !de.IsTemporary {
				t.Errorf("servfail fault: %v", err)
			}
		})
	}
}

// listenPair listens on UDP and TCP on one free port of the loopback, as
// a DNS server does: a port free for UDP may be taken for TCP, so it
// tries others until one is free for both.
func listenPair(t *testing.T) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 100 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		pc.Close()
	}
	t.Fatal("no port free for both UDP and TCP")
	return nil, nil
}
