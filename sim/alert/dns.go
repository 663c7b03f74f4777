package alert

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// StubResolver is a device's DNS client: it sends each question to its
// configured servers in turn over UDP, as glibc's resolver does (a timeout
// per try, a number of rounds over the list), and gives up on a name only
// when a server says it does not exist or every try has failed.
type StubResolver struct {
	// Servers are the DNS servers from the device's network settings, in
	// order (DNS 1, DNS 2).
	Servers []netip.Addr
	// Dial opens the UDP socket; the device's own dial function.
	Dial DialFunc
	// Timeout is how long each try waits for an answer (default 5 s) and
	// Attempts the rounds over the server list (default 2), glibc's
	// defaults.
	Timeout  time.Duration
	Attempts int
	// Log receives each step, if set.
	Log func(Event)

	mu sync.Mutex
	id uint16
}

func (r *StubResolver) logf(format string, args ...any) {
	if r.Log != nil {
		r.Log(Event{Time: time.Now(), Text: fmt.Sprintf(format, args...)})
	}
}

// LookupHost implements Resolver: the IPv4 addresses of host, or its IPv6
// ones when it has none.
func (r *StubResolver) LookupHost(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	for _, qtype := range []dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA} {
		answers, err := r.query(ctx, host, qtype)
		if err != nil {
			return nil, err
		}
		for _, a := range answers {
			switch b := a.Body.(type) {
			case *dnsmessage.AResource:
				addrs = append(addrs, netip.AddrFrom4(b.A))
			case *dnsmessage.AAAAResource:
				addrs = append(addrs, netip.AddrFrom16(b.AAAA))
			}
		}
		if len(addrs) > 0 {
			return addrs, nil
		}
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// LookupMX returns the MX records of domain, lowest preference first, in
// the order the server gave equal ones.
func (r *StubResolver) LookupMX(ctx context.Context, domain string) ([]*net.MX, error) {
	answers, err := r.query(ctx, domain, dnsmessage.TypeMX)
	if err != nil {
		return nil, err
	}
	var mxs []*net.MX
	for _, a := range answers {
		if mx, ok := a.Body.(*dnsmessage.MXResource); ok {
			mxs = append(mxs, &net.MX{Host: mx.MX.String(), Pref: mx.Pref})
		}
	}
	for i := 1; i < len(mxs); i++ { // stable insertion sort by preference
		for j := i; j > 0 && mxs[j].Pref < mxs[j-1].Pref; j-- {
			mxs[j], mxs[j-1] = mxs[j-1], mxs[j]
		}
	}
	return mxs, nil
}

// query asks the servers one question and returns the answer section of
// the first usable reply.
func (r *StubResolver) query(ctx context.Context, name string, qtype dnsmessage.Type) ([]dnsmessage.Resource, error) {
	if len(r.Servers) == 0 {
		return nil, &net.DNSError{Err: "no DNS server configured", Name: name}
	}
	fqdn, err := dnsmessage.NewName(strings.TrimSuffix(name, ".") + ".")
	if err != nil {
		return nil, &net.DNSError{Err: "invalid name", Name: name, IsNotFound: true}
	}
	timeout, attempts := r.Timeout, r.Attempts
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if attempts <= 0 {
		attempts = 2
	}
	kind := strings.TrimPrefix(qtype.String(), "Type")
	var last *net.DNSError
	for range attempts {
		for _, server := range r.Servers {
			if err := ctx.Err(); err != nil {
				return nil, &net.DNSError{Err: err.Error(), Name: name, IsTimeout: true}
			}
			addr := netip.AddrPortFrom(server, 53).String()
			answers, rcode, err := r.ask(ctx, addr, fqdn, qtype, timeout)
			switch {
			case err != nil && ctx.Err() != nil:
				// Switched off mid-try: nothing to say of the server.
				return nil, &net.DNSError{Err: ctx.Err().Error(), Name: name, IsTimeout: true}
			case err != nil:
				last = &net.DNSError{Err: err.Error(), Name: name, Server: addr}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					last.Err, last.IsTimeout = "i/o timeout", true
					r.logf("dns: %s did not answer %s? %s within %v", server, kind, name, timeout)
				} else {
					r.logf("dns: asking %s: %v", server, err)
				}
			case rcode == dnsmessage.RCodeNameError:
				r.logf("dns: %s says %s does not exist (NXDOMAIN)", server, name)
				return nil, &net.DNSError{Err: "no such host", Name: name, Server: addr, IsNotFound: true}
			case rcode != dnsmessage.RCodeSuccess:
				word := map[dnsmessage.RCode]string{dnsmessage.RCodeServerFailure: "SERVFAIL", dnsmessage.RCodeRefused: "REFUSED"}[rcode]
				if word == "" {
					word = rcode.String()
				}
				r.logf("dns: %s answers %s? %s with %s", server, kind, name, word)
				last = &net.DNSError{Err: "server misbehaving: " + word, Name: name, Server: addr, IsTemporary: true}
			default:
				r.logf("dns: %s: %s %s %s", server, name, kind, describeAnswers(answers))
				return answers, nil
			}
		}
	}
	return nil, last
}

func describeAnswers(answers []dnsmessage.Resource) string {
	if len(answers) == 0 {
		return "(none)"
	}
	var parts []string
	for _, a := range answers {
		switch b := a.Body.(type) {
		case *dnsmessage.AResource:
			parts = append(parts, netip.AddrFrom4(b.A).String())
		case *dnsmessage.AAAAResource:
			parts = append(parts, netip.AddrFrom16(b.AAAA).String())
		case *dnsmessage.MXResource:
			parts = append(parts, fmt.Sprintf("%d %s", b.Pref, b.MX))
		case *dnsmessage.CNAMEResource:
			parts = append(parts, "alias of "+b.CNAME.String())
		}
	}
	return strings.Join(parts, ", ")
}

// ask sends one query to one server and waits for its reply.
func (r *StubResolver) ask(ctx context.Context, server string, name dnsmessage.Name, qtype dnsmessage.Type, timeout time.Duration) ([]dnsmessage.Resource, dnsmessage.RCode, error) {
	r.mu.Lock()
	r.id++
	id := r.id
	r.mu.Unlock()
	q := dnsmessage.Question{Name: name, Type: qtype, Class: dnsmessage.ClassINET}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	b.StartQuestions()
	b.Question(q)
	msg, err := b.Finish()
	if err != nil {
		return nil, 0, err
	}

	conn, err := r.Dial(ctx, "udp", server)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	// A device switched off (ctx canceled) stops waiting at once, not
	// at the end of the try: closing the socket ends the read.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	if _, err := conn.Write(msg); err != nil {
		return nil, 0, err
	}
	buf := make([]byte, 4096)
	for {
		k, err := conn.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
			return nil, 0, err
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:k])
		if err != nil || h.ID != id || !h.Response {
			continue // not ours: keep waiting
		}
		if got, err := p.Question(); err != nil || got != q {
			continue
		}
		if err := p.SkipAllQuestions(); err != nil {
			return nil, 0, err
		}
		answers, err := p.AllAnswers()
		if err != nil {
			return nil, 0, fmt.Errorf("malformed answer: %w", err)
		}
		return answers, h.RCode, nil
	}
}
