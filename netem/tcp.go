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

// TCP is modelled segment by segment, after Linux (docs/ARCHITECTURE.md
// has the table of how closely, measured by make fidelity):
//
//   - A write lands in the socket's send buffer; segments of at most MSS
//     bytes leave it as the congestion window (initial 10, RFC 6928; CUBIC
//     with HyStart or Reno, cc.go) and the receiver's window allow, into
//     the sender's access link, whose bottleneck buffer holds them at its
//     rate and drops what does not fit.
//   - The receiver (receiver.go) keeps out-of-order segments, reports them
//     in SACK blocks (sack.go) and delays acknowledgements as Linux does.
//   - The sender (sender.go) detects losses with RACK and SACK and repairs
//     them in fast recovery with PRR (recovery.go), or by the
//     retransmission timer (rto.go: SRTT + max(4 RTTVAR, 200 ms), doubled
//     on each expiry, up to 120 s). After 15 timeouts in a row the
//     connection fails with ETIMEDOUT, a net.Error whose Timeout() is true.
//   - SYNs follow the host's Kernel (kernel.go): 1 s apart for the first
//     five and then doubling (Linux >= 6.5), or doubling from the first,
//     within the time budget of tcp_syn_retries; SYN-ACKs are sent five
//     times; a closed port answers with a reset.
//   - ICMP "fragmentation needed" lowers the connection's MSS and the
//     oversized segments are sent again; with MTU probing, a black hole is
//     suspected after 3 s of retransmissions (mtuprobe.go).
const (
	synAckRetries = 5
	dataRetries   = 15
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

	// The handshake: when the first SYN (or SYN-ACK) left, how many have.
	firstSYN, synSentAt time.Time
	synSent             int

	snd sender
	rcv receiver

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
		n:        h.n,
		host:     h,
		local:    local,
		remote:   remote,
		flow:     flowID(local, remote),
		state:    state,
		mss:      h.mtu - headerBytes(local.Addr()),
		snd:      newSender(h.kernel),
		rcv:      newReceiver(h.n.cfg.ReceiveBuffer),
		dialDone: make(chan error, 1),
		readable: make(chan struct{}, 1),
		writable: make(chan struct{}, 1),
		rdl:      deadline.New(),
		wdl:      deadline.New(),
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
	m := c.mss
	if c.pmtuMSS > 0 {
		m = min(m, c.pmtuMSS)
	}
	if c.snd.probeMSS > 0 {
		m = min(m, c.snd.probeMSS)
	}
	return m
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

// connect sends the first SYN. The caller holds n.mu.
func (c *tcpConn) connect() {
	c.later(appTime(), func() {
		if c.state != stateSynSent {
			return // abandoned before it left
		}
		c.trace(TraceEvent{Kind: EventConnect})
		c.firstSYN = time.Now()
		c.sendSYN()
		c.armTimer()
	})
}

func (c *tcpConn) sendSYN() {
	c.synSentAt = time.Now()
	c.synSent++
	c.send(&segment{flags: flagSYN, mss: c.mss, wnd: c.rcv.advertised})
}

func (c *tcpConn) sendSYNACK() {
	c.synSentAt = time.Now()
	c.synSent++
	c.send(&segment{flags: flagSYN | flagACK, mss: c.mss, wnd: c.rcv.advertised})
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
	c.snd.wnd = s.wnd
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
	c.snd.queue, c.snd.segs = nil, nil
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
		c.snd.wnd = s.wnd
		c.state = stateEstablished
		if c.synSent == 1 {
			c.snd.rto.sample(time.Since(c.synSentAt), 0, 0)
		}
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
		if c.synSent == 1 {
			c.snd.rto.sample(time.Since(c.synSentAt), 0, 0)
		}
		c.snd.retries = 0
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
	if c.localClosed && len(s.payload) > 0 && s.end() > c.rcv.nxt {
		// Nobody will read this: like a real stack, answer with a reset.
		c.send(&segment{flags: flagRST})
		c.fail(syscall.ECONNRESET)
		return
	}
	urgent := c.rcv.accept(s, time.Now())
	signal(c.readable)
	c.receivedData(urgent)
	c.maybeDone()
}

// maybeDone forgets a connection both ends have closed.
func (c *tcpConn) maybeDone() {
	if c.localClosed && c.rcv.eof && c.snd.finSent && len(c.snd.segs) == 0 {
		delete(c.host.conns, c)
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
		case len(c.rcv.buf) > 0:
			k := copy(p, c.rcv.buf)
			c.rcv.buf = c.rcv.buf[k:]
			if len(c.rcv.buf) == 0 {
				c.rcv.buf = nil
			}
			// Reopen a window the sender may be waiting on.
			if c.rcv.advertised < c.effMSS() && c.window() >= c.effMSS() && c.err == nil && !n.closed {
				c.later(appTime(), func() {
					if c.state == stateEstablished {
						c.send(c.ackSegment())
					}
				})
			}
			n.mu.Unlock()
			return k, nil
		case c.rcv.eof:
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
		if room := n.cfg.SendBuffer - c.snd.buffered(); room > 0 && written < len(p) {
			k := min(room, len(p)-written)
			c.snd.queue = append(c.snd.queue, p[written:written+k]...)
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
		c.snd.finPending = true
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
