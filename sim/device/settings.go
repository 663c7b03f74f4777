package device

import (
	"net/netip"
	"slices"
)

// Settings are a model's settings, one field per field of its web UI.
type Settings interface {
	// Validate checks the settings as the web UI does before saving: a
	// field it refuses is a *ui.FieldError with the UI's own words.
	Validate() error
	// Interface returns what the settings say of the device's own network
	// interface.
	Interface() Interface
}

// Interface is what is set of a device's own network interface: by its
// settings, or by the network it is plugged into (a scenario's device
// section). A zero field is unset.
type Interface struct {
	// MTU is the interface MTU.
	MTU int
	// IPv6 is the device's IPv6 address.
	IPv6 netip.Addr
	// DNS are the DNS servers, in order.
	DNS []netip.Addr
}

// Conflict is a field of the interface that the settings and the network
// both set, differently.
type Conflict struct {
	// Field is "mtu" or "ipv6".
	Field string
}

func (c *Conflict) Error() string {
	return "the settings and the network both set the interface's " + c.Field
}

// Over returns the interface a device ends up with: what its settings set
// (s), over what the network assigns. The settings win where they set a
// field; both setting the MTU or the IPv6 address differently is a
// Conflict, since a scenario that says both says two things. DNS servers
// are different: the network assigns some (a carrier's, by DHCP or the
// bearer) and the settings' DNS fields replace them when filled in, which
// is the installer's "the carrier hands out X, I set 8.8.8.8".
func (s Interface) Over(network Interface) (Interface, error) {
	out := network
	if s.MTU != 0 {
		if network.MTU != 0 && network.MTU != s.MTU {
			return Interface{}, &Conflict{Field: "mtu"}
		}
		out.MTU = s.MTU
	}
	if s.IPv6.IsValid() {
		if network.IPv6.IsValid() && network.IPv6 != s.IPv6 {
			return Interface{}, &Conflict{Field: "ipv6"}
		}
		out.IPv6 = s.IPv6
	}
	if len(s.DNS) > 0 {
		out.DNS = slices.Clone(s.DNS)
	}
	return out, nil
}
