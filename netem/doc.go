// Package netem is an emulated IP network for tests: hosts with access links
// (delay and rate per direction) and TCP connections between them, modelled
// segment by segment, all in memory and driven by the time package, so that
// inside a testing/synctest bubble a 4G upload that takes a minute runs in
// milliseconds and gives the same result on every run.
//
// A Host's Dial has the shape of net.Dialer.DialContext and its Listen
// returns a net.Listener, so code under test (an SMTP client, a TLS stack, a
// go-smtp server) runs over it unchanged.
//
// What is modelled: per-direction delay, order-preserving jitter and
// serialization at the link rate on a FIFO queue shared by every flow
// crossing it, with header overhead and a bottleneck buffer (tail drop);
// Gilbert-Elliott loss; TCP as Linux 6.18 does it: the handshake and the
// SYN schedules of Linux before and after 6.5, windows, slow start from
// ten segments, CUBIC with HyStart or Reno, SACK, RACK, fast recovery with
// PRR and RFC 6582's guard, Linux's retransmission timeout, delayed
// acknowledgements, MTU probing, resets, MSS from the MTUs with clamping,
// path MTU with PMTUD working or black-holed; filtered ports, a NAT that
// forgets idle connections, scheduled faults (down, reset, stall, slow
// close, cut); UDP; an authoritative DNS service with faults; deadlines
// (github.com/pion/transport/v3/deadline). What is not: TCP timestamps,
// tail-loss probes, IP fragments. netem/fidelity measures it against the
// kernel (make fidelity); docs/ARCHITECTURE.md has the details and the
// table.
//
// Network.Trace returns what the network did, as typed events (TraceEvent:
// a kind, a reason, the flow and packet) that code explaining a failure
// can switch on; their Text is the line a record prints.
//
// Determinism: one goroutine runs the network's events in (time, key) order,
// and everything an application goroutine does enters the network one
// nanosecond after the call, once the bubble's clock has moved past every
// goroutine's actions at that instant. See sched.go.
package netem
