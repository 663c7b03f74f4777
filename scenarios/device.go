package scenarios

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"alertsim/netem"
	"alertsim/sim/device"
	"alertsim/sim/ui"
)

// Device is the device under test.
type Device struct {
	located
	// Model is the device family ("ptz-4g"): one of the registered models.
	Model Model `yaml:"model" schema:"required"`
	// Firmware is the firmware version, for models that have several
	// (default: the newest).
	Firmware Version `yaml:"firmware"`
	// Hostname is the device's network name (default: the model's).
	Hostname Hostname `yaml:"hostname"`
	// Address is the device's IPv4 address (default 192.0.2.10).
	Address Addr `yaml:"address"`
	// IPv6 is the device's IPv6 address, if it has one.
	IPv6 Addr `yaml:"ipv6"`
	// MTU is the device's interface MTU (default 1500, or the settings').
	MTU int `yaml:"mtu"`
	// DNSServers are the DNS servers the device asks, in order: those the
	// network assigns, or those its settings name. Without them the device
	// asks every server of the dns section in order; an empty list is a
	// device with no DNS configured.
	DNSServers *[]Addr `yaml:"dns_servers"`
	// Kernel is the Linux the firmware runs, where its TCP differs
	// (linux-6.5, the default unless the model says otherwise, or
	// linux-4.19); MTUProbing turns on tcp_mtu_probing's black-hole
	// detection.
	Kernel     Kernel `yaml:"kernel"`
	MTUProbing bool   `yaml:"mtu_probing"`
	// Clock is what the device's own clock shows at the start, when it
	// is not right: a date (a factory date, never set by NTP) or an offset
	// from the start (a clock that drifted). Without it the device's clock
	// shows the start.
	Clock *DeviceClock `yaml:"clock"`
	// Scene is what a camera's frames show: frames of one scene share
	// their encoding, so many runs of one scene are cheap (explore's
	// worlds). Without it the scene comes from the seed.
	Scene *uint64 `yaml:"scene"`
	// Settings are the model's settings as its web UI names them.
	Settings ast.Node `yaml:"settings"`

	// settings are Settings decoded over the model's factory values for
	// the firmware, and validated.
	settings device.Settings
	// refused is the web UI's refusal of the settings, when the scenario
	// expects one (expect.settings_refused): the device is then never
	// set up.
	refused *ui.FieldError
	// variant is the firmware variant Firmware names, when it names one.
	variant *device.Variant
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (d *Device) UnmarshalYAML(node ast.Node) error {
	type plain Device
	return decodeSection(node, (*plain)(d), &d.located)
}

// ModelSettings returns the model's settings, decoded and validated; nil
// when the settings page refused them.
func (d *Device) ModelSettings() device.Settings { return d.settings }

// Refused returns the settings page's refusal of the settings, when the
// scenario expects one and the page gives it.
func (d *Device) Refused() *ui.FieldError { return d.refused }

// start powers the device on with its settings: through its firmware
// variant when it names one.
func (d *Device) start(env device.Env) (device.Device, error) {
	if d.variant != nil {
		return d.variant.Start(d.settings, env, d.Model.Start)
	}
	return d.Model.Start(d.settings, env)
}

// Model is a registered device model (sim/device), named by its name.
type Model struct{ *device.Model }

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (m *Model) UnmarshalYAML(node ast.Node) error {
	s, ok := node.(*ast.StringNode)
	name := strings.TrimSpace(node.String())
	if ok {
		name = s.Value
	}
	found, ok := device.Lookup(name)
	if !ok {
		return nodeError(node, fmt.Sprintf("unknown device model %q", name), "models: "+strings.Join(device.ModelNames(), ", "))
	}
	m.Model = found
	return nil
}

func (Model) jsonSchema() map[string]any { return map[string]any{"enum": device.ModelNames()} }

func (m Model) hasEvent(e string) bool { return slices.Contains(m.Events, e) }

var defaultDeviceAddress = netip.AddrFrom4([4]byte{192, 0, 2, 10})

// check checks the device section. refusable says the scenario expects
// the settings page to refuse the settings: a refusal is then the run's
// outcome rather than an error of the file.
func (d *Device) check(l *loader, refusable bool) error {
	m := d.Model
	if m.Model == nil {
		return l.at(d.key("model"), "the device needs a model", "models: "+strings.Join(device.ModelNames(), ", "))
	}
	if d.Hostname == "" {
		d.Hostname = Hostname(m.Hostname)
	}
	if !d.Address.IsValid() {
		d.Address = Addr{defaultDeviceAddress}
	}
	if !d.Address.Is4() {
		return l.at(d.key("address"), fmt.Sprintf("%s is not an IPv4 address", d.Address), "give an IPv6 address as ipv6:")
	}
	if !d.Address.unicast() {
		return l.at(d.key("address"), fmt.Sprintf("%s is not a unicast address a device can have", d.Address), "192.0.2.10")
	}
	if d.IPv6.IsValid() && (!d.IPv6.Is6() || d.IPv6.Is4In6() || !d.IPv6.unicast()) {
		return l.at(d.key("ipv6"), fmt.Sprintf("%s is not a unicast IPv6 address", d.IPv6), "2001:db8::10")
	}

	// A variant (a test binary's, see device.Variant) is its base
	// firmware's settings page and kernel.
	firmware := string(d.Firmware)
	if v, ok := m.Variant(firmware); ok {
		d.variant, firmware = &v, v.Base
	}
	if d.Firmware != "" && d.variant == nil && !slices.Contains(m.Firmwares, firmware) {
		hint := "this model has one firmware: leave firmware out"
		if len(m.Firmwares) > 0 {
			hint = "firmware versions: " + strings.Join(m.Firmwares, ", ")
		}
		return l.at(d.key("firmware"), fmt.Sprintf("the %s has no firmware %q", m.Name, d.Firmware), hint)
	}
	if d.Firmware == "" {
		d.Firmware = Version(m.DefaultFirmware())
		firmware = string(d.Firmware)
	}
	if d.Kernel.name == "" {
		name := ""
		if m.Kernel != nil {
			name = m.Kernel(firmware)
		}
		if err := d.Kernel.set(name); err != nil {
			return l.at(d.key("model"), err.Error(), "")
		}
	}
	s := m.Settings(firmware)
	if d.Settings != nil {
		if err := l.yamlCall(d.Settings, func() error { return yaml.NodeToValue(d.Settings, s, yaml.Strict()) }); err != nil {
			return err
		}
	}
	if err := s.Validate(); err != nil {
		var fe *ui.FieldError
		if !errors.As(err, &fe) {
			return l.at(d.key("settings"), fmt.Sprintf("%s settings: %v", m.Name, err), "")
		}
		if refusable {
			// The page says no, as expected: there is no device to set up,
			// and its network is what the network assigns.
			d.refused = fe
			return d.checkInterface(l, device.Interface{}, m)
		}
		at := valueOf(d.Settings, fe.Field)
		if at == nil {
			at = d.key("settings")
		}
		return l.at(at, fmt.Sprintf("%s setting %s: %s", m.Name, fe.Field, fe.Message), "")
	}
	d.settings = s
	return d.checkInterface(l, s.Interface(), m)
}

// checkInterface settles the device's interface: what the settings set of
// it (own) wins over what the scenario's device section says the network
// assigns.
func (d *Device) checkInterface(l *loader, own device.Interface, m Model) error {
	if d.has("mtu") {
		if err := netem.CheckMTU(d.MTU); err != nil {
			return l.at(d.key("mtu"), err.Error(), "leave mtu out for the default, 1500")
		}
	}
	assigned := device.Interface{MTU: d.MTU, IPv6: d.IPv6.Addr}
	if d.DNSServers != nil {
		assigned.DNS = []netip.Addr{}
		for _, a := range *d.DNSServers {
			assigned.DNS = append(assigned.DNS, a.Addr)
		}
	}
	iface, err := own.Over(assigned)
	var c *device.Conflict
	switch {
	case errors.As(err, &c) && c.Field == "mtu":
		return l.at(d.key("mtu"), fmt.Sprintf("device mtu %d contradicts the settings' mtu %d", d.MTU, own.MTU), "the "+m.Name+" sets its MTU in its settings (mtu): leave device.mtu out")
	case errors.As(err, &c) && c.Field == "ipv6":
		return l.at(d.key("ipv6"), fmt.Sprintf("device ipv6 %s contradicts the settings' %s", d.IPv6, own.IPv6), "the "+m.Name+" sets its IPv6 address in its settings: leave device.ipv6 out")
	case err != nil:
		return l.at(d.node, err.Error(), "")
	}
	d.MTU = iface.MTU
	if d.MTU == 0 {
		d.MTU = 1500
	}
	if err := netem.CheckMTU(d.MTU); err != nil {
		return l.at(d.key("mtu"), err.Error(), "")
	}
	d.IPv6 = Addr{iface.IPv6}
	if iface.DNS != nil {
		list := make([]Addr, len(iface.DNS))
		for i, a := range iface.DNS {
			list[i] = Addr{a}
		}
		d.DNSServers = &list
	}
	if d.DNSServers != nil {
		for i, a := range *d.DNSServers {
			if !a.IsValid() {
				return l.at(d.item("dns_servers", i), "a DNS server needs an address", "dns_servers: [198.51.100.53]")
			}
			if !a.unicast() {
				return l.at(d.item("dns_servers", i), fmt.Sprintf("%s is not a unicast address a DNS server can have", a), "")
			}
		}
	}
	return nil
}

// describeKernel is what the record's header says of the kernel: nothing
// for a current Linux with its defaults.
func (d *Device) describeKernel() string {
	s := ""
	if d.Kernel.name != defaultKernel {
		s += ", kernel " + d.Kernel.name
	}
	if d.MTUProbing {
		s += ", MTU probing"
	}
	return s
}

// netemKernel is the device's TCP as netem models it.
func (d *Device) netemKernel() netem.Kernel {
	k := d.Kernel.k
	k.MTUProbing = d.MTUProbing
	return k
}

// addrs returns the device's addresses: IPv4, then IPv6 if it has one.
func (d *Device) addrs() []netip.Addr {
	out := []netip.Addr{d.Address.Addr}
	if d.IPv6.IsValid() {
		out = append(out, d.IPv6.Addr)
	}
	return out
}

func (d *Device) describeAddrs() string {
	if d.IPv6.IsValid() {
		return d.Address.String() + " and " + d.IPv6.String()
	}
	return d.Address.String()
}

func (m Model) String() string {
	if m.Model == nil {
		return ""
	}
	return m.Name
}
