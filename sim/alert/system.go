package alert

import (
	"context"
	"net"
	"net/netip"
)

// SystemResolver resolves with the operating system's resolver, for the
// pipeline on a real network (alertsim send). Devices use StubResolver.
type SystemResolver struct{}

// LookupHost implements Resolver.
func (SystemResolver) LookupHost(ctx context.Context, host string) ([]netip.Addr, error) {
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	return addrs, err
}

// LookupMX implements MXResolver.
func (SystemResolver) LookupMX(ctx context.Context, domain string) ([]*net.MX, error) {
	return net.DefaultResolver.LookupMX(ctx, domain)
}
