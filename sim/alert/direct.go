package alert

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
)

// MXResolver finds a domain's mail exchangers; StubResolver is one.
type MXResolver interface {
	LookupMX(ctx context.Context, domain string) ([]*net.MX, error)
}

// errNullMX is a domain that says it takes no mail.
var errNullMX = errors.New("the domain accepts no mail (null MX, RFC 7505)")

// SendDirect delivers a message the way a mail server would, without a
// relay: to each recipient domain's mail exchangers, lowest preference
// first, on port 25, with STARTTLS when offered and no login (RFC 5321
// section 5.1). A domain without MX records is its own exchanger (implicit
// MX); a domain whose MX is "." takes no mail (null MX), a permanent
// failure. The next exchanger is tried after a failure that may pass, not
// after a refusal. It returns a receipt per domain delivered, and the
// first failure.
func (c *Client) SendDirect(ctx context.Context, env Envelope, msg []byte) ([]*Receipt, error) {
	byDomain := map[string][]string{}
	var domains []string
	for _, to := range env.To {
		domain := strings.ToLower(to[strings.LastIndexByte(to, '@')+1:])
		if _, seen := byDomain[domain]; !seen {
			domains = append(domains, domain)
		}
		byDomain[domain] = append(byDomain[domain], to)
	}
	var receipts []*Receipt
	var first error
	for _, domain := range domains {
		r, err := c.sendToDomain(ctx, domain, Envelope{From: env.From, To: byDomain[domain]}, msg)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		receipts = append(receipts, r)
	}
	return receipts, first
}

func (c *Client) sendToDomain(ctx context.Context, domain string, env Envelope, msg []byte) (*Receipt, error) {
	hosts, err := c.exchangers(ctx, domain)
	if err != nil {
		class := ClassDNS
		if errors.Is(err, errNullMX) {
			class = ClassRejected
		}
		e := &Error{Class: class, Server: domain, Stage: "mx", Err: err}
		c.logf("failed (%s): %v", e.Class, err)
		return nil, e
	}
	var last error
	for _, host := range hosts {
		r, err := c.Send(ctx, Server{Host: host, Port: 25, Security: SecurityOptional}, env, msg)
		if err == nil {
			return r, nil
		}
		last = err
		var e *Error
		if errors.As(err, &e) && !e.Class.Transient() {
			break
		}
	}
	return nil, last
}

// exchangers returns the hosts that take mail for domain, in order.
func (c *Client) exchangers(ctx context.Context, domain string) ([]string, error) {
	mr, ok := c.Resolver.(MXResolver)
	if !ok {
		return nil, fmt.Errorf("direct delivery needs a resolver that looks up MX records")
	}
	mxs, err := mr.LookupMX(ctx, domain)
	if err != nil {
		return nil, err
	}
	if len(mxs) == 0 {
		c.logf("%s has no MX: delivering to the domain itself (implicit MX)", domain)
		return []string{domain}, nil
	}
	if len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == "") {
		return nil, errNullMX
	}
	var hosts []string
	for _, mx := range mxs {
		host := strings.TrimSuffix(mx.Host, ".")
		if host != "" && !slices.Contains(hosts, host) {
			hosts = append(hosts, host)
		}
	}
	c.logf("MX for %s: %s", domain, strings.Join(hosts, ", "))
	return hosts, nil
}

// directServers returns the exchangers of the message's domain as the
// servers of one attempt, lowest preference first: port 25, opportunistic
// TLS, no login, as a mail server delivers. A domain that takes no mail, or
// whose exchangers cannot be found, is the attempt's failure.
func (c *Client) directServers(ctx context.Context, env Envelope) ([]Server, *Error) {
	if len(env.To) == 0 {
		return nil, &Error{Class: ClassRejected, Stage: "mx", Err: errors.New("no recipient")}
	}
	to := env.To[0]
	domain := strings.ToLower(to[strings.LastIndexByte(to, '@')+1:])
	hosts, err := c.exchangers(ctx, domain)
	if err != nil {
		class := ClassDNS
		if errors.Is(err, errNullMX) {
			class = ClassRejected
		}
		c.logf("failed (%s): %v", class, err)
		return nil, &Error{Class: class, Server: domain, Stage: "mx", Err: err}
	}
	servers := make([]Server, len(hosts))
	for i, h := range hosts {
		servers[i] = Server{Host: h, Port: 25, Security: SecurityOptional}
	}
	return servers, nil
}
