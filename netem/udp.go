package netem

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/pion/transport/v3/packetio"
)

// UDP datagrams cross the same hops as TCP segments: they are delayed,
// serialized, lost, and dropped by outages. They are fragmented rather than
// dropped when larger than a path MTU. A datagram to a port nobody listens
// on is dropped (no ICMP port unreachable comes back), so the sender finds
// out by its own timeout, as a resolver behind a firewall does.

// udpReceiveBuffer bounds the datagrams a socket holds unread, like a
// socket's receive buffer; more are dropped.
const udpReceiveBuffer = 256 << 10

// udpConn is a UDP socket, connected (Dial) or not (ListenPacket).
type udpConn struct {
	n      *Network
	host   *Host
	local  netip.AddrPort
	remote netip.AddrPort // valid when connected
	flow   uint64
	// buf holds received datagrams, each stored behind its source
	// address.
	buf *packetio.Buffer

	sent   uint64 // guarded by n.mu
	closed bool   // guarded by n.mu
}

// ListenPacket opens a UDP socket on address (":53", "198.51.100.53:53",
// ":0" for any free port).
func (h *Host) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := h.openUDP(network, address, netip.AddrPort{})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (h *Host) dialUDP(network, address string) (net.Conn, error) {
	dst, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("netem: dial needs ip:port, not %q (resolve names first)", address)}
	}
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	return h.openUDP(network, ":0", dst)
}

func (h *Host) openUDP(network, address string, remote netip.AddrPort) (*udpConn, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		if len(address) > 0 && address[0] == ':' {
			ap, err = netip.ParseAddrPort("0.0.0.0" + address)
		}
		if err != nil {
			return nil, &net.OpError{Op: "listen", Net: network, Err: fmt.Errorf("netem: want ip:port or :port, not %q", address)}
		}
	}
	n := h.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.ErrClosed}
	}
	local := ap.Addr().Unmap()
	if local.IsUnspecified() {
		want := remote.Addr()
		if !want.IsValid() {
			want = h.addrs[0]
		}
		var ok bool
		if local, ok = h.source(want); !ok {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ENETUNREACH}
		}
	} else if !slices.Contains(h.addrs, local) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: syscall.EADDRNOTAVAIL}
	}
	port := ap.Port()
	if port == 0 {
		for port = h.ephemeralPort(); h.udp[port] != nil; port = h.ephemeralPort() {
		}
	} else if h.udp[port] != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: syscall.EADDRINUSE}
	}
	c := &udpConn{
		n:      n,
		host:   h,
		local:  netip.AddrPortFrom(local, port),
		remote: remote,
		buf:    packetio.NewBuffer(),
	}
	c.buf.SetLimitSize(udpReceiveBuffer)
	c.flow = flowID(c.local, remote)
	h.udp[port] = c
	return c, nil
}

// WriteTo implements net.PacketConn. The datagram leaves one nanosecond
// later, in this socket's order (see sched.go).
func (c *udpConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	dst, err := addrPort(addr)
	if err != nil {
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: addr, Err: err}
	}
	return c.write(p, dst)
}

func (c *udpConn) write(p []byte, dst netip.AddrPort) (int, error) {
	n := c.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.closed || n.closed {
		return 0, &net.OpError{Op: "write", Net: "udp", Source: c.LocalAddr(), Err: net.ErrClosed}
	}
	at := appTime()
	if n.noRoute(c.host, UDP, c.local.Addr(), dst, at) {
		return 0, &net.OpError{Op: "write", Net: "udp", Source: c.LocalAddr(), Addr: net.UDPAddrFromAddrPort(dst), Err: syscall.ENETUNREACH}
	}
	s := &segment{flags: flagUDP, src: c.local, dst: dst, payload: slices.Clone(p), udpFrom: c}
	if h := n.byAddr[dst.Addr()]; h != nil {
		s.path = path(c.host, h)
	} else {
		s.path = []*hop{c.host.up}
	}
	c.sent++
	s.key = eventKey{flow: c.flow, n: c.sent}
	n.schedule(at, s.key, func() { n.forward(s, 0, at) })
	return len(p), nil
}

// arriveUDP hands a datagram to the socket bound to its port. Runs on the
// event loop.
func (n *Network) arriveUDP(s *segment) {
	dst := n.byAddr[s.dst.Addr()]
	if dst == nil {
		n.dropped(s.udpFrom.host, nil, s, TraceEvent{Reason: ReasonNoHost})
		return
	}
	if s.dst.Port() == 53 && dst.dns != nil {
		dst.answerDNS(s)
		return
	}
	c := dst.udp[s.dst.Port()]
	if c == nil || c.closed {
		n.dropped(dst, nil, s, TraceEvent{Reason: ReasonNoListener})
		return
	}
	if c.remote.IsValid() && c.remote != s.src {
		return // a connected socket hears only its peer
	}
	from, _ := s.src.MarshalBinary()
	if _, err := c.buf.Write(append(append([]byte{byte(len(from))}, from...), s.payload...)); err != nil {
		n.dropped(dst, nil, s, TraceEvent{Reason: ReasonBufferFull})
	}
}

// ReadFrom implements net.PacketConn. A datagram longer than p is cut, as
// on a real socket.
func (c *udpConn) ReadFrom(p []byte) (int, net.Addr, error) {
	buf := make([]byte, 1+18+65536)
	k, err := c.buf.Read(buf)
	if err != nil {
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			err = os.ErrDeadlineExceeded
		case errors.Is(err, io.EOF):
			err = net.ErrClosed // packetio's word for a closed buffer
		}
		return 0, nil, &net.OpError{Op: "read", Net: "udp", Source: c.LocalAddr(), Err: err}
	}
	var from netip.AddrPort
	l := int(buf[0])
	from.UnmarshalBinary(buf[1 : 1+l])
	return copy(p, buf[1+l:k]), net.UDPAddrFromAddrPort(from), nil
}

// Read implements net.Conn for a connected socket.
func (c *udpConn) Read(p []byte) (int, error) {
	k, _, err := c.ReadFrom(p)
	return k, err
}

// Write implements net.Conn for a connected socket.
func (c *udpConn) Write(p []byte) (int, error) {
	if !c.remote.IsValid() {
		return 0, &net.OpError{Op: "write", Net: "udp", Source: c.LocalAddr(), Err: syscall.EDESTADDRREQ}
	}
	return c.write(p, c.remote)
}

// Close implements net.Conn and net.PacketConn.
func (c *udpConn) Close() error {
	n := c.n
	n.mu.Lock()
	if c.closed {
		n.mu.Unlock()
		return &net.OpError{Op: "close", Net: "udp", Source: c.LocalAddr(), Err: net.ErrClosed}
	}
	c.closed = true
	if c.host.udp[c.local.Port()] == c {
		delete(c.host.udp, c.local.Port())
	}
	n.mu.Unlock()
	return c.buf.Close()
}

// LocalAddr implements net.Conn.
func (c *udpConn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.local) }

// RemoteAddr implements net.Conn; nil for an unconnected socket.
func (c *udpConn) RemoteAddr() net.Addr {
	if !c.remote.IsValid() {
		return nil
	}
	return net.UDPAddrFromAddrPort(c.remote)
}

// SetDeadline implements net.Conn. Writes never block, so only reads have
// a deadline.
func (c *udpConn) SetDeadline(t time.Time) error { return c.buf.SetReadDeadline(t) }

// SetReadDeadline implements net.Conn.
func (c *udpConn) SetReadDeadline(t time.Time) error { return c.buf.SetReadDeadline(t) }

// SetWriteDeadline implements net.Conn.
func (c *udpConn) SetWriteDeadline(time.Time) error { return nil }

func addrPort(a net.Addr) (netip.AddrPort, error) {
	switch a := a.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	case nil:
		return netip.AddrPort{}, syscall.EDESTADDRREQ
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("netem: not a UDP address: %v", a)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
