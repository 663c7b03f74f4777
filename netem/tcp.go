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

// TCP is modelled at the segment level: every write becomes segments of at
// most MSS bytes that queue on each hop of the path, serialize at the hop's
// rate and arrive after its delay; the receiver acknowledges each one, and
// the acknowledgements bound the bytes in flight to the smaller of the send
// buffer and the receiver's window. The handshake costs a round trip before
// the client may send and one and a half before the server sees the
// connection. There is no congestion control: once the window is open a
// transfer runs at the bottleneck rate.

type segFlags uint8

const (
	flagSYN segFlags = 1 << iota
	flagACK
	flagFIN
	flagRST
)

type segment struct {
	flags   segFlags
	from    *tcpConn // sending endpoint
	to      *tcpConn // receiving endpoint; nil on a SYN
	dst     netip.AddrPort
	seq     uint64 // stream offset of payload
	ack     uint64 // next byte expected, with flagACK
	wnd     int    // receive window, with flagACK
	mss     int    // with flagSYN
	payload []byte
	key     eventKey
	path    []*hop
}

// headerBytes is the IP and TCP header overhead of one segment.
func headerBytes(a netip.Addr) int {
	if a.Is4() {
		return 20 + 20
	}
	return 40 + 20
}

func (s *segment) wire() int { return headerBytes(s.dst.Addr()) + len(s.payload) }

type connState uint8

const (
	stateSynSent connState = iota
	stateSynReceived
	stateEstablished
	stateClosed // aborted before it was established
)

// tcpConn is one endpoint of a connection. All fields below n are guarded by
// n.mu.
type tcpConn struct {
	n      *Network
	host   *Host
	local  netip.AddrPort
	remote netip.AddrPort
	flow   uint64
	path   []*hop // local -> remote

	state    connState
	peer     *tcpConn
	listener *tcpListener // server side, until accepted
	mss      int
	sent     uint64 // segments sent: event key counter

	sndNxt, sndUna uint64
	sndWnd         int

	rcv         []byte
	rcvNxt      uint64
	advertised  int
	eof         bool  // FIN received
	err         error // reset, or network closed
	localClosed bool

	dialDone chan error
	readable chan struct{}
	writable chan struct{}
	rdl, wdl *deadline.Deadline
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
		dialDone: make(chan error, 1),
		readable: make(chan struct{}, 1),
		writable: make(chan struct{}, 1),
		rdl:      deadline.New(),
		wdl:      deadline.New(),
	}
	if dstHost := h.n.byAddr[remote.Addr()]; dstHost != nil {
		c.path = path(h, dstHost)
	} else {
		// Nobody has that address: the segments leave on the uplink and
		// are never seen again.
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

// send hands a segment to the first hop at time at. The caller holds n.mu.
func (c *tcpConn) send(s *segment, at time.Time) {
	c.sent++
	s.from = c
	if s.to == nil {
		s.to = c.peer
	}
	s.dst = c.remote
	s.key = eventKey{flow: c.flow, n: c.sent}
	s.path = c.path
	n := c.n
	n.schedule(at, s.key, func() { n.forward(s, 0, at) })
}

// forward moves a segment across hop i of its path. Runs on the event loop.
func (n *Network) forward(s *segment, i int, at time.Time) {
	if i == len(s.path) {
		n.arrive(s)
		return
	}
	next := s.path[i].transmit(at, s.wire())
	n.schedule(next, s.key, func() { n.forward(s, i+1, next) })
}

// arrive delivers a segment at its destination host. Runs on the event loop.
func (n *Network) arrive(s *segment) {
	if s.to != nil {
		s.to.receive(s)
		return
	}
	dstHost := n.byAddr[s.dst.Addr()]
	if dstHost == nil {
		n.tracef(s.from.host, "no host at %s: segment lost", s.dst.Addr())
		return
	}
	if s.flags&flagSYN == 0 || s.flags&flagACK != 0 {
		return
	}
	l := dstHost.listener(s.dst)
	if l == nil || l.closed {
		n.tracef(dstHost, "%s > %s refused: port closed (RST)", s.from.local, s.dst)
		newConn(dstHost, s.dst, s.from.local, stateClosed).send(&segment{flags: flagRST, to: s.from}, time.Now())
		return
	}
	c := newConn(dstHost, s.dst, s.from.local, stateSynReceived)
	c.peer = s.from
	c.listener = l
	c.mss = min(c.mss, s.mss)
	c.sndWnd = s.wnd
	c.advertised = n.cfg.ReceiveBuffer
	c.send(&segment{flags: flagSYN | flagACK, to: s.from, mss: c.mss, ack: 0, wnd: c.advertised}, time.Now())
}

// connect sends the SYN. The caller holds n.mu.
func (c *tcpConn) connect() {
	c.advertised = c.n.cfg.ReceiveBuffer
	syn := &segment{flags: flagSYN, mss: c.mss, wnd: c.advertised}
	at := appTime()
	c.n.schedule(at, eventKey{flow: c.flow}, func() {
		c.n.tracef(c.host, "%s > %s connect (SYN)", c.local, c.remote)
	})
	c.send(syn, at)
}

// abort gives up a dial in progress.
func (c *tcpConn) abort() {
	c.n.mu.Lock()
	defer c.n.mu.Unlock()
	if c.state == stateSynSent {
		c.state = stateClosed
	}
}

// reply sends a segment to the peer right away. Runs on the event loop.
func (c *tcpConn) reply(s *segment) {
	c.send(s, time.Now())
}

func (c *tcpConn) ackSegment() *segment {
	c.advertised = max(c.n.cfg.ReceiveBuffer-len(c.rcv), 0)
	return &segment{flags: flagACK, ack: c.rcvNxt, wnd: c.advertised}
}

// receive handles a segment that arrived at this endpoint. Runs on the event
// loop.
func (c *tcpConn) receive(s *segment) {
	n := c.n
	if s.flags&flagRST != 0 {
		switch c.state {
		case stateSynSent:
			c.state = stateClosed
			n.tracef(c.host, "%s > %s connection refused", c.local, c.remote)
			c.dialDone <- syscall.ECONNREFUSED
		case stateEstablished, stateSynReceived:
			if c.err == nil && !c.localClosed {
				n.tracef(c.host, "%s > %s connection reset by peer", c.local, c.remote)
			}
			c.err = syscall.ECONNRESET
			c.state = stateClosed
			signal(c.readable)
			signal(c.writable)
		}
		return
	}

	switch c.state {
	case stateClosed:
		// A dial that gave up, or a connection already torn down: tell
		// the other end.
		if s.from != nil {
			c.peer = s.from
			c.reply(&segment{flags: flagRST})
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
		n.tracef(c.host, "%s > %s established", c.local, c.remote)
		c.reply(c.ackSegment())
		c.dialDone <- nil
		return
	case stateSynReceived:
		if s.flags&flagACK == 0 {
			return
		}
		c.state = stateEstablished
		if l := c.listener; l != nil && !l.closed {
			l.queue = append(l.queue, c)
			signal(l.ready)
		} else {
			c.state = stateClosed
			c.reply(&segment{flags: flagRST})
			return
		}
	}

	if s.flags&flagACK != 0 {
		if s.ack > c.sndUna {
			c.sndUna = s.ack
		}
		c.sndWnd = s.wnd
		signal(c.writable)
	}
	if len(s.payload) == 0 && s.flags&flagFIN == 0 {
		return
	}
	if c.localClosed {
		if len(s.payload) > 0 {
			// Nobody will read this: like a real stack, answer with a
			// reset.
			c.state = stateClosed
			c.reply(&segment{flags: flagRST})
		}
		return
	}
	if len(s.payload) > 0 {
		c.rcv = append(c.rcv, s.payload...)
		c.rcvNxt += uint64(len(s.payload))
	}
	if s.flags&flagFIN != 0 {
		c.eof = true
	}
	signal(c.readable)
	c.reply(c.ackSegment())
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
			if c.advertised < c.mss && n.cfg.ReceiveBuffer-len(c.rcv) >= c.mss && c.err == nil && !n.closed {
				c.send(c.ackSegment(), appTime())
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

// Write implements net.Conn. It returns once every byte has been handed to
// the network, which may wait for acknowledgements to open the window.
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
		at := appTime()
		for written < len(p) {
			window := min(c.sndWnd, n.cfg.SendBuffer) - int(c.sndNxt-c.sndUna)
			if window <= 0 {
				break
			}
			size := min(len(p)-written, c.mss, window)
			s := &segment{flags: flagACK, seq: c.sndNxt, ack: c.rcvNxt, wnd: c.advertised}
			s.payload = append([]byte(nil), p[written:written+size]...)
			c.sndNxt += uint64(size)
			written += size
			c.send(s, at)
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
		c.send(&segment{flags: flagFIN | flagACK, seq: c.sndNxt, ack: c.rcvNxt, wnd: c.advertised}, appTime())
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
