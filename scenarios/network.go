package scenarios

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/dns/dnsmessage"

	"alertsim/netem"
)

// link returns the device's access link: the profile, with the scenario's
// overrides and faults.
func (nw *Network) link() netem.Link {
	p, _ := netem.LookupProfile(nw.Profile)
	if nw.RTT != nil {
		p.RTT = nw.RTT.D()
	}
	if nw.Up != nil {
		p.Up = netem.Bitrate(*nw.Up)
	}
	if nw.Down != nil {
		p.Down = netem.Bitrate(*nw.Down)
	}
	if nw.Loss != nil {
		p.Loss = nw.Loss.model()
	}
	if nw.PathMTU != nil {
		p.PathMTU = *nw.PathMTU
	}
	l := p.Link()
	if nw.Jitter != nil {
		l.Up.Jitter, l.Down.Jitter = nw.Jitter.D(), nw.Jitter.D()
	}
	if nw.PMTUD == "blackhole" {
		l.PMTUD = netem.PMTUDBlackhole
	}
	l.MSSClamp = nw.MSSClamp
	l.Down.Queue = nw.Queue
	for _, port := range nw.BlockedPorts {
		l.BlockedPorts = append(l.BlockedPorts, uint16(port))
	}
	if nw.NATIdleTimeout != nil {
		l.NATIdleTimeout = nw.NATIdleTimeout.D()
	}
	for _, f := range nw.Faults {
		l.Faults = append(l.Faults, f.netem())
	}
	return l
}

func (l *Loss) model() netem.Loss {
	return netem.Loss{Rate: l.Rate, EnterBurst: l.EnterBurst, ExitBurst: l.ExitBurst, BurstRate: l.BurstRate}
}

func (f *Fault) netem() netem.Fault {
	kind, _ := netem.ParseFaultKind(f.Kind)
	return netem.Fault{Kind: kind, At: f.At.D(), For: f.For.D(), Delay: f.Delay.D(), Bytes: f.Bytes}
}

// describe says what the link is, for the record's header.
func describeLink(profile string, l netem.Link) string {
	parts := []string{fmt.Sprintf("%s: %v RTT, %v down, %v up", profile, l.Up.Delay+l.Down.Delay, l.Down.Rate, l.Up.Rate)}
	if l.Up.Jitter > 0 {
		parts = append(parts, fmt.Sprintf("jitter %v", l.Up.Jitter))
	}
	if l.PathMTU > 0 {
		parts = append(parts, fmt.Sprintf("path MTU %d (PMTUD %v)", l.PathMTU, l.PMTUD))
	}
	if l.MSSClamp > 0 {
		parts = append(parts, fmt.Sprintf("MSS clamped to %d", l.MSSClamp))
	}
	if !l.Up.Loss.IsZero() {
		parts = append(parts, "loss "+l.Up.Loss.String())
	}
	if l.Down.Queue > 0 {
		parts = append(parts, fmt.Sprintf("downlink queue %d bytes", l.Down.Queue))
	}
	if len(l.BlockedPorts) > 0 {
		parts = append(parts, fmt.Sprintf("ports %v blocked", l.BlockedPorts))
	}
	if l.NATIdleTimeout > 0 {
		parts = append(parts, fmt.Sprintf("NAT forgets idle connections after %v", l.NATIdleTimeout))
	}
	return strings.Join(parts, ", ")
}

// dnsService returns what a DNS server of the scenario answers: every
// server's name, the extra records, and the server's faults.
func (sc *Scenario) dnsService(s DNSServer) netem.DNSService {
	var svc netem.DNSService
	for _, srv := range sc.Servers {
		a := netip.MustParseAddr(srv.Address)
		t := dnsmessage.TypeA
		if a.Is6() {
			t = dnsmessage.TypeAAAA
		}
		svc.Records = append(svc.Records, netem.Record{Name: srv.Host, Type: t, Addr: a})
	}
	for _, r := range sc.DNS.Records {
		svc.Records = append(svc.Records, r.netem())
	}
	for _, f := range s.Faults {
		kind, _ := netem.ParseDNSFaultKind(f.Kind)
		nf := netem.DNSFault{Name: f.Name, Kind: kind, Delay: f.Delay.D()}
		if f.Address != "" {
			nf.Addr = netip.MustParseAddr(f.Address)
		}
		svc.Faults = append(svc.Faults, nf)
	}
	return svc
}

var recordTypes = map[string]dnsmessage.Type{
	"A": dnsmessage.TypeA, "AAAA": dnsmessage.TypeAAAA, "MX": dnsmessage.TypeMX, "CNAME": dnsmessage.TypeCNAME,
}

func (r *Record) netem() netem.Record {
	rec := netem.Record{Name: r.Name, Type: recordTypes[strings.ToUpper(r.Type)], Target: r.Target, Pref: r.Pref}
	if r.Address != "" {
		rec.Addr = netip.MustParseAddr(r.Address)
	}
	return rec
}

// deviceDNS returns the DNS servers the device asks, and whether the
// device uses DNS at all (without a dns section it resolves from a fixed
// table, and the timeline shows no DNS traffic).
func (sc *Scenario) deviceDNS() ([]netip.Addr, bool) {
	if sc.DNS == nil {
		return nil, false
	}
	var out []netip.Addr
	if sc.Device.DNSServers != nil {
		for _, a := range *sc.Device.DNSServers {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, true
	}
	for _, s := range sc.DNS.Servers {
		out = append(out, netip.MustParseAddr(s.Address))
	}
	return out, true
}
