package netem

import (
	"net"
	"net/netip"
	"syscall"
)

// tcpListener accepts connections on one port of a host. Its fields are
// guarded by n.mu.
type tcpListener struct {
	host   *Host
	bind   netip.Addr // invalid: every address of the host
	port   uint16
	queue  []*tcpConn // established, not yet accepted
	closed bool
	ready  chan struct{}
	done   chan struct{}
}

// Accept implements net.Listener. It returns connections whose handshake
// has completed.
func (l *tcpListener) Accept() (net.Conn, error) {
	n := l.host.n
	for {
		n.mu.Lock()
		switch {
		case l.closed || n.closed:
			n.mu.Unlock()
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
		case len(l.queue) > 0:
			c := l.queue[0]
			l.queue = l.queue[1:]
			c.listener = nil
			n.mu.Unlock()
			return c, nil
		}
		n.mu.Unlock()
		select {
		case <-l.ready:
		case <-l.done:
		case <-n.done:
		}
	}
}

// Close implements net.Listener. Connections not yet accepted are reset,
// and new ones are refused.
func (l *tcpListener) Close() error {
	n := l.host.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if l.closed {
		return &net.OpError{Op: "close", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
	}
	l.closed = true
	close(l.done)
	if l.host.listeners[l.port] == l {
		delete(l.host.listeners, l.port)
	}
	if !n.closed {
		for _, c := range l.queue {
			c.later(appTime(), func() {
				if c.state != stateClosed {
					c.send(&segment{flags: flagRST})
					c.fail(syscall.ECONNRESET)
				}
			})
		}
	}
	l.queue = nil
	return nil
}

// Addr implements net.Listener. A listener bound to every address reports
// the host's first one, so that l.Addr().String() can be dialled.
func (l *tcpListener) Addr() net.Addr {
	a := l.bind
	if !a.IsValid() {
		a = l.host.addrs[0]
	}
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, l.port))
}
