package netem

import (
	"hash/fnv"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/pion/transport/v3/deadline"
)

// TCP is modelled at the segment level, after Linux's defaults:
//
//   - A write lands in the socket's send buffer; segments of at most MSS
//     bytes leave it while the receiver's window allows and the host's own
//     interface queue has room (a few segments, like Linux's TCP Small
//     Queues), so the retransmission timer measures the network, not a
//     local backlog.
//   - Each segment crosses the sender's uplink and the receiver's downlink
//     (see hop); the receiver acknowledges every segment, keeps
//     out-of-order ones and acknowledges the gap again.
//   - Losses are repaired by the retransmission timer (RFC 6298: 1 s
//     initial, 200 ms minimum, doubled on each expiry, up to 120 s) and by
//     fast retransmit on three duplicate acknowledgements (RFC 5681). After
//     15 timeouts in a row the connection fails with ETIMEDOUT, a net.Error
//     whose Timeout() is true.
//   - SYNs are retransmitted after 1, 2, 4, ... s, six times (127 s in
//     all), SYN-ACKs five times; a closed port answers with a reset.
//   - ICMP "fragmentation needed" lowers the connection's MSS and the
//     oversized segments are sent again.
//
// There is no congestion control: once the window is open, a transfer runs
// at the bottleneck rate.
const (
	initialRTO      = time.Second
	minRTO          = 200 * time.Millisecond
	maxRTO          = 120 * time.Second
	synRetries      = 6
	synAckRetries   = 5
	dataRetries     = 15
	dupAckThreshold = 3
	localQueueSegs  = 2 // segments a connection may have in its host's uplink queue
)

type connState uint8

const (
	stateSynSent connState = iota
	stateSynReceived
	stateEstablished
	stateClosed // reset, timed out, or abandoned
)

// tcpConn is one endpoint of a connection. All fields below rdl are guarded
// by n.mu.
type tcpConn struct {
	n      *Network
	host   *Host
	local  netip.AddrPort
	remote netip.AddrPort
	flow   uint64
	path   []*hop // local -> remote

	dialDone chan error
	readable chan struct{}
	writable chan struct{}
	rdl, wdl *deadline.Deadline

	state    connState
	peer     *tcpConn
	listener *tcpListener // server side, until accepted
	mss      int          // negotiated
	pmtuMSS  int          // lowered by ICMP; 0 when never
	sent     uint64       // event keys

	// Sending.
	sendQ        []byte // written, not yet segmented
	sndUna       uint64
	sndNxt       uint64
	sndWnd       int
	unacked      []*segment
	rtxQ         []*segment // unacknowledged segments to send again
	rtoRecovery  bool       // after a timeout, until its retransmission is acknowledged
	recovering   bool       // in fast recovery until recover is acknowledged
	recover      uint64
	finPending   bool
	finSent      bool
	dupAcks      int
	wakePending  bool // an output wake-up is scheduled for the uplink queue
	synSentAt    time.Time
	rto          time.Duration
	srtt, rttvar time.Duration
	rttKnown     bool
	retries      int
	timerGen     uint64

	// Receiving.
	rcv         []byte
	rcvNxt      uint64
	ooo         []*segment // out of order, by seq
	advertised  int
	eof         bool  // FIN received in order
	err         error // reset, timed out, or network closed
	localClosed bool

	// The link's middleboxes.
	natSeen   time.Time
	linkBytes int64
}

func flowID(local, remote netip.AddrPort) uint64 {
	h := fnv.New64a()
	b, _ := local.MarshalBinary()
	h.Write(b)
	b, _ = remote.MarshalBinary()
	h.Write(b)
	return h.Sum64()
}

// newConn creates an endpoint. The caller holds n.mu.
func newConn(h *Host, local, remote netip.AddrPort, state connState) *tcpConn {
	c := &tcpConn{
		n:          h.n,
		host:       h,
		local:      local,
		remote:     remote,
		flow:       flowID(local, remote),
		state:      state,
		mss:        h.mtu - headerBytes(local.Addr()),
		rto:        initialRTO,
		advertised: h.n.cfg.ReceiveBuffer,
		dialDone:   make(chan error, 1),
		readable:   make(chan struct{}, 1),
		writable:   make(chan struct{}, 1),
		rdl:        deadline.New(),
		wdl:        deadline.New(),
	}
	if dst := h.n.byAddr[remote.Addr()]; dst != nil {
		c.path = path(h, dst)
	} else {
		// Nobody has that address: packets leave on the uplink and are
		// never seen again.
		c.path = []*hop{h.up}
	}
	return c
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (c *tcpConn) nextKey() eventKey {
	c.sent++
	return eventKey{flow: c.flow, n: c.sent}
}

// effMSS is the largest payload a segment may carry now.
func (c *tcpConn) effMSS() int {
	if c.pmtuMSS > 0 && c.pmtuMSS < c.mss {
		return c.pmtuMSS
	}
	return c.mss
}

// send puts a segment on the wire at time now. Runs on the event loop.
func (c *tcpConn) send(s *segment) {
	now := time.Now()
	s.from = c
	if s.to == nil {
		s.to = c.peer
	}
	s.src, s.dst = c.local, c.remote
	s.key = c.nextKey()
	s.path = c.path
	s.sentAt = now
	c.n.forward(s, 0, now)
}

// trace records an event of this connection, as seen from its host.
func (c *tcpConn) trace(e TraceEvent) {
	e.Flow = Flow{Proto: TCP, Src: c.local, Dst: c.remote}
	c.n.record(c.host, e)
}

// later runs fn on the event loop at time at, in this connection's order.
func (c *tcpConn) later(at time.Time, fn func()) {
	c.n.schedule(at, c.nextKey(), fn)
}

func (c *tcpConn) ackSegment() *segment {
	c.advertised = c.window()
	return &segment{flags: flagACK, ack: c.rcvNxt, wnd: c.advertised}
}

// window is the free space of the receive buffer.
func (c *tcpConn) window() int {
	used := len(c.rcv)
	for _, s := range c.ooo {
		used += len(s.payload)
	}
	return max(c.n.cfg.ReceiveBuffer-used, 0)
}

// connect sends the first SYN. The caller holds n.mu.
func (c *tcpConn) connect() {
	c.later(appTime(), func() {
		if c.state != stateSynSent {
			return // abandoned before it left
		}
		c.trace(TraceEvent{Kind: EventConnect})
		c.sendSYN()
		c.armTimer()
	})
}

func (c *tcpConn) sendSYN() {
	c.synSentAt = time.Now()
	c.send(&segment{flags: flagSYN, mss: c.mss, wnd: c.advertised})
}

func (c *tcpConn) sendSYNACK() {
	c.synSentAt = time.Now()
	c.send(&segment{flags: flagSYN | flagACK, mss: c.mss, wnd: c.advertised})
}

// acceptSYN answers a SYN that reached this host. Runs on the event loop.
func (h *Host) acceptSYN(s *segment) {
	n := h.n
	key := [2]netip.AddrPort{s.dst, s.src}
	if c := h.halfOpen[key]; c != nil {
		c.sendSYNACK() // the client did not get ours
		return
	}
	l := h.listener(s.dst)
	if l == nil || l.closed {
		n.record(h, TraceEvent{Kind: EventPortClosed, Flow: s.flow()})
		rst := newConn(h, s.dst, s.src, stateClosed)
		rst.send(&segment{flags: flagRST, to: s.from})
		return
	}
	c := newConn(h, s.dst, s.src, stateSynReceived)
	c.peer = s.from
	c.listener = l
	c.mss = min(c.mss, s.mss)
	c.sndWnd = s.wnd
	h.halfOpen[key] = c
	h.conns[c] = struct{}{}
	c.sendSYNACK()
	c.armTimer()
}

// abort gives up a dial in progress.
func (c *tcpConn) abort() {
	c.n.mu.Lock()
	defer c.n.mu.Unlock()
	if c.state == stateSynSent {
		c.state = stateClosed
		c.stopTimer()
		delete(c.host.conns, c)
	}
}

// fail ends the connection with err. Runs on the event loop.
func (c *tcpConn) fail(err error) {
	c.err = err
	c.state = stateClosed
	c.stopTimer()
	c.sendQ, c.unacked, c.rtxQ = nil, nil, nil
	delete(c.host.conns, c)
	delete(c.host.halfOpen, [2]netip.AddrPort{c.local, c.remote})
	signal(c.readable)
	signal(c.writable)
}

// resetBoth resets a connection at both ends, as a middlebox does; why
// carries the reason and its figures.
func (n *Network) resetBoth(c *tcpConn, why TraceEvent) {
	why.Kind = EventReset
	for _, e := range []*tcpConn{c, c.peer} {
		if e != nil && e.state != stateClosed {
			e.trace(why)
			e.fail(syscall.ECONNRESET)
		}
	}
}

// scheduleReset resets c alone at time at.
func (n *Network) scheduleReset(c *tcpConn, at time.Time, why TraceEvent) {
	why.Kind = EventReset
	c.later(at, func() {
		if c.state != stateClosed {
			c.trace(why)
			c.fail(syscall.ECONNRESET)
		}
	})
}

// receive handles a segment that arrived at this endpoint. Runs on the
// event loop.
func (c *tcpConn) receive(s *segment) {
	if s.flags&flagRST != 0 {
		switch c.state {
		case stateSynSent:
			c.state = stateClosed
			c.stopTimer()
			c.trace(TraceEvent{Kind: EventRefused})
			c.dialDone <- syscall.ECONNREFUSED
		case stateEstablished, stateSynReceived:
			if !c.localClosed {
				c.trace(TraceEvent{Kind: EventResetByPeer})
			}
			c.fail(syscall.ECONNRESET)
		}
		return
	}

	switch c.state {
	case stateClosed:
		// A dial that gave up, or a connection already torn down: tell
		// the other end, unless it is only acknowledging.
		if s.from != nil && (len(s.payload) > 0 || s.flags&(flagSYN|flagFIN) != 0) {
			c.peer = s.from
			c.send(&segment{flags: flagRST})
		}
		return
	case stateSynSent:
		if s.flags&(flagSYN|flagACK) != flagSYN|flagACK {
			return
		}
		c.peer = s.from
		c.mss = min(c.mss, s.mss)
		c.sndWnd = s.wnd
		c.state = stateEstablished
		if c.retries == 0 {
			c.sampleRTT(time.Since(c.synSentAt))
		}
		c.retries = 0
		c.stopTimer()
		c.trace(TraceEvent{Kind: EventEstablished})
		c.send(c.ackSegment())
		c.dialDone <- nil
		return
	case stateSynReceived:
		if s.flags&flagSYN != 0 {
			return
		}
		if s.flags&flagACK == 0 {
			return
		}
		c.state = stateEstablished
		if c.retries == 0 {
			c.sampleRTT(time.Since(c.synSentAt))
		}
		c.retries = 0
		c.stopTimer()
		delete(c.host.halfOpen, [2]netip.AddrPort{c.local, c.remote})
		if l := c.listener; l != nil && !l.closed {
			l.queue = append(l.queue, c)
			signal(l.ready)
		} else {
			c.send(&segment{flags: flagRST})
			c.fail(syscall.ECONNRESET)
			return
		}
	case stateEstablished:
		if s.flags&flagSYN != 0 {
			// Our handshake ACK was lost: the server sends its SYN-ACK
			// again.
			c.send(c.ackSegment())
			return
		}
	}

	if s.flags&flagACK != 0 {
		c.acknowledged(s)
	}
	if c.state == stateClosed {
		return
	}
	if s.flags&flagProbe != 0 {
		c.send(c.ackSegment())
		return
	}
	if len(s.payload) == 0 && s.flags&flagFIN == 0 {
		return
	}
	if c.localClosed && len(s.payload) > 0 && s.end() > c.rcvNxt {
		// Nobody will read this: like a real stack, answer with a reset.
		c.send(&segment{flags: flagRST})
		c.fail(syscall.ECONNRESET)
		return
	}
	c.accept(s)
	signal(c.readable)
	c.send(c.ackSegment())
	c.maybeDone()
}

// maybeDone forgets a connection both ends have closed.
func (c *tcpConn) maybeDone() {
	if c.localClosed && c.eof && c.finSent && len(c.unacked) == 0 {
		delete(c.host.conns, c)
	}
}

// accept adds a segment's data to the receive buffer, in order, keeping
// what arrives early.
func (c *tcpConn) accept(s *segment) {
	if s.seq > c.rcvNxt {
		i := 0
		for i < len(c.ooo) && c.ooo[i].seq < s.seq {
			i++
		}
		if i == len(c.ooo) || c.ooo[i].seq != s.seq || c.ooo[i].end() < s.end() {
			c.ooo = append(c.ooo[:i], append([]*segment{s}, c.ooo[i:]...)...)
		}
		return
	}
	c.take(s)
	for len(c.ooo) > 0 && c.ooo[0].seq <= c.rcvNxt {
		next := c.ooo[0]
		c.ooo = c.ooo[1:]
		c.take(next)
	}
}

// take appends the part of s beyond rcvNxt; s starts at or before it.
func (c *tcpConn) take(s *segment) {
	if s.end() <= c.rcvNxt {
		return // a duplicate
	}
	if skip := c.rcvNxt - s.seq; skip < uint64(len(s.payload)) {
		c.rcv = append(c.rcv, s.payload[skip:]...)
		c.rcvNxt += uint64(len(s.payload)) - skip
	}
	if s.flags&flagFIN != 0 && !c.eof {
		c.eof = true
		c.rcvNxt++
	}
}

// Read implements net.Conn.
func (c *tcpConn) Read(p []byte) (int, error) {
	n := c.n
	for {
		if c.rdl.Err() != nil {
			return 0, opError("read", c.LocalAddr(), c.RemoteAddr(), os.ErrDeadlineExceeded)
		}
		n.mu.Lock()
		switch {
		case c.localClosed:
			n.mu.Unlock()
			return 0, opError("read", c.LocalAddr(), c.RemoteAddr(), net.ErrClosed)
		case len(c.rcv) > 0:
			k := copy(p, c.rcv)
			c.rcv = c.rcv[k:]
			if len(c.rcv) == 0 {
				c.rcv = nil
			}
			// Reopen a window the sender may be waiting on.
			if c.advertised < c.effMSS() && c.window() >= c.effMSS() && c.err == nil && !n.closed {
				c.later(appTime(), func() {
					if c.state == stateEstablished {
						c.send(c.ackSegment())
					}
				})
			}
			n.mu.Unlock()
			return k, nil
		case c.eof:
			n.mu.Unlock()
			return 0, io.EOF
		case c.err != nil:
			err := c.err
			n.mu.Unlock()
			return 0, opError("read", c.LocalAddr(), c.RemoteAddr(), err)
		case n.closed:
			n.mu.Unlock()
			return 0, opError("read", c.LocalAddr(), c.RemoteAddr(), net.ErrClosed)
		}
		n.mu.Unlock()
		select {
		case <-c.readable:
		case <-c.rdl.Done():
		case <-n.done:
		}
	}
}

// Write implements net.Conn. It returns once every byte is in the send
// buffer, waiting for acknowledgements to free room when it is full.
func (c *tcpConn) Write(p []byte) (int, error) {
	n := c.n
	written := 0
	for {
		if c.wdl.Err() != nil {
			return written, opError("write", c.LocalAddr(), c.RemoteAddr(), os.ErrDeadlineExceeded)
		}
		n.mu.Lock()
		switch {
		case c.localClosed || n.closed:
			n.mu.Unlock()
			return written, opError("write", c.LocalAddr(), c.RemoteAddr(), net.ErrClosed)
		case c.err != nil:
			err := c.err
			n.mu.Unlock()
			return written, opError("write", c.LocalAddr(), c.RemoteAddr(), err)
		}
		if room := n.cfg.SendBuffer - c.buffered(); room > 0 && written < len(p) {
			k := min(room, len(p)-written)
			c.sendQ = append(c.sendQ, p[written:written+k]...)
			written += k
			c.later(appTime(), c.output)
		}
		n.mu.Unlock()
		if written == len(p) {
			return written, nil
		}
		select {
		case <-c.writable:
		case <-c.wdl.Done():
		case <-n.done:
		}
	}
}

// buffered is what the send buffer holds: unsent and unacknowledged bytes.
func (c *tcpConn) buffered() int {
	b := len(c.sendQ)
	for _, s := range c.unacked {
		b += len(s.payload)
	}
	return b
}

// Close implements net.Conn: queued data is still delivered, then a FIN.
func (c *tcpConn) Close() error {
	n := c.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.localClosed {
		return opError("close", c.LocalAddr(), c.RemoteAddr(), net.ErrClosed)
	}
	c.localClosed = true
	if c.state == stateEstablished && c.err == nil && !n.closed {
		c.finPending = true
		c.later(appTime(), c.output)
	}
	signal(c.readable)
	signal(c.writable)
	return nil
}

// LocalAddr implements net.Conn.
func (c *tcpConn) LocalAddr() net.Addr { return net.TCPAddrFromAddrPort(c.local) }

// RemoteAddr implements net.Conn.
func (c *tcpConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// SetDeadline implements net.Conn.
func (c *tcpConn) SetDeadline(t time.Time) error {
	c.rdl.Set(t)
	c.wdl.Set(t)
	return nil
}

// SetReadDeadline implements net.Conn.
func (c *tcpConn) SetReadDeadline(t time.Time) error { c.rdl.Set(t); return nil }

// SetWriteDeadline implements net.Conn.
func (c *tcpConn) SetWriteDeadline(t time.Time) error { c.wdl.Set(t); return nil }
