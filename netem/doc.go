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
// What is modelled: per-direction propagation delay and serialization at the
// link rate on a FIFO queue shared by every flow crossing it; IP and TCP
// header overhead; MSS from the two ends' MTUs; the three-way handshake; a
// window bounded by the send buffer and the receiver's free buffer; FIN and
// RST (a closed port refuses, data to a closed socket is reset); deadlines
// (github.com/pion/transport/v3/deadline). What is not (yet): loss and
// retransmission, path MTU, congestion control, UDP, DNS, scheduled faults.
//
// Determinism: one goroutine runs the network's events in (time, key) order,
// and everything an application goroutine does enters the network one
// nanosecond after the call, once the bubble's clock has moved past every
// goroutine's actions at that instant. See sched.go.
package netem
