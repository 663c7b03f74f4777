package scenarios

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"alertsim/netem"
)

// Network is the device's access network: a profile, any of whose figures
// can be overridden, and faults on a schedule.
type Network struct {
	located
	// Profile names the link: lan, fiber, dsl, 4g-good, 4g-weak, 4g-slow,
	// 4g-edge, satellite.
	Profile Profile   `yaml:"profile"`
	RTT     *Duration `yaml:"rtt"`
	Up      *Rate     `yaml:"up"`
	Down    *Rate     `yaml:"down"`
	Jitter  *Duration `yaml:"jitter"`
	Loss    *Loss     `yaml:"loss"`
	// PathMTU overrides the profile's (0: no limit of its own); PMTUD is
	// "working" (default) or "blackhole".
	PathMTU  *int  `yaml:"path_mtu"`
	PMTUD    PMTUD `yaml:"pmtud"`
	MSSClamp int   `yaml:"mss_clamp"`
	// Queue bounds the downlink queue, in bytes (the profile's buffer
	// otherwise); Buffer replaces the profile's buffer in both
	// directions, as time at the rate.
	Queue          int       `yaml:"queue"`
	Buffer         *Duration `yaml:"buffer"`
	BlockedPorts   []Port    `yaml:"blocked_ports"`
	NATIdleTimeout *Duration `yaml:"nat_idle_timeout"`
	Faults         []Fault   `yaml:"faults"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (nw *Network) UnmarshalYAML(node ast.Node) error {
	type plain Network
	return decodeSection(node, (*plain)(nw), &nw.located)
}

// Profile is a netem profile, named by its name.
type Profile struct{ netem.Profile }

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (p *Profile) UnmarshalYAML(node ast.Node) error {
	s, ok := node.(*ast.StringNode)
	name := strings.TrimSpace(node.String())
	if ok {
		name = s.Value
	}
	found, ok := netem.LookupProfile(name)
	if !ok {
		return nodeError(node, fmt.Sprintf("unknown network profile %q", name), "profiles: "+strings.Join(profileNames(), ", "))
	}
	p.Profile = found
	return nil
}

func (Profile) jsonSchema() map[string]any { return map[string]any{"enum": profileNames()} }

func profileNames() []string { return netem.ProfileNames() }

// PMTUD is what happens to a packet over the path MTU.
type PMTUD netem.PMTUD

var pmtudNames = names[netem.PMTUD]{{"working", netem.PMTUDWorking}, {"blackhole", netem.PMTUDBlackhole}}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (p *PMTUD) UnmarshalYAML(node ast.Node) error {
	return pmtudNames.decode(node, "pmtud", "working (ICMP reaches the sender) or blackhole (it does not)", (*netem.PMTUD)(p))
}

func (PMTUD) jsonSchema() map[string]any { return pmtudNames.schema() }

// Loss is a Gilbert-Elliott loss model; see netem.Loss. Probabilities are
// fractions: 0.01 is 1%.
type Loss struct {
	Rate       float64 `yaml:"rate"`
	EnterBurst float64 `yaml:"enter_burst"`
	ExitBurst  float64 `yaml:"exit_burst"`
	BurstRate  float64 `yaml:"burst_rate"`
}

func (l *Loss) model() netem.Loss {
	return netem.Loss{Rate: l.Rate, EnterBurst: l.EnterBurst, ExitBurst: l.ExitBurst, BurstRate: l.BurstRate}
}

// Fault is a scheduled event on the device's link; see netem.Fault.
type Fault struct {
	located
	// Kind is down, reset, stall, slow-close or cut.
	Kind  FaultKind `yaml:"kind"`
	At    Duration  `yaml:"at"`
	For   Duration  `yaml:"for"`
	Delay Duration  `yaml:"delay"`
	Bytes int64     `yaml:"bytes"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (f *Fault) UnmarshalYAML(node ast.Node) error {
	type plain Fault
	return decodeSection(node, (*plain)(f), &f.located)
}

// FaultKind is a netem fault kind, by name.
type FaultKind netem.FaultKind

var faultKinds = func() names[netem.FaultKind] {
	var ns names[netem.FaultKind]
	for _, n := range netem.FaultKinds() {
		k, _ := netem.ParseFaultKind(n)
		ns = append(ns, named[netem.FaultKind]{n, k})
	}
	return ns
}()

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (k *FaultKind) UnmarshalYAML(node ast.Node) error {
	return faultKinds.decode(node, "fault", faultKinds.listed("faults"), (*netem.FaultKind)(k))
}

func (FaultKind) jsonSchema() map[string]any { return faultKinds.schema() }

func (f *Fault) netem() netem.Fault {
	return netem.Fault{Kind: netem.FaultKind(f.Kind), At: f.At.D(), For: f.For.D(), Delay: f.Delay.D(), Bytes: f.Bytes}
}

func (nw *Network) check(l *loader, duration Duration) error {
	if nw.PathMTU != nil && *nw.PathMTU != 0 {
		if err := netem.CheckMTU(*nw.PathMTU); err != nil {
			return l.at(nw.key("path_mtu"), "path "+err.Error(), "")
		}
	}
	if nw.MSSClamp < 0 || (nw.MSSClamp > 0 && nw.MSSClamp < 88) {
		return l.at(nw.key("mss_clamp"), fmt.Sprintf("MSS clamp %d is too small", nw.MSSClamp), "")
	}
	if nw.Queue < 0 {
		return l.at(nw.key("queue"), "the queue cannot be negative", "")
	}
	if nw.Loss != nil {
		if err := nw.Loss.model().Validate(); err != nil {
			return l.at(nw.key("loss"), "each loss probability is a fraction between 0 and 1", "0.01 is 1%")
		}
	}
	for i := range nw.Faults {
		f := &nw.Faults[i]
		f.adopt(nw.item("faults", i))
		if !f.has("kind") {
			return l.at(f.node, "a fault needs a kind", "faults: "+strings.Join(netem.FaultKinds(), ", "))
		}
		if f.Bytes < 0 {
			return l.at(f.key("bytes"), "bytes cannot be negative", "")
		}
		if err := f.netem().Validate(); err != nil {
			hint := ""
			switch netem.FaultKind(f.Kind) {
			case netem.FaultCut:
				hint = "add bytes: the connection is cut after that many"
			case netem.FaultSlowClose:
				hint = "add delay: how long each FIN is held"
			}
			return l.at(f.node, strings.TrimPrefix(err.Error(), "netem: "), hint)
		}
		if f.At > duration {
			return l.at(f.key("at"), fmt.Sprintf("fault at %v is after the end of the run (%v)", f.At, duration), "lengthen duration or move the fault")
		}
	}
	return nil
}

// Link returns the device's access link: the profile, with the scenario's
// overrides and faults.
func (nw *Network) Link() netem.Link {
	p := nw.Profile.Profile
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
	if nw.Buffer != nil {
		p.Buffer = nw.Buffer.D()
	}
	l := p.Link()
	if nw.Jitter != nil {
		l.Up.Jitter, l.Down.Jitter = nw.Jitter.D(), nw.Jitter.D()
	}
	l.PMTUD = netem.PMTUD(nw.PMTUD)
	l.MSSClamp = nw.MSSClamp
	if nw.Queue > 0 {
		l.Down.Queue = nw.Queue
	}
	for _, port := range nw.BlockedPorts {
		l.BlockedPorts = append(l.BlockedPorts, uint16(port))
	}
	if nw.NATIdleTimeout != nil {
		l.NATIdleTimeout = nw.NATIdleTimeout.D()
	}
	for i := range nw.Faults {
		l.Faults = append(l.Faults, nw.Faults[i].netem())
	}
	return l
}

// describeLink says what the link is, for the record's header.
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
	if l.Up.Queue > 0 || l.Down.Queue > 0 {
		parts = append(parts, fmt.Sprintf("buffers %d bytes up, %d down", l.Up.Queue, l.Down.Queue))
	}
	if len(l.BlockedPorts) > 0 {
		parts = append(parts, fmt.Sprintf("ports %v blocked", l.BlockedPorts))
	}
	if l.NATIdleTimeout > 0 {
		parts = append(parts, fmt.Sprintf("NAT forgets idle connections after %v", l.NATIdleTimeout))
	}
	return strings.Join(parts, ", ")
}

func (p Profile) String() string { return p.Name }
