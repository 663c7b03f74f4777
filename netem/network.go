package netem

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Config configures a Network.
type Config struct {
	// Seed is the root of every random choice the network makes. Runs with
	// the same seed and the same inputs produce the same trace.
	Seed uint64
	// SendBuffer and ReceiveBuffer are the socket buffer sizes of every
	// connection, in bytes (defaults 4 MiB each, like a tuned Linux host).
	// The receive buffer is the window a receiver advertises; together they
	// bound the bytes in flight.
	SendBuffer    int
	ReceiveBuffer int
}

// Network is an emulated IP network: hosts, each with an access link, and the
// TCP connections between them. Create it, add hosts, then dial and listen
// through the hosts. Close stops it.
//
// A Network starts one goroutine; create and close it inside the same
// synctest bubble as the code that uses it when you want virtual time.
type Network struct {
	cfg Config

	mu     sync.Mutex
	hosts  []*Host
	byAddr map[netip.Addr]*Host
	byName map[string]*Host
	events eventQueue
	seq    uint64
	trace  []TraceEvent
	closed bool

	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

// New creates a network and starts its event loop.
func New(cfg Config) *Network {
	if cfg.SendBuffer <= 0 {
		cfg.SendBuffer = 4 << 20
	}
	if cfg.ReceiveBuffer <= 0 {
		cfg.ReceiveBuffer = 4 << 20
	}
	n := &Network{
		cfg:     cfg,
		byAddr:  make(map[netip.Addr]*Host),
		byName:  make(map[string]*Host),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go n.run()
	return n
}

// HostConfig describes a host to add to the network.
type HostConfig struct {
	// Name identifies the host in traces ("camera", "smtp.gmail.com").
	Name string
	// Addrs are the host's IPv4 and/or IPv6 addresses.
	Addrs []netip.Addr
	// MTU of the host's interface; 1500 if zero. A connection's MSS is the
	// smaller of the two ends' MTU minus the IP and TCP headers.
	MTU int
	// Link is the host's access link.
	Link Link
}

// AddHost adds a host to the network.
func (n *Network) AddHost(cfg HostConfig) (*Host, error) {
	if cfg.Name == "" {
		return nil, errors.New("netem: a host needs a name")
	}
	if len(cfg.Addrs) == 0 {
		return nil, fmt.Errorf("netem: host %q needs at least one address", cfg.Name)
	}
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	if cfg.MTU < 576 || cfg.MTU > 65535 {
		return nil, fmt.Errorf("netem: host %q: MTU %d is outside 576..65535", cfg.Name, cfg.MTU)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, errNetworkClosed
	}
	if _, dup := n.byName[cfg.Name]; dup {
		return nil, fmt.Errorf("netem: host %q already exists", cfg.Name)
	}
	for _, a := range cfg.Addrs {
		if !a.IsValid() {
			return nil, fmt.Errorf("netem: host %q: invalid address", cfg.Name)
		}
		if other, dup := n.byAddr[a.Unmap()]; dup {
			return nil, fmt.Errorf("netem: host %q: address %s already belongs to %q", cfg.Name, a, other.name)
		}
	}
	h := &Host{
		n:         n,
		name:      cfg.Name,
		addrs:     slices.Clone(cfg.Addrs),
		mtu:       cfg.MTU,
		up:        &hop{name: cfg.Name + " up", dir: cfg.Link.Up},
		down:      &hop{name: cfg.Name + " down", dir: cfg.Link.Down},
		listeners: make(map[uint16]*tcpListener),
		nextPort:  49152,
	}
	for i, a := range h.addrs {
		h.addrs[i] = a.Unmap()
		n.byAddr[h.addrs[i]] = h
	}
	n.byName[cfg.Name] = h
	n.hosts = append(n.hosts, h)
	return h, nil
}

// Host returns the host called name, or nil.
func (n *Network) Host(name string) *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byName[name]
}

// Close stops the network: every connection and listener fails with
// net.ErrClosed, and the event loop exits before Close returns.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return errNetworkClosed
	}
	n.closed = true
	close(n.done)
	n.mu.Unlock()
	<-n.stopped
	return nil
}

// now is the time used for an action an application goroutine takes; see
// appDelay.
func appTime() time.Time { return time.Now().Add(appDelay) }

// path returns the hops from host a to host b.
func path(a, b *Host) []*hop {
	if a == b {
		return nil // loopback
	}
	return []*hop{a.up, b.down}
}
