package scenarios

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	"alertsim/fakesmtp"
	"alertsim/netem"
	"alertsim/sim/alert"
	"alertsim/sim/ui"
)

// check validates what decoding alone cannot.
func (l *loader) check(sc *Scenario) error {
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(sc.Path), filepath.Ext(sc.Path))
	}
	if sc.Duration <= 0 {
		return l.atPath("$.duration", "the scenario needs a duration greater than zero", durationHint)
	}

	m := lookupModel(sc.Device.Model)
	if m == nil {
		return l.atPath("$.device.model", fmt.Sprintf("unknown device model %q", sc.Device.Model), "models: "+strings.Join(modelNames(), ", "))
	}
	sc.model = m
	if sc.Device.Hostname == "" {
		sc.Device.Hostname = m.hostname
	}
	if sc.Device.Address == "" {
		sc.Device.Address = "192.0.2.10"
	}
	if _, err := netip.ParseAddr(sc.Device.Address); err != nil {
		return l.atPath("$.device.address", fmt.Sprintf("%q is not an IP address", sc.Device.Address), "")
	}
	if a, err := netip.ParseAddr(sc.Device.IPv6); sc.Device.IPv6 != "" && (err != nil || !a.Is6()) {
		return l.atPath("$.device.ipv6", fmt.Sprintf("%q is not an IPv6 address", sc.Device.IPv6), "2001:db8::10")
	}
	if sc.Device.Firmware != "" && !slices.Contains(m.firmwares, string(sc.Device.Firmware)) {
		hint := "this model has one firmware: leave firmware out"
		if len(m.firmwares) > 0 {
			hint = "firmware versions: " + strings.Join(m.firmwares, ", ")
		}
		return l.atPath("$.device.firmware", fmt.Sprintf("the %s has no firmware %q", m.name, sc.Device.Firmware), hint)
	}
	if sc.Device.Firmware == "" && len(m.firmwares) > 0 {
		sc.Device.Firmware = Version(m.firmwares[0])
	}
	settings, err := m.decode(sc.Device.Settings, string(sc.Device.Firmware))
	if err != nil {
		var fe *ui.FieldError
		if errors.As(err, &fe) {
			return l.atPath("$.device.settings."+fe.Field, fmt.Sprintf("%s setting %s: %s", m.name, fe.Field, fe.Message), "")
		}
		return l.wrap(err)
	}
	sc.settings = settings
	if m.network != nil {
		mtu, dns := m.network(settings)
		if mtu != 0 && sc.Device.MTU != 0 && mtu != sc.Device.MTU {
			return l.atPath("$.device.mtu", fmt.Sprintf("device mtu %d contradicts the settings' mtu %d", sc.Device.MTU, mtu), "the "+m.name+" sets its MTU in its settings (mtu): leave device.mtu out")
		}
		if mtu != 0 {
			sc.Device.MTU = mtu
		}
		if len(dns) > 0 {
			if sc.Device.DNSServers != nil {
				return l.atPath("$.device.dns_servers", "the settings name the DNS servers already", "leave device.dns_servers out, or the settings' DNS fields")
			}
			list := make([]string, len(dns))
			for i, a := range dns {
				list[i] = a.String()
			}
			sc.Device.DNSServers = &list
			sc.settingsDNS = true
		}
	}
	if sc.Device.MTU == 0 {
		sc.Device.MTU = 1500
	}
	if sc.Device.MTU < 576 || sc.Device.MTU > 9000 {
		return l.atPath("$.device.mtu", fmt.Sprintf("MTU %d is outside 576-9000", sc.Device.MTU), "")
	}

	if sc.Network.Profile == "" {
		return l.atPath("$.network", "the network needs a profile", "profiles: "+strings.Join(netem.ProfileNames(), ", "))
	}
	if _, ok := netem.LookupProfile(sc.Network.Profile); !ok {
		return l.atPath("$.network.profile", fmt.Sprintf("unknown network profile %q", sc.Network.Profile), "profiles: "+strings.Join(netem.ProfileNames(), ", "))
	}
	if err := l.checkNetwork(&sc.Network); err != nil {
		return err
	}

	seenHost := map[string]bool{}
	for i := range sc.Servers {
		s := &sc.Servers[i]
		at := fmt.Sprintf("$.servers[%d]", i)
		if s.Host == "" {
			return l.atPath(at, "a server needs a host name", "")
		}
		if seenHost[s.Host] {
			return l.atPath(at+".host", fmt.Sprintf("server %s is defined twice", s.Host), "")
		}
		seenHost[s.Host] = true
		if s.Address == "" {
			s.Address = netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i)}).String()
		}
		if _, err := netip.ParseAddr(s.Address); err != nil {
			return l.atPath(at+".address", fmt.Sprintf("%q is not an IP address", s.Address), "")
		}
		if s.Preset != "" {
			if _, ok := fakesmtp.LookupPreset(s.Preset); !ok {
				return l.atPath(at+".preset", fmt.Sprintf("unknown server preset %q", s.Preset), "presets: "+strings.Join(fakesmtp.PresetNames(), ", "))
			}
		}
		if len(s.Listen) == 0 && s.Preset == "" {
			return l.atPath(at, fmt.Sprintf("server %s listens on no port", s.Host), "add listen: [{port: 465, mode: implicit-tls}], or a preset")
		}
		if s.Certificate != "" && !slices.Contains(certificates, s.Certificate) {
			return l.atPath(at+".certificate", fmt.Sprintf("unknown certificate %q", s.Certificate), "certificates: "+strings.Join(certificates, ", "))
		}
		if _, ok := tlsVersions[s.MinTLS]; s.MinTLS != "" && !ok {
			return l.atPath(at+".min_tls", fmt.Sprintf("unknown TLS version %q", s.MinTLS), "1.0, 1.1, 1.2 or 1.3")
		}
		if r := s.RateLimit; r != nil && (r.Messages <= 0 || r.Per <= 0) {
			return l.atPath(at+".rate_limit", "a rate limit needs messages and per, both more than zero", "rate_limit: {messages: 10, per: 1h}")
		}
		if s.DisconnectAfter < 0 {
			return l.atPath(at+".disconnect_after", "disconnect_after cannot be negative", "")
		}
		for j, a := range s.Accounts {
			if a.Username == "" {
				return l.atPath(fmt.Sprintf("%s.accounts[%d]", at, j), "an account needs a username", "")
			}
		}
		for j, f := range s.Faults {
			fat := fmt.Sprintf("%s.faults[%d]", at, j)
			stage, ok := fakesmtp.ParseStage(f.Stage)
			if !ok {
				return l.atPath(fat+".stage", fmt.Sprintf("unknown stage %q", f.Stage), "stages: "+strings.Join(fakesmtp.Stages(), ", "))
			}
			if (f.Code != 0 || stage != fakesmtp.StageConnect) && (f.Code < 400 || f.Code > 599) {
				return l.atPath(fat, fmt.Sprintf("a fault's code must be a 4xx or 5xx reply, not %d", f.Code), "code: 451, enhanced: 4.3.0, text: ...")
			}
			if f.Enhanced != "" && !validEnhanced(f.Enhanced, f.Code) {
				return l.atPath(fat+".enhanced", fmt.Sprintf("%q is not an enhanced status code for a %d reply", f.Enhanced, f.Code), "class.subject.detail, the class matching the code: 5.1.1 for 550")
			}
			if f.Recipient != "" && stage != fakesmtp.StageRcpt {
				return l.atPath(fat+".recipient", "only a rcpt fault has a recipient", "")
			}
			if f.Times < 0 {
				return l.atPath(fat+".times", "times cannot be negative", "")
			}
		}
		for j, ln := range s.Listen {
			if ln.Port < 1 || ln.Port > 65535 {
				return l.atPath(fmt.Sprintf("%s.listen[%d].port", at, j), fmt.Sprintf("port %d is outside 1-65535", ln.Port), "")
			}
			if _, ok := modes[ln.Mode]; !ok {
				return l.atPath(fmt.Sprintf("%s.listen[%d].mode", at, j), fmt.Sprintf("unknown listener mode %q", ln.Mode), "modes: plain, starttls, implicit-tls")
			}
		}
	}

	if err := l.checkDNS(sc); err != nil {
		return err
	}

	for i, tr := range sc.Triggers {
		at := fmt.Sprintf("$.triggers[%d]", i)
		if !slices.Contains(m.events, tr.Event) {
			return l.atPath(at+".event", fmt.Sprintf("the %s does not know the event %q", m.name, tr.Event), "events: "+strings.Join(m.events, ", "))
		}
		if tr.For < 0 {
			return l.atPath(at+".for", "for cannot be negative", durationHint)
		}
		if tr.At > sc.Duration {
			return l.atPath(at+".at", fmt.Sprintf("trigger at %v is after the end of the run (%v)", tr.At, sc.Duration), "lengthen duration or move the trigger")
		}
	}
	if d := sc.Expect.Delivered; d != nil && *d < 0 {
		return l.atPath("$.expect.delivered", "delivered cannot be negative", "")
	}
	if a := sc.Expect.Attempts; a != nil && *a < 0 {
		return l.atPath("$.expect.attempts", "attempts cannot be negative", "")
	}
	if f := sc.Expect.Failures; f != nil {
		for i, c := range *f {
			if !slices.Contains(alert.Classes(), alert.Class(c)) {
				return l.atPath(fmt.Sprintf("$.expect.failures[%d]", i), fmt.Sprintf("unknown failure class %q", c), "classes: "+strings.Join(classNames(), ", "))
			}
		}
	}
	if d := sc.Expect.DeliveredBy; d != nil && *d > sc.Duration {
		return l.atPath("$.expect.delivered_by", fmt.Sprintf("delivered_by %v is after the end of the run (%v)", *d, sc.Duration), "")
	}
	return nil
}

func classNames() []string {
	var out []string
	for _, c := range alert.Classes() {
		out = append(out, string(c))
	}
	return out
}

func (l *loader) checkNetwork(nw *Network) error {
	const at = "$.network"
	switch nw.PMTUD {
	case "", "working", "blackhole":
	default:
		return l.atPath(at+".pmtud", fmt.Sprintf("unknown pmtud %q", nw.PMTUD), "working (ICMP reaches the sender) or blackhole (it does not)")
	}
	if nw.PathMTU != nil && *nw.PathMTU != 0 && (*nw.PathMTU < 576 || *nw.PathMTU > 65535) {
		return l.atPath(at+".path_mtu", fmt.Sprintf("path MTU %d is outside 576-65535", *nw.PathMTU), "")
	}
	if nw.MSSClamp < 0 || (nw.MSSClamp > 0 && nw.MSSClamp < 88) {
		return l.atPath(at+".mss_clamp", fmt.Sprintf("MSS clamp %d is too small", nw.MSSClamp), "")
	}
	if nw.Queue < 0 {
		return l.atPath(at+".queue", "the queue cannot be negative", "")
	}
	if nw.Loss != nil {
		if err := nw.Loss.model().Validate(); err != nil {
			return l.atPath(at+".loss", "each loss probability is a fraction between 0 and 1", "0.01 is 1%")
		}
	}
	for i, p := range nw.BlockedPorts {
		if p < 1 || p > 65535 {
			return l.atPath(fmt.Sprintf("%s.blocked_ports[%d]", at, i), fmt.Sprintf("port %d is outside 1-65535", p), "")
		}
	}
	for i, f := range nw.Faults {
		path := fmt.Sprintf("%s.faults[%d]", at, i)
		if _, ok := netem.ParseFaultKind(f.Kind); !ok {
			return l.atPath(path+".kind", fmt.Sprintf("unknown fault %q", f.Kind), "faults: "+strings.Join(netem.FaultKinds(), ", "))
		}
		if err := f.netem().Validate(); err != nil {
			hint := ""
			switch f.Kind {
			case "cut":
				hint = "add bytes: the connection is cut after that many"
			case "slow-close":
				hint = "add delay: how long each FIN is held"
			}
			return l.atPath(path, strings.TrimPrefix(err.Error(), "netem: "), hint)
		}
	}
	return nil
}

func (l *loader) checkDNS(sc *Scenario) error {
	if sc.Device.DNSServers != nil {
		for i, a := range *sc.Device.DNSServers {
			if _, err := netip.ParseAddr(a); err != nil {
				return l.atPath(fmt.Sprintf("$.device.dns_servers[%d]", i), fmt.Sprintf("%q is not an IP address", a), "")
			}
		}
		if sc.DNS == nil {
			return l.atPath("$.device.dns_servers", "the device has DNS servers but the scenario has no dns section", "add dns: servers: [...]")
		}
	}
	if sc.DNS == nil {
		return nil
	}
	seen := map[string]bool{sc.Device.Address: true}
	for _, s := range sc.Servers {
		seen[s.Address] = true
	}
	for i := range sc.DNS.Servers {
		s := &sc.DNS.Servers[i]
		at := fmt.Sprintf("$.dns.servers[%d]", i)
		if s.Name == "" {
			s.Name = fmt.Sprintf("dns-%d", i+1)
		}
		if _, err := netip.ParseAddr(s.Address); err != nil {
			return l.atPath(at+".address", fmt.Sprintf("%q is not an IP address", s.Address), "")
		}
		if seen[s.Address] {
			return l.atPath(at+".address", fmt.Sprintf("address %s is already taken", s.Address), "")
		}
		seen[s.Address] = true
		for j, f := range s.Faults {
			fat := fmt.Sprintf("%s.faults[%d]", at, j)
			kind, ok := netem.ParseDNSFaultKind(f.Kind)
			if !ok {
				return l.atPath(fat+".kind", fmt.Sprintf("unknown DNS fault %q", f.Kind), "DNS faults: "+strings.Join(netem.DNSFaultKinds(), ", "))
			}
			if kind == netem.DNSDelay && f.Delay <= 0 {
				return l.atPath(fat, "a delay fault needs a delay", "add delay: 3s")
			}
			if _, err := netip.ParseAddr(f.Address); kind == netem.DNSWrongAddress && err != nil {
				return l.atPath(fat, "a wrong-address fault needs the address to answer with", "add address: 192.0.2.99")
			}
		}
	}
	for i, r := range sc.DNS.Records {
		at := fmt.Sprintf("$.dns.records[%d]", i)
		if _, ok := recordTypes[strings.ToUpper(r.Type)]; !ok {
			return l.atPath(at+".type", fmt.Sprintf("unknown record type %q", r.Type), "A, AAAA, MX or CNAME")
		}
		if r.Address != "" {
			if _, err := netip.ParseAddr(r.Address); err != nil {
				return l.atPath(at+".address", fmt.Sprintf("%q is not an IP address", r.Address), "")
			}
		}
		if err := r.netem().Validate(); err != nil {
			return l.atPath(at, err.Error(), "")
		}
	}
	return nil
}

// validEnhanced checks an enhanced status code (RFC 3463) against its reply
// code: same class, numbers in range.
func validEnhanced(e string, code int) bool {
	var class, subject, detail int
	if n, err := fmt.Sscanf(e, "%d.%d.%d", &class, &subject, &detail); err != nil || n != 3 {
		return false
	}
	return class == code/100 && subject >= 0 && subject <= 999 && detail >= 0 && detail <= 999 &&
		e == fmt.Sprintf("%d.%d.%d", class, subject, detail)
}
