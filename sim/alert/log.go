package alert

import (
	"fmt"
	"net/netip"
	"time"
)

// Event is one step of the pipeline, for the device's own log and for the
// run record: "connect 203.0.113.25:465", "delivered".
type Event struct {
	Time time.Time
	Text string
}

// Class is the kind of a delivery failure, as a device's failure log and an
// installer would name it.
type Class string

const (
	ClassDNS            Class = "dns"             // the server's name did not resolve
	ClassConnectTimeout Class = "connect-timeout" // nothing answered the connection (filtered port, no route)
	ClassRefused        Class = "refused"         // the port is closed
	ClassUnreachable    Class = "unreachable"     // no route to the server: the device has no network (no signal)
	ClassTLS            Class = "tls"             // the TLS handshake failed
	ClassAuth           Class = "auth"            // the server refused the credentials
	ClassRejected       Class = "rejected"        // a permanent (5xx) reply
	ClassDeferred       Class = "deferred"        // a temporary (4xx) reply
	ClassTimeout        Class = "timeout"         // the server or the link went silent mid-session
	ClassNetwork        Class = "network"         // the connection was reset or closed mid-session
	ClassAbandoned      Class = "abandoned"       // the device stopped the attempt (switched off, or the run ended)
)

// Classes returns every failure class, in the order above.
func Classes() []Class {
	return []Class{ClassDNS, ClassConnectTimeout, ClassRefused, ClassUnreachable, ClassTLS, ClassAuth, ClassRejected, ClassDeferred, ClassTimeout, ClassNetwork, ClassAbandoned}
}

// Error is a classified delivery failure.
type Error struct {
	Class Class
	// Server is "host:port" as configured.
	Server string
	// Code is the SMTP reply code, 0 when there was no reply.
	Code int
	// Stage is what the client was doing: "resolve", "connect", "tls",
	// "greeting", "ehlo", "auth", "mail", "rcpt", "data".
	Stage string
	Err   error
	// Conns are the device's ends of the connections the attempt opened
	// or tried, in order (none when it failed before connecting): the
	// network's trace of those connections is what explains the failure.
	Conns []netip.AddrPort
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s failed at %s: %v", e.Server, e.Class, e.Stage, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Failure is one entry of a device's failure log, as its web UI shows it.
type Failure struct {
	// Time is when the attempt failed, by the device's own clock (see
	// Clock): what its log page shows.
	Time    time.Time
	Server  string
	Class   Class
	Stage   string // what the device was doing; see Error
	Code    int    // SMTP reply code, 0 when there was none
	Attempt int
	Detail  string
	// Conns are the attempt's connections; see Error.
	Conns []netip.AddrPort
}

func (f Failure) String() string {
	s := fmt.Sprintf("%s attempt %d to %s: %s at %s", f.Time.Format("2006-01-02 15:04:05"), f.Attempt, f.Server, f.Class, f.Stage)
	if f.Code != 0 {
		s += fmt.Sprintf(" (%d)", f.Code)
	}
	return s
}

// FailureOf returns the failure log entry for a failed delivery attempt,
// at the time the clock shows now.
func FailureOf(err *Error, attempt int, clock Clock) Failure {
	return Failure{Time: clock.Now(), Server: err.Server, Class: err.Class, Stage: err.Stage, Code: err.Code, Attempt: attempt, Detail: err.Err.Error(), Conns: err.Conns}
}
