package netem

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"

	"alertsim/internal/seed"
)

// Host is a machine on the network. Its Dial method has the shape of
// net.Dialer.DialContext, so code that takes a dial function runs unchanged
// over the emulated network.
type Host struct {
	n      *Network
	name   string
	addrs  []netip.Addr
	mtu    int
	kernel Kernel
	link   Link
	up     *hop
	down   *hop

	// guarded by n.mu
	listeners map[uint16]*tcpListener
	udp       map[uint16]*udpConn
	dns       *DNSService                    // answers on UDP port 53, on the event loop
	halfOpen  map[[2]netip.AddrPort]*tcpConn // server side, by (local, remote)
	conns     map[*tcpConn]struct{}          // open connections, for link resets
	linkGen   int                            // which SetLink the link comes from
	nextPort  uint16
}

// Name returns the host's name.
func (h *Host) Name() string { return h.name }

// Addrs returns the host's addresses.
func (h *Host) Addrs() []netip.Addr { return slices.Clone(h.addrs) }

// MTU returns the host's interface MTU.
func (h *Host) MTU() int { return h.mtu }

// source returns the host's address of dst's family.
func (h *Host) source(dst netip.Addr) (netip.Addr, bool) {
	for _, a := range h.addrs {
		if a.Is4() == dst.Is4() {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// ephemeralPort allocates a local port for TCP or UDP. The caller holds
// n.mu.
//
// Ports are handed out in order, so two sockets a host opens at the same
// virtual instant get ports in the order their goroutines ran: the one
// choice in the network that depends on scheduling. Device models open one
// socket at a time.
func (h *Host) ephemeralPort() uint16 {
	p := h.nextPort
	h.nextPort++
	if h.nextPort == 0 || h.nextPort < 49152 {
		h.nextPort = 49152
	}
	return p
}

// Link returns the host's access link as configured.
func (h *Host) Link() Link {
	h.n.mu.Lock()
	defer h.n.mu.Unlock()
	return h.link
}

// SetLink changes the host's access link from the next packet on, as when a
// device is handed over to another cell. Packets already on their way keep
// the old link's timing; faults of the new link count from the start of the
// network, like the old ones.
func (h *Host) SetLink(l Link) error {
	if err := l.validate(); err != nil {
		return fmt.Errorf("netem: host %q: %w", h.name, err)
	}
	n := h.n
	n.mu.Lock()
	defer n.mu.Unlock()
	n.linkChanges++
	h.linkGen = n.linkChanges
	l.Faults = slices.Clone(l.Faults)
	l.BlockedPorts = slices.Clone(l.BlockedPorts)
	h.link = l
	for _, hp := range []*hop{h.up, h.down} {
		d := l.Down
		if hp.up {
			d = l.Up
		}
		hp.dir = d
		hp.loss = lossState{model: d.Loss, rng: seed.Rand(n.cfg.Seed, fmt.Sprintf("%s loss %d", hp.name, n.linkChanges))}
	}
	n.scheduleFaults(h)
	return nil
}

// Dial connects to address ("203.0.113.25:465") over network "tcp", "tcp4"
// or "tcp6", or opens a connected UDP socket for "udp", "udp4", "udp6". The
// address must be an IP literal: name resolution is the caller's job, as it
// is a device's. It fails like the net package: a closed port is refused
// (syscall.ECONNREFUSED); unanswered SYNs are sent again after 1, 2, 4, ...
// seconds until ctx ends or the seventh goes unanswered (ETIMEDOUT); both
// report Timeout().
func (h *Host) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	case "udp", "udp4", "udp6":
		return h.dialUDP(network, address)
	default:
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
	}
	dst, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("netem: dial needs ip:port, not %q (resolve names first)", address)}
	}
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	if (network == "tcp4" && !dst.Addr().Is4()) || (network == "tcp6" && !dst.Addr().Is6()) {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(dst), Err: syscall.EAFNOSUPPORT}
	}
	if err := ctx.Err(); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(dst), Err: contextError(err)}
	}

	n := h.n
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(dst), Err: net.ErrClosed}
	}
	src, ok := h.source(dst.Addr())
	if !ok || n.noRoute(h, TCP, src, dst, appTime()) {
		n.mu.Unlock()
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(dst), Err: syscall.ENETUNREACH}
	}
	c := newConn(h, netip.AddrPortFrom(src, h.ephemeralPort()), dst, stateSynSent)
	h.conns[c] = struct{}{}
	c.connect()
	n.mu.Unlock()

	select {
	case err := <-c.dialDone:
		if err != nil {
			return nil, opError("dial", c.LocalAddr(), c.RemoteAddr(), err)
		}
		return c, nil
	case <-ctx.Done():
		c.abort()
		return nil, opError("dial", c.LocalAddr(), c.RemoteAddr(), contextError(ctx.Err()))
	case <-n.done:
		return nil, opError("dial", c.LocalAddr(), c.RemoteAddr(), net.ErrClosed)
	}
}

// Listen listens for TCP connections on address (":465", "203.0.113.25:25").
// An empty host listens on all of the host's addresses.
func (h *Host) Listen(network, address string) (net.Listener, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	port, err := net.LookupPort(network, portStr)
	if err != nil || port == 0 {
		return nil, &net.OpError{Op: "listen", Net: network, Err: fmt.Errorf("netem: listen needs a fixed port, not %q", portStr)}
	}
	var bind netip.Addr
	if host != "" {
		if bind, err = netip.ParseAddr(host); err != nil {
			return nil, &net.OpError{Op: "listen", Net: network, Err: fmt.Errorf("netem: listen needs an IP address, not %q", host)}
		}
		bind = bind.Unmap()
		if !slices.Contains(h.addrs, bind) {
			return nil, &net.OpError{Op: "listen", Net: network, Err: syscall.EADDRNOTAVAIL}
		}
	}
	n := h.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.ErrClosed}
	}
	if _, busy := h.listeners[uint16(port)]; busy {
		return nil, &net.OpError{Op: "listen", Net: network, Err: syscall.EADDRINUSE}
	}
	l := &tcpListener{
		host:  h,
		bind:  bind,
		port:  uint16(port),
		ready: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	h.listeners[l.port] = l
	return l, nil
}

// listener returns who accepts connections to dst on this host, if anyone.
// The caller holds n.mu.
func (h *Host) listener(dst netip.AddrPort) *tcpListener {
	l := h.listeners[dst.Port()]
	if l == nil || (l.bind.IsValid() && l.bind != dst.Addr()) {
		return nil
	}
	return l
}
