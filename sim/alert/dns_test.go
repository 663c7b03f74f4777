package alert_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"alertsim/netem"
	"alertsim/sim/alert"
)

var (
	carrierDNS = netip.MustParseAddr("10.64.0.53")
	googleDNS  = netip.MustParseAddr("8.8.8.8")
	gmailAddr  = netip.MustParseAddr("203.0.113.10")
)

// dnsRig is a device on a 4G-like link and two DNS servers: the carrier's,
// with the given faults, and a public one that works.
func dnsRig(t *testing.T, carrierFaults ...netem.DNSFault) *netem.Host {
	t.Helper()
	n := netem.New(netem.Config{Seed: 1})
	t.Cleanup(func() { n.Close() })
	oneWay := netem.Direction{Delay: 35 * time.Millisecond}
	dev, _ := n.AddHost(netem.HostConfig{Name: "camera", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Link: netem.Link{Up: oneWay, Down: oneWay}})
	records := []netem.Record{
		{Name: "smtp.gmail.com", Type: dnsmessage.TypeA, Addr: gmailAddr},
		{Name: "example.com", Type: dnsmessage.TypeMX, Target: "mx2.example.com", Pref: 20},
		{Name: "example.com", Type: dnsmessage.TypeMX, Target: "mx1.example.com", Pref: 10},
	}
	carrier, _ := n.AddHost(netem.HostConfig{Name: "carrier-dns", Addrs: []netip.Addr{carrierDNS}})
	carrier.ServeDNS(netem.DNSService{Records: records, Faults: carrierFaults})
	google, _ := n.AddHost(netem.HostConfig{Name: "google-dns", Addrs: []netip.Addr{googleDNS}})
	google.ServeDNS(netem.DNSService{Records: records})
	return dev
}

// TestResolverFaults: each way the carrier's DNS fails gives the device
// the matching error, when it is the only server configured.
func TestResolverFaults(t *testing.T) {
	for _, tc := range []struct {
		fault                   netem.DNSFault
		notFound, timeout, temp bool
		took                    time.Duration
	}{
		{fault: netem.DNSFault{Kind: netem.DNSNXDomain}, notFound: true, took: 70 * time.Millisecond},
		{fault: netem.DNSFault{Kind: netem.DNSServFail}, temp: true, took: 2 * 70 * time.Millisecond},
		{fault: netem.DNSFault{Kind: netem.DNSRefused}, temp: true, took: 2 * 70 * time.Millisecond},
		{fault: netem.DNSFault{Kind: netem.DNSNoAnswer}, timeout: true, took: 2 * 5 * time.Second},
		{fault: netem.DNSFault{Kind: netem.DNSDelay, Delay: 6 * time.Second}, timeout: true, took: 2 * 5 * time.Second},
	} {
		t.Run(tc.fault.Kind.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dev := dnsRig(t, tc.fault)
				r := &alert.StubResolver{Servers: []netip.Addr{carrierDNS}, Dial: dev.Dial}
				start := time.Now()
				_, err := r.LookupHost(context.Background(), "smtp.gmail.com")
				var de *net.DNSError
				if !errors.As(err, &de) {
					t.Fatalf("error %v (%T), want *net.DNSError", err, err)
				}
				if de.IsNotFound != tc.notFound || de.IsTimeout != tc.timeout || de.IsTemporary != tc.temp {
					t.Errorf("error %v: notFound %v timeout %v temporary %v", err, de.IsNotFound, de.IsTimeout, de.IsTemporary)
				}
				// One round trip is 70 ms; two attempts unless the answer is final.
				if got := time.Since(start).Round(time.Millisecond); got != tc.took {
					t.Errorf("gave up after %v, want %v", got, tc.took)
				}
			})
		})
	}
}

func TestResolverDelayWithinTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev := dnsRig(t, netem.DNSFault{Kind: netem.DNSDelay, Delay: 2 * time.Second})
		r := &alert.StubResolver{Servers: []netip.Addr{carrierDNS}, Dial: dev.Dial}
		addrs, err := r.LookupHost(context.Background(), "smtp.gmail.com")
		if err != nil || len(addrs) != 1 || addrs[0] != gmailAddr {
			t.Fatalf("LookupHost = %v, %v", addrs, err)
		}
	})
}

func TestResolverWrongAddressIsBelieved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wrong := netip.MustParseAddr("192.0.2.99")
		dev := dnsRig(t, netem.DNSFault{Kind: netem.DNSWrongAddress, Addr: wrong})
		r := &alert.StubResolver{Servers: []netip.Addr{carrierDNS}, Dial: dev.Dial}
		addrs, err := r.LookupHost(context.Background(), "smtp.gmail.com")
		if err != nil || len(addrs) != 1 || addrs[0] != wrong {
			t.Fatalf("LookupHost = %v, %v; want the wrong address, believed", addrs, err)
		}
	})
}

// TestResolverFallsBackToSecondServer: the carrier's DNS is dead, 8.8.8.8
// works: the name resolves once the first server's timeout has passed.
func TestResolverFallsBackToSecondServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev := dnsRig(t, netem.DNSFault{Kind: netem.DNSNoAnswer})
		var log []string
		r := &alert.StubResolver{Servers: []netip.Addr{carrierDNS, googleDNS}, Dial: dev.Dial, Log: func(e alert.Event) { log = append(log, e.Text) }}
		start := time.Now()
		addrs, err := r.LookupHost(context.Background(), "smtp.gmail.com")
		if err != nil || len(addrs) != 1 || addrs[0] != gmailAddr {
			t.Fatalf("LookupHost = %v, %v", addrs, err)
		}
		if got := time.Since(start).Round(time.Millisecond); got != 5*time.Second+70*time.Millisecond {
			t.Errorf("resolved after %v, want the 5 s timeout plus one round trip", got)
		}
		if len(log) != 2 || log[0] != "dns: 10.64.0.53 did not answer A? smtp.gmail.com within 5s" || log[1] != "dns: 8.8.8.8: smtp.gmail.com A 203.0.113.10" {
			t.Errorf("device log: %q", log)
		}
	})
}

func TestResolverWithoutServers(t *testing.T) {
	r := &alert.StubResolver{}
	_, err := r.LookupHost(context.Background(), "smtp.gmail.com")
	var de *net.DNSError
	if !errors.As(err, &de) || de.Err != "no DNS server configured" {
		t.Fatalf("error %v", err)
	}
}

func TestResolverMX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev := dnsRig(t)
		r := &alert.StubResolver{Servers: []netip.Addr{googleDNS}, Dial: dev.Dial}
		mxs, err := r.LookupMX(context.Background(), "example.com")
		if err != nil || len(mxs) != 2 || mxs[0].Host != "mx1.example.com." || mxs[1].Pref != 20 {
			t.Fatalf("LookupMX = %v, %v", mxs, err)
		}
	})
}

// TestResolverStopsWhenSwitchedOff: a device switched off in the middle
// of a try that gets no answer stops at once, says nothing of the server,
// and reports the cancellation, rather than waiting out the 5 s try.
func TestResolverStopsWhenSwitchedOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dev := dnsRig(t, netem.DNSFault{Kind: netem.DNSNoAnswer})
		var logged []string
		r := &alert.StubResolver{Servers: []netip.Addr{carrierDNS}, Dial: dev.Dial, Log: func(e alert.Event) { logged = append(logged, e.Text) }}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		start := time.Now()
		_, err := r.LookupHost(ctx, "smtp.gmail.com")
		if took := time.Since(start); took != time.Second {
			t.Errorf("the lookup ended after %v, want 1s, when the device was switched off", took)
		}
		var de *net.DNSError
		if !errors.As(err, &de) || !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("err = %v, want a DNS error after the cancellation", err)
		}
		if len(logged) != 0 {
			t.Errorf("logged %q after the switch-off", logged)
		}
	})
}
