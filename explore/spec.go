package explore

import (
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"alertsim/sim/device"
)

// Spec is a generated world, as the parts a shrinker takes away: it is
// written out as scenario source (Source) and loaded with scenarios.Parse
// like any file, so that a case is a file `make replay` plays as is.
type Spec struct {
	Name        string
	Description string
	Seed        uint64
	Duration    time.Duration
	Device      DeviceSpec
	Network     NetworkSpec
	DNS         *DNSSpec
	Servers     []ServerSpec
	Triggers    []TriggerSpec
}

// DeviceSpec is the scenario's device section.
type DeviceSpec struct {
	Model, Firmware string
	// Settings are the settings page's fields, in the order written; the
	// others keep their factory values.
	Settings []device.Setting
	// DNSServers are what the network assigns; nil leaves the key out.
	DNSServers []string
	MTUProbing bool
	// Clock is the device clock's offset from the start ("-3h"), empty
	// for a right clock.
	Clock string
	// Scene is the place a camera looks at (device.scene): frames of one
	// scene share their encoding, which is what makes exploring cheap.
	Scene int
}

// NetworkSpec is the scenario's network section: a profile, its overrides
// and the faults on the link. A zero field is left out.
type NetworkSpec struct {
	Profile      string
	RTT, Jitter  time.Duration
	Up, Down     string
	Loss         *LossSpec
	PathMTU      int
	Blackhole    bool
	MSSClamp     int
	Buffer       time.Duration
	BlockedPorts []int
	NATIdle      time.Duration
	Faults       []FaultSpec
}

// LossSpec is a loss model; see scenarios.Loss.
type LossSpec struct {
	Rate, EnterBurst, ExitBurst, BurstRate float64
}

// FaultSpec is a fault on the device's link.
type FaultSpec struct {
	Kind       string
	At, For    time.Duration
	Delay      time.Duration // slow-close
	Bytes      int64         // cut
	NoDuration bool          // reset and cut have no for
}

// DNSSpec is the scenario's dns section.
type DNSSpec struct {
	Servers []DNSServerSpec
	Records []DNSRecordSpec
}

// DNSServerSpec is a DNS server and its faults.
type DNSServerSpec struct {
	Name, Address string
	Faults        []DNSFaultSpec
}

// DNSFaultSpec is a DNS server's misbehaviour.
type DNSFaultSpec struct {
	Kind, Name, Address string
	Delay               time.Duration
}

// DNSRecordSpec is an extra record (the mailer's MX).
type DNSRecordSpec struct {
	Name, Type, Target string
	Pref               int
}

// ServerSpec is a mail server of the scenario.
type ServerSpec struct {
	Host, Preset string
	Listen       []ListenSpec
	Certificate  string
	MinTLS       string
	Accounts     []AccountSpec
	SenderDomain string
	Greylist     time.Duration
	RateLimit    *RateLimitSpec
	Tarpit       time.Duration
	Disconnect   int64
	Faults       []ServerFaultSpec
}

// ListenSpec is a port of a server.
type ListenSpec struct {
	Port int
	Mode string
}

// AccountSpec is a mailbox on a server.
type AccountSpec struct {
	Username, Password string
	AppPasswords       []string
	TwoFactor          bool
}

// RateLimitSpec allows Messages in any window of Per.
type RateLimitSpec struct {
	Messages int
	Per      time.Duration
}

// ServerFaultSpec replaces a server's reply at a stage.
type ServerFaultSpec struct {
	Stage          string
	Code           int
	Enhanced, Text string
	Times          int
	Hangup         bool
}

// TriggerSpec is an event at a time since the start.
type TriggerSpec struct {
	At    time.Duration
	Event string
	For   time.Duration
}

// Faults counts what a shrunk case is judged small by: the link's faults
// and each trouble of the network (loss, a path MTU black hole, a NAT's
// idle timeout, blocked ports, an MSS clamp), the DNS servers' faults and
// the mail servers', and each of a server's misbehaviours (greylisting, a
// rate limit, a tarpit, a hang-up, a certificate of its own, a TLS floor).
func (s *Spec) Faults() int {
	n := len(s.Network.Faults)
	for _, on := range []bool{s.Network.Loss != nil, s.Network.Blackhole, s.Network.NATIdle > 0, len(s.Network.BlockedPorts) > 0, s.Network.MSSClamp > 0} {
		if on {
			n++
		}
	}
	if s.DNS != nil {
		for _, d := range s.DNS.Servers {
			n += len(d.Faults)
		}
	}
	for _, srv := range s.Servers {
		n += len(srv.Faults)
		for _, on := range []bool{srv.Greylist > 0, srv.RateLimit != nil, srv.Tarpit > 0, srv.Disconnect > 0, srv.Certificate != "", srv.MinTLS != ""} {
			if on {
				n++
			}
		}
	}
	return n
}

// Source writes the spec as a scenario file, with a comment heading it.
func (s *Spec) Source(comment string) []byte {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(comment, "\n"), "\n") {
		if l == "" {
			b.WriteString("#\n")
		} else {
			b.WriteString("# " + l + "\n")
		}
	}
	fmt.Fprintf(&b, "name: %s\n", quote(s.Name))
	fmt.Fprintf(&b, "description: %s\n", quote(s.Description))
	fmt.Fprintf(&b, "seed: %d\nduration: %v\n", s.Seed, s.Duration)

	d := &s.Device
	fmt.Fprintf(&b, "\ndevice:\n  model: %s\n", d.Model)
	if d.Firmware != "" {
		fmt.Fprintf(&b, "  firmware: %s\n", quote(d.Firmware))
	}
	if d.DNSServers != nil {
		fmt.Fprintf(&b, "  dns_servers: [%s]\n", strings.Join(d.DNSServers, ", "))
	}
	if d.MTUProbing {
		b.WriteString("  mtu_probing: true\n")
	}
	if d.Clock != "" {
		fmt.Fprintf(&b, "  clock: %s\n", quote(d.Clock))
	}
	if d.Scene != 0 {
		fmt.Fprintf(&b, "  scene: %d\n", d.Scene)
	}
	if len(d.Settings) > 0 {
		b.WriteString("  settings:\n")
		for _, st := range d.Settings {
			fmt.Fprintf(&b, "    %s: %s\n", st.Key, flow(st.Value))
		}
	}

	n := &s.Network
	fmt.Fprintf(&b, "\nnetwork:\n  profile: %s\n", n.Profile)
	for _, kv := range []struct {
		key string
		v   time.Duration
	}{{"rtt", n.RTT}, {"jitter", n.Jitter}, {"buffer", n.Buffer}, {"nat_idle_timeout", n.NATIdle}} {
		if kv.v > 0 {
			fmt.Fprintf(&b, "  %s: %v\n", kv.key, kv.v)
		}
	}
	if n.Up != "" {
		fmt.Fprintf(&b, "  up: %s\n", n.Up)
	}
	if n.Down != "" {
		fmt.Fprintf(&b, "  down: %s\n", n.Down)
	}
	if l := n.Loss; l != nil {
		fmt.Fprintf(&b, "  loss: {rate: %g, enter_burst: %g, exit_burst: %g, burst_rate: %g}\n", l.Rate, l.EnterBurst, l.ExitBurst, l.BurstRate)
	}
	if n.PathMTU > 0 {
		fmt.Fprintf(&b, "  path_mtu: %d\n", n.PathMTU)
	}
	if n.Blackhole {
		b.WriteString("  pmtud: blackhole\n")
	}
	if n.MSSClamp > 0 {
		fmt.Fprintf(&b, "  mss_clamp: %d\n", n.MSSClamp)
	}
	if len(n.BlockedPorts) > 0 {
		fmt.Fprintf(&b, "  blocked_ports: %s\n", flow(n.BlockedPorts))
	}
	if len(n.Faults) > 0 {
		b.WriteString("  faults:\n")
		for _, f := range n.Faults {
			fmt.Fprintf(&b, "    - {kind: %s, at: %v", f.Kind, f.At)
			if f.For > 0 && !f.NoDuration {
				fmt.Fprintf(&b, ", for: %v", f.For)
			}
			if f.Delay > 0 {
				fmt.Fprintf(&b, ", delay: %v", f.Delay)
			}
			if f.Bytes > 0 {
				fmt.Fprintf(&b, ", bytes: %d", f.Bytes)
			}
			b.WriteString("}\n")
		}
	}

	if dns := s.DNS; dns != nil {
		b.WriteString("\ndns:\n  servers:\n")
		for _, ds := range dns.Servers {
			fmt.Fprintf(&b, "    - name: %s\n      address: %s\n", ds.Name, ds.Address)
			if len(ds.Faults) > 0 {
				b.WriteString("      faults:\n")
				for _, f := range ds.Faults {
					fmt.Fprintf(&b, "        - {kind: %s", f.Kind)
					if f.Name != "" {
						fmt.Fprintf(&b, ", name: %s", f.Name)
					}
					if f.Delay > 0 {
						fmt.Fprintf(&b, ", delay: %v", f.Delay)
					}
					if f.Address != "" {
						fmt.Fprintf(&b, ", address: %s", f.Address)
					}
					b.WriteString("}\n")
				}
			}
		}
		if len(dns.Records) > 0 {
			b.WriteString("  records:\n")
			for _, r := range dns.Records {
				fmt.Fprintf(&b, "    - {name: %s, type: %s, target: %s, pref: %d}\n", r.Name, r.Type, r.Target, r.Pref)
			}
		}
	}

	b.WriteString("\nservers:")
	if len(s.Servers) == 0 {
		b.WriteString(" []")
	}
	b.WriteString("\n")
	for _, srv := range s.Servers {
		fmt.Fprintf(&b, "  - host: %s\n", srv.Host)
		if srv.Preset != "" {
			fmt.Fprintf(&b, "    preset: %s\n", srv.Preset)
		}
		if len(srv.Listen) > 0 {
			b.WriteString("    listen:\n")
			for _, l := range srv.Listen {
				fmt.Fprintf(&b, "      - {port: %d, mode: %s}\n", l.Port, l.Mode)
			}
		}
		if srv.Certificate != "" {
			fmt.Fprintf(&b, "    certificate: %s\n", srv.Certificate)
		}
		if srv.MinTLS != "" {
			fmt.Fprintf(&b, "    min_tls: %s\n", quote(srv.MinTLS))
		}
		if len(srv.Accounts) > 0 {
			b.WriteString("    accounts:\n")
			for _, a := range srv.Accounts {
				fmt.Fprintf(&b, "      - username: %s\n        password: %s\n", quote(a.Username), quote(a.Password))
				if a.TwoFactor {
					b.WriteString("        two_factor: true\n")
				}
				if len(a.AppPasswords) > 0 {
					fmt.Fprintf(&b, "        app_passwords: %s\n", flow(a.AppPasswords))
				}
			}
		}
		if srv.SenderDomain != "" {
			fmt.Fprintf(&b, "    sender_domains: [%s]\n", srv.SenderDomain)
		}
		if srv.Greylist > 0 {
			fmt.Fprintf(&b, "    greylist: %v\n", srv.Greylist)
		}
		if r := srv.RateLimit; r != nil {
			fmt.Fprintf(&b, "    rate_limit: {messages: %d, per: %v}\n", r.Messages, r.Per)
		}
		if srv.Tarpit > 0 {
			fmt.Fprintf(&b, "    tarpit: %v\n", srv.Tarpit)
		}
		if srv.Disconnect > 0 {
			fmt.Fprintf(&b, "    disconnect_after: %d\n", srv.Disconnect)
		}
		if len(srv.Faults) > 0 {
			b.WriteString("    faults:\n")
			for _, f := range srv.Faults {
				fmt.Fprintf(&b, "      - {stage: %s", f.Stage)
				if f.Code != 0 {
					fmt.Fprintf(&b, ", code: %d", f.Code)
				}
				if f.Enhanced != "" {
					fmt.Fprintf(&b, ", enhanced: %s", quote(f.Enhanced))
				}
				if f.Text != "" {
					fmt.Fprintf(&b, ", text: %s", quote(f.Text))
				}
				if f.Times > 0 {
					fmt.Fprintf(&b, ", times: %d", f.Times)
				}
				if f.Hangup {
					b.WriteString(", hangup: true")
				}
				b.WriteString("}\n")
			}
		}
	}

	b.WriteString("\ntriggers:")
	if len(s.Triggers) == 0 {
		b.WriteString(" []")
	}
	b.WriteString("\n")
	for _, tr := range s.Triggers {
		fmt.Fprintf(&b, "  - {at: %v, event: %s", tr.At, tr.Event)
		if tr.For > 0 {
			fmt.Fprintf(&b, ", for: %v", tr.For)
		}
		b.WriteString("}\n")
	}
	return []byte(b.String())
}

// quote writes a string as a YAML scalar that reads back as the same
// string.
func quote(s string) string { return flow(s) }

// flow writes a value in YAML's flow style, on one line.
func flow(v any) string {
	out, err := yaml.MarshalWithOptions(v, yaml.Flow(true))
	if err != nil {
		// Generated values are strings, numbers, booleans and lists of
		// them, which always marshal.
		panic(fmt.Sprintf("explore: %v does not marshal: %v", v, err))
	}
	return strings.TrimSpace(string(out))
}

// clone returns a deep copy of the spec, for the shrinker to change.
func (s *Spec) clone() *Spec {
	c := *s
	c.Device.Settings = append([]device.Setting(nil), s.Device.Settings...)
	c.Device.DNSServers = cloneSlice(s.Device.DNSServers)
	c.Network.BlockedPorts = cloneSlice(s.Network.BlockedPorts)
	c.Network.Faults = cloneSlice(s.Network.Faults)
	if s.Network.Loss != nil {
		l := *s.Network.Loss
		c.Network.Loss = &l
	}
	if s.DNS != nil {
		d := DNSSpec{Records: cloneSlice(s.DNS.Records)}
		for _, ds := range s.DNS.Servers {
			ds.Faults = cloneSlice(ds.Faults)
			d.Servers = append(d.Servers, ds)
		}
		c.DNS = &d
	}
	c.Servers = nil
	for _, srv := range s.Servers {
		srv.Listen = cloneSlice(srv.Listen)
		srv.Accounts = cloneSlice(srv.Accounts)
		srv.Faults = cloneSlice(srv.Faults)
		if srv.RateLimit != nil {
			r := *srv.RateLimit
			srv.RateLimit = &r
		}
		c.Servers = append(c.Servers, srv)
	}
	c.Triggers = cloneSlice(s.Triggers)
	return &c
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append([]T{}, s...)
}
