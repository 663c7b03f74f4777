package scenarios

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"golang.org/x/net/dns/dnsmessage"

	"alertsim/netem"
)

// DNS is the name service of the scenario: DNS servers on the network,
// answering for every server's host name and for the extra records.
type DNS struct {
	located
	Servers []DNSServer `yaml:"servers"`
	Records []DNSRecord `yaml:"records"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (d *DNS) UnmarshalYAML(node ast.Node) error {
	type plain DNS
	return decodeSection(node, (*plain)(d), &d.located)
}

// DNSServer is a DNS server at an address, with its faults.
type DNSServer struct {
	located
	// Name labels it in the timeline (default "dns-1", "dns-2", ...).
	Name    label      `yaml:"name"`
	Address Addr       `yaml:"address"`
	Faults  []DNSFault `yaml:"faults"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (s *DNSServer) UnmarshalYAML(node ast.Node) error {
	type plain DNSServer
	return decodeSection(node, (*plain)(s), &s.located)
}

// DNSFault is a misbehaviour of a DNS server; see netem.DNSFault.
type DNSFault struct {
	located
	// Name is the name it applies to; empty for every name.
	Name Hostname `yaml:"name"`
	// Kind is nxdomain, servfail, refused, no-answer, delay or
	// wrong-address.
	Kind    DNSFaultKind `yaml:"kind"`
	Delay   Duration     `yaml:"delay"`
	Address Addr         `yaml:"address"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (f *DNSFault) UnmarshalYAML(node ast.Node) error {
	type plain DNSFault
	return decodeSection(node, (*plain)(f), &f.located)
}

// DNSFaultKind is a netem DNS fault kind, by name.
type DNSFaultKind netem.DNSFaultKind

var dnsFaultKinds = func() names[netem.DNSFaultKind] {
	var ns names[netem.DNSFaultKind]
	for _, n := range netem.DNSFaultKinds() {
		k, _ := netem.ParseDNSFaultKind(n)
		ns = append(ns, named[netem.DNSFaultKind]{n, k})
	}
	return ns
}()

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (k *DNSFaultKind) UnmarshalYAML(node ast.Node) error {
	return dnsFaultKinds.decode(node, "DNS fault", dnsFaultKinds.listed("DNS faults"), (*netem.DNSFaultKind)(k))
}

func (DNSFaultKind) jsonSchema() map[string]any { return dnsFaultKinds.schema() }

// DNSRecord is an extra DNS record (A, AAAA, MX or CNAME).
type DNSRecord struct {
	located
	Name    Hostname   `yaml:"name"`
	Type    RecordType `yaml:"type"`
	Address Addr       `yaml:"address"`
	// Target is the host of an MX or CNAME record; "." is a null MX
	// (RFC 7505).
	Target Target `yaml:"target"`
	Pref   uint16 `yaml:"pref"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (r *DNSRecord) UnmarshalYAML(node ast.Node) error {
	type plain DNSRecord
	return decodeSection(node, (*plain)(r), &r.located)
}

// RecordType is a DNS record type the service answers, by name, in any
// case.
type RecordType dnsmessage.Type

var recordTypes = names[dnsmessage.Type]{{"A", dnsmessage.TypeA}, {"AAAA", dnsmessage.TypeAAAA}, {"MX", dnsmessage.TypeMX}, {"CNAME", dnsmessage.TypeCNAME}}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (t *RecordType) UnmarshalYAML(node ast.Node) error {
	if s, ok := node.(*ast.StringNode); ok {
		upper := *s
		upper.Value = strings.ToUpper(s.Value)
		node = &upper
	}
	return recordTypes.decode(node, "record type", "A, AAAA, MX or CNAME", (*dnsmessage.Type)(t))
}

func (RecordType) jsonSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": "^(?i)(a|aaaa|mx|cname)$"}
}

// Target is the host an MX or CNAME record points to: a host name, or "."
// for a null MX.
type Target string

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (t *Target) UnmarshalYAML(node ast.Node) error {
	if s, ok := node.(*ast.StringNode); ok && s.Value == "." {
		*t = "."
		return nil
	}
	var h Hostname
	if err := h.UnmarshalYAML(node); err != nil {
		return err
	}
	*t = Target(h)
	return nil
}

func (Target) jsonSchema() map[string]any { return map[string]any{"type": "string"} }

func (r *DNSRecord) netem() netem.Record {
	return netem.Record{Name: string(r.Name), Type: dnsmessage.Type(r.Type), Addr: r.Address.Addr, Target: string(r.Target), Pref: r.Pref}
}

// checkDNS checks the dns section and the device's use of it. Addresses
// must not collide with the device's or a mail server's.
func (sc *Scenario) checkDNS(l *loader) error {
	if sc.Device.DNSServers != nil && sc.DNS == nil {
		return l.at(sc.Device.key("dns_servers"), "the device has DNS servers but the scenario has no dns section", "add dns: servers: [...]")
	}
	if sc.DNS == nil {
		return nil
	}
	taken := map[netip.Addr]string{sc.Device.Address.Addr: "the device's"}
	if sc.Device.IPv6.IsValid() {
		taken[sc.Device.IPv6.Addr] = "the device's"
	}
	for _, s := range sc.Servers {
		taken[s.Address.Addr] = "server " + string(s.Host) + "'s"
	}
	for i := range sc.DNS.Servers {
		s := &sc.DNS.Servers[i]
		s.adopt(sc.DNS.item("servers", i))
		if s.Name == "" {
			s.Name = label(fmt.Sprintf("dns-%d", i+1))
		}
		if !s.Address.IsValid() {
			return l.at(s.key("address"), "a DNS server needs an address", "address: 198.51.100.53")
		}
		if !s.Address.unicast() {
			return l.at(s.key("address"), fmt.Sprintf("%s is not a unicast address a DNS server can have", s.Address), "")
		}
		if _, ok := taken[s.Address.Addr]; ok {
			return l.at(s.key("address"), fmt.Sprintf("address %s is already taken", s.Address), "")
		}
		taken[s.Address.Addr] = "DNS server " + string(s.Name) + "'s"
		for j := range s.Faults {
			f := &s.Faults[j]
			f.adopt(s.item("faults", j))
			if !f.has("kind") {
				return l.at(f.node, "a DNS fault needs a kind", dnsFaultKinds.listed("DNS faults"))
			}
			switch netem.DNSFaultKind(f.Kind) {
			case netem.DNSDelay:
				if f.Delay <= 0 {
					return l.at(f.node, "a delay fault needs a delay", "add delay: 3s")
				}
			case netem.DNSWrongAddress:
				if !f.Address.IsValid() {
					return l.at(f.node, "a wrong-address fault needs the address to answer with", "add address: 192.0.2.99")
				}
			}
		}
	}
	for i := range sc.DNS.Records {
		r := &sc.DNS.Records[i]
		r.adopt(sc.DNS.item("records", i))
		if !r.has("type") {
			return l.at(r.node, "a record needs a type", "A, AAAA, MX or CNAME")
		}
		if r.Name == "" {
			return l.at(r.node, "a record needs a name", "")
		}
		if err := r.netem().Validate(); err != nil {
			return l.at(r.node, err.Error(), "")
		}
	}
	return nil
}

// dnsService returns what a DNS server of the scenario answers: every
// server's name, the extra records, and the server's faults.
func (sc *Scenario) dnsService(s *DNSServer) netem.DNSService {
	var svc netem.DNSService
	for _, srv := range sc.Servers {
		t := dnsmessage.TypeA
		if srv.Address.Is6() {
			t = dnsmessage.TypeAAAA
		}
		svc.Records = append(svc.Records, netem.Record{Name: string(srv.Host), Type: t, Addr: srv.Address.Addr})
	}
	for i := range sc.DNS.Records {
		svc.Records = append(svc.Records, sc.DNS.Records[i].netem())
	}
	for _, f := range s.Faults {
		svc.Faults = append(svc.Faults, netem.DNSFault{Name: string(f.Name), Kind: netem.DNSFaultKind(f.Kind), Delay: f.Delay.D(), Addr: f.Address.Addr})
	}
	return svc
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
			out = append(out, a.Addr)
		}
		return out, true
	}
	for _, s := range sc.DNS.Servers {
		out = append(out, s.Address.Addr)
	}
	return out, true
}
