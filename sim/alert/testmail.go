package alert

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// TestResult is what the web UI shows after the Test Email button.
type TestResult struct {
	OK bool
	// Message is the line the UI shows ("Test Email sent successfully.").
	Message string
	// Probe says how the reachability check went, when one was asked for.
	Probe string
	// Err is the failure itself, with its class, stage and reply: what a
	// developer wants beside the UI's words.
	Err error
}

// uiWords are how device UIs name each failure.
var uiWords = map[Class]string{
	ClassDNS:            "DNS resolution failure",
	ClassConnectTimeout: "Network timeout: the server did not answer",
	ClassRefused:        "Connection refused",
	ClassUnreachable:    "Network unreachable",
	ClassTLS:            "SSL/TLS handshake failed",
	ClassAuth:           "Authentication Failed",
	ClassRejected:       "The server rejected the message",
	ClassDeferred:       "The server deferred the message",
	ClassTimeout:        "Network timeout",
	ClassNetwork:        "The connection was lost",
	ClassAbandoned:      "Cancelled",
}

// TestEmail is the "Test Email" button: it sends a short message now,
// once, and reports the result in the UI's words. probe first checks that
// the server's port answers at all, as monitoring agents' "ping the server"
// option does (over TCP: ICMP is not the device's to send here).
func (c *Client) TestEmail(ctx context.Context, srv Server, env Envelope, msg []byte, probe bool) TestResult {
	var res TestResult
	if probe {
		res.Probe = c.probe(ctx, srv)
	}
	_, err := c.Send(ctx, srv, env, msg)
	if err == nil {
		res.OK, res.Message = true, "Test Email sent successfully."
		return res
	}
	res.Err = err
	res.Message = "Test Email failed: " + err.Error()
	if e, ok := err.(*Error); ok {
		res.Message = "Test Email failed: " + uiWords[e.Class]
		if e.Code != 0 {
			res.Message += fmt.Sprintf(" (%v)", e.Err)
		}
	}
	return res
}

// DescribeTest words the result of a Test Email sent through a mail task
// (one attempt, no retries) as the UI shows it.
func DescribeTest(d *Delivery) string {
	if d.Delivered() {
		return "Test Email sent successfully."
	}
	f := d.Last()
	if f == nil {
		return "Test Email failed."
	}
	msg := "Test Email failed: " + uiWords[f.Class]
	if f.Code != 0 {
		msg += fmt.Sprintf(" (%s)", f.Detail)
	}
	return msg
}

// Ping is the reachability check a test can run first, as a monitoring
// agent's "PING the SMTP server during a test" does: a TCP connection to
// the server's port (what a dial function can send; ICMP it cannot),
// reported in words. A server that does not answer takes the connect
// timeout.
func (c *Client) Ping(ctx context.Context, srv Server) string { return c.probe(ctx, srv) }

// probe connects to the server's port and reports how long it took.
func (c *Client) probe(ctx context.Context, srv Server) string {
	addrs, err := resolve(ctx, c.Resolver, srv.Host)
	if err != nil {
		return fmt.Sprintf("%s does not resolve: %v", srv.Host, err)
	}
	pctx, cancel := context.WithTimeout(ctx, c.Timeouts.withDefaults().Connect)
	defer cancel()
	start := time.Now()
	target := netip.AddrPortFrom(addrs[0], uint16(srv.Port)).String()
	conn, err := c.Dial(pctx, "tcp", target)
	if err != nil {
		return fmt.Sprintf("%s unreachable: %v", target, err)
	}
	conn.Close()
	return fmt.Sprintf("%s reachable in %v", target, time.Since(start).Round(time.Millisecond))
}
