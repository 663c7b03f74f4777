package alert

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Policy is how a device keeps trying one alert.
type Policy struct {
	// Servers are tried in order within each attempt: server 2 takes
	// over when server 1 fails.
	Servers []Server
	// Retries are the waits before each further attempt, counted from the
	// end of the one before: {10 s, 30 s} is the 4G PTZ camera's
	// "immediately, 10 seconds later, 30 seconds later, then failed".
	Retries []time.Duration
	// RetryPermanent retries after permanent failures too (a refused
	// login, a 5xx reply), as some firmware does; otherwise only what may
	// pass by itself is retried (see Class.Transient).
	RetryPermanent bool
	// Direct delivers without a relay, as a mail server does: each
	// attempt looks up the recipients' domain's mail exchangers and tries
	// them in order of preference (see SendDirect), instead of Servers.
	// A message goes to one domain.
	Direct bool
}

// Transient reports whether a failure of this class may pass by itself,
// so that trying again later can help: a network or a server in trouble,
// not a refusal.
func (c Class) Transient() bool {
	switch c {
	case ClassAuth, ClassRejected, ClassTLS:
		return false
	}
	return true
}

// Delivery is what became of one alert.
type Delivery struct {
	// Receipt is set when it was delivered.
	Receipt *Receipt
	// Attempts counts the rounds over the servers.
	Attempts int
	// Failures has an entry per failed server try, in order: the
	// device's failure log.
	Failures []Failure
	// Tries are when each attempt began and ended, in order.
	Tries []Try
}

// Try is one attempt over the servers: when it began and when it ended,
// by the device's clock. A retry's wait is from one's End to the next
// one's Start.
type Try struct {
	Start, End time.Time
}

// Delivered reports whether a server took the message.
func (d *Delivery) Delivered() bool { return d.Receipt != nil }

// Last returns the last failure, or nil.
func (d *Delivery) Last() *Failure {
	if len(d.Failures) == 0 {
		return nil
	}
	return &d.Failures[len(d.Failures)-1]
}

// Deliver sends msg under the policy: each attempt tries the servers in
// order, and a failed attempt is followed by the next retry, until one
// succeeds, the retries run out, a failure is not worth retrying, or ctx
// ends.
func (c *Client) Deliver(ctx context.Context, p Policy, env Envelope, msg []byte) *Delivery {
	d := &Delivery{}
	if len(p.Servers) == 0 && !p.Direct {
		return d
	}
	for attempt := 1; ; attempt++ {
		d.Attempts = attempt
		d.Tries = append(d.Tries, Try{Start: c.Clock.Now()})
		retryable := false
		servers := p.Servers
		if p.Direct {
			var e *Error
			if servers, e = c.directServers(ctx, env); e != nil {
				d.Tries[attempt-1].End = c.Clock.Now()
				d.Failures = append(d.Failures, FailureOf(e, attempt, c.Clock))
				servers = nil
				retryable = e.Class.Transient() || p.RetryPermanent
			}
		}
		for i, srv := range servers {
			if p.Direct {
				c.logf("attempt %d, MX %d: %s", attempt, i+1, srv.Address())
			} else if len(servers) > 1 {
				c.logf("attempt %d, server %d: %s", attempt, i+1, srv.Address())
			} else {
				c.logf("attempt %d: %s", attempt, srv.Address())
			}
			r, err := c.Send(ctx, srv, env, msg)
			d.Tries[attempt-1].End = c.Clock.Now()
			if err == nil {
				d.Receipt = r
				return d
			}
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Class: ClassNetwork, Server: srv.Address(), Stage: "send", Err: err}
			}
			d.Failures = append(d.Failures, FailureOf(e, attempt, c.Clock))
			retryable = retryable || e.Class.Transient() || p.RetryPermanent
			if ctx.Err() != nil {
				return d
			}
			if p.Direct && !e.Class.Transient() {
				break // a refusal: the next exchanger would say the same
			}
		}
		if attempt > len(p.Retries) {
			c.logf("giving up after %d attempt%s", attempt, plural(attempt))
			return d
		}
		if !retryable {
			c.logf("not retrying: %s", describeFinal(d.Last()))
			return d
		}
		wait := p.Retries[attempt-1]
		c.logf("retrying in %v", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return d
		}
	}
}

func describeFinal(f *Failure) string {
	switch {
	case f.Class == ClassAuth:
		return "the server refused the login"
	case f.Class == ClassTLS:
		return "TLS cannot be established with this server"
	case f.Stage == "mx":
		return "the domain takes no mail"
	}
	return fmt.Sprintf("the server refused the message (%d)", f.Code)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
