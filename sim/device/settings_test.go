package device

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

func TestSettingsWinOverTheNetwork(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::10")
	other := netip.MustParseAddr("2001:db8::11")
	dns := []netip.Addr{netip.MustParseAddr("198.51.100.53")}
	carrier := []netip.Addr{netip.MustParseAddr("10.64.0.53")}
	for _, tc := range []struct {
		name              string
		settings, network Interface
		want              Interface
		conflict          string
	}{
		{"nothing set", Interface{}, Interface{}, Interface{}, ""},
		{"the network's values stand", Interface{}, Interface{MTU: 1400, IPv6: v6, DNS: carrier}, Interface{MTU: 1400, IPv6: v6, DNS: carrier}, ""},
		{"the settings' values win", Interface{MTU: 1380, IPv6: v6, DNS: dns}, Interface{}, Interface{MTU: 1380, IPv6: v6, DNS: dns}, ""},
		{"both the same MTU", Interface{MTU: 1500}, Interface{MTU: 1500}, Interface{MTU: 1500}, ""},
		{"two MTUs", Interface{MTU: 1380}, Interface{MTU: 1500}, Interface{}, "mtu"},
		{"two IPv6 addresses", Interface{IPv6: v6}, Interface{IPv6: other}, Interface{}, "ipv6"},
		// The carrier hands out its servers, the installer fills in
		// others: the settings' replace the carrier's.
		{"DNS from both: the settings' replace the network's", Interface{DNS: dns}, Interface{DNS: carrier}, Interface{DNS: dns}, ""},
		{"DNS from the settings, none from the network", Interface{DNS: dns}, Interface{DNS: []netip.Addr{}}, Interface{DNS: dns}, ""},
		{"no DNS in the settings: the network's stand", Interface{MTU: 1380}, Interface{DNS: carrier}, Interface{MTU: 1380, DNS: carrier}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.settings.Over(tc.network)
			var c *Conflict
			switch {
			case tc.conflict != "":
				if !errors.As(err, &c) || c.Field != tc.conflict {
					t.Fatalf("Over = %+v, %v; want a conflict on %s", got, err, tc.conflict)
				}
			case err != nil:
				t.Fatalf("Over: %v", err)
			case got.MTU != tc.want.MTU || got.IPv6 != tc.want.IPv6 || !slices.Equal(got.DNS, tc.want.DNS):
				t.Errorf("Over = %+v, want %+v", got, tc.want)
			}
		})
	}
}
