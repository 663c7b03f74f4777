package scenarios

import (
	"crypto/tls"
	"net/netip"
	"slices"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"alertsim/fakesmtp"
	"alertsim/netem"
)

// BenchServer is one of a scenario's servers, built for real sockets
// (`alertsim serve -scenario`): the same preset, accounts, faults,
// greylisting, rate limit and tarpit as in a run.
type BenchServer struct {
	// Host is the server's name in the scenario.
	Host string
	// Server is configured; the caller adds what real sockets need
	// (a store, limits) and serves Listeners.
	Server    *fakesmtp.Server
	Listeners []fakesmtp.Listener
}

// BenchServers builds the scenario's servers as a run does, their
// certificates issued by ca. A server whose certificate is valid is also
// valid for extraHosts (the bench machine's names and addresses, which a
// device may be given instead of the scenario's name).
func (sc *Scenario) BenchServers(ca *fakesmtp.CA, extraHosts []string) ([]BenchServer, error) {
	var out []BenchServer
	for i := range sc.Servers {
		spec := &sc.Servers[i]
		// On the bench the world's clock is the machine's: certificates
		// are issued around now, not the scenario's start.
		srv, err := spec.configure(ca, time.Now())
		if err != nil {
			return nil, err
		}
		if spec.Certificate == "" || spec.Certificate == "valid" {
			cert, err := ca.Issue(fakesmtp.CertOptions{Hosts: append([]string{string(spec.Host)}, extraHosts...)})
			if err != nil {
				return nil, err
			}
			srv.TLSConfig.Certificates = []tls.Certificate{cert}
		}
		out = append(out, BenchServer{Host: string(spec.Host), Server: srv, Listeners: spec.listeners()})
	}
	return out, nil
}

// BenchDNSServer is one of a scenario's DNS servers, for real sockets.
type BenchDNSServer struct {
	Name    string
	Service netem.DNSService
}

// BenchDNS returns what the scenario's DNS servers answer, their records
// and faults, with every mail server's name pointing at addr (the bench
// machine) instead of its address in the scenario.
func (sc *Scenario) BenchDNS(addr netip.Addr) []BenchDNSServer {
	if sc.DNS == nil {
		return nil
	}
	hosts := map[string]bool{}
	for _, s := range sc.Servers {
		hosts[canonicalName(string(s.Host))] = true
	}
	var out []BenchDNSServer
	for i := range sc.DNS.Servers {
		s := &sc.DNS.Servers[i]
		svc := sc.dnsService(s)
		svc.Records = slices.DeleteFunc(svc.Records, func(r netem.Record) bool {
			return hosts[canonicalName(r.Name)] && (r.Type == dnsmessage.TypeA || r.Type == dnsmessage.TypeAAAA)
		})
		t := dnsmessage.TypeA
		if addr.Is6() {
			t = dnsmessage.TypeAAAA
		}
		for h := range hosts {
			svc.Records = append(svc.Records, netem.Record{Name: h, Type: t, Addr: addr})
		}
		slices.SortStableFunc(svc.Records, func(a, b netem.Record) int {
			if a.Name < b.Name {
				return -1
			}
			if a.Name > b.Name {
				return 1
			}
			return 0
		})
		out = append(out, BenchDNSServer{Name: string(s.Name), Service: svc})
	}
	return out
}

func canonicalName(n string) string {
	b := []byte(n)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	if len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	return string(b)
}
