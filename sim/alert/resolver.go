package alert

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Resolver turns a host name into addresses. The device's stub resolver
// over its own DNS servers implements it; so does Hosts.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]netip.Addr, error)
}

// Hosts is a fixed table of names, like /etc/hosts.
type Hosts map[string][]netip.Addr

// LookupHost implements Resolver.
func (h Hosts) LookupHost(_ context.Context, host string) ([]netip.Addr, error) {
	if addrs, ok := h[strings.ToLower(strings.TrimSuffix(host, "."))]; ok && len(addrs) > 0 {
		return addrs, nil
	}
	return nil, fmt.Errorf("lookup %s: no such host", host)
}

// LookupMX implements MXResolver for a table, which holds no MX records: a
// domain the table knows is its own exchanger (the implicit MX of RFC 5321
// section 5.1), one it does not know does not exist.
func (h Hosts) LookupMX(ctx context.Context, domain string) ([]*net.MX, error) {
	if _, err := h.LookupHost(ctx, domain); err != nil {
		return nil, &net.DNSError{Err: "no such host", Name: domain, IsNotFound: true}
	}
	return nil, nil
}

// resolve returns host's addresses: an IP literal (IPv6 in brackets or not)
// is its own address; a name is looked up.
func resolve(ctx context.Context, r Resolver, host string) ([]netip.Addr, error) {
	literal := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(literal); err == nil {
		return []netip.Addr{a}, nil
	}
	if r == nil {
		return nil, fmt.Errorf("lookup %s: no resolver configured", host)
	}
	return r.LookupHost(ctx, host)
}
