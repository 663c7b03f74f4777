package netem

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"alertsim/internal/seed"
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
	// Tap, when set, is told of every packet crossing a host's link, for a
	// packet capture (see Tap).
	Tap Tap
}

// Network is an emulated IP network: hosts, each with an access link, and the
// TCP connections and UDP datagrams between them. Create it, add hosts, then dial and listen
// through the hosts. Close stops it.
//
// A Network starts one goroutine; create and close it inside the same
// synctest bubble as the code that uses it when you want virtual time.
type Network struct {
	cfg   Config
	start time.Time // faults are scheduled from here

	mu     sync.Mutex
	hosts  []*Host
	byAddr map[netip.Addr]*Host
	byName map[string]*Host
	events eventQueue
	seq    uint64
	trace  []TraceEvent
	// outOfOrder: the trace holds an event recorded ahead of its time
	// (see noRoute); Trace sorts it.
	outOfOrder bool
	closed     bool

	linkChanges int    // numbers the random streams of changed links
	packets     uint64 // sent into the network, for benchmarks

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
		start:   time.Now(),
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
	// Kernel is what the host's TCP does where Linux versions differ; the
	// zero value is a current Linux with its defaults.
	Kernel Kernel
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
	if err := CheckMTU(cfg.MTU); err != nil {
		return nil, fmt.Errorf("netem: host %q: %w", cfg.Name, err)
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
	if err := cfg.Link.validate(); err != nil {
		return nil, fmt.Errorf("netem: host %q: %w", cfg.Name, err)
	}
	h := &Host{
		n:         n,
		name:      cfg.Name,
		addrs:     slices.Clone(cfg.Addrs),
		mtu:       cfg.MTU,
		kernel:    cfg.Kernel,
		link:      cfg.Link,
		listeners: make(map[uint16]*tcpListener),
		udp:       make(map[uint16]*udpConn),
		halfOpen:  make(map[[2]netip.AddrPort]*tcpConn),
		conns:     make(map[*tcpConn]struct{}),
		nextPort:  49152,
		linkGen:   n.linkChanges,
	}
	h.link.Faults = slices.Clone(cfg.Link.Faults)
	h.link.BlockedPorts = slices.Clone(cfg.Link.BlockedPorts)
	h.up = n.newHop(h, "uplink", true, h.link.Up)
	h.down = n.newHop(h, "downlink", false, h.link.Down)
	for i, a := range h.addrs {
		h.addrs[i] = a.Unmap()
		n.byAddr[h.addrs[i]] = h
	}
	n.byName[cfg.Name] = h
	n.hosts = append(n.hosts, h)
	n.scheduleFaults(h)
	return h, nil
}

func (n *Network) newHop(h *Host, which string, up bool, d Direction) *hop {
	name := h.name + " " + which
	return &hop{
		name:   name,
		host:   h,
		up:     up,
		dir:    d,
		link:   &h.link,
		jitter: seed.Rand(n.cfg.Seed, name+" jitter"),
		loss:   lossState{model: d.Loss, rng: seed.Rand(n.cfg.Seed, name+" loss")},
	}
}

func (l *Link) validate() error {
	for _, d := range []Direction{l.Up, l.Down} {
		if err := d.Loss.Validate(); err != nil {
			return err
		}
		if d.Delay < 0 || d.Jitter < 0 || d.Rate < 0 || d.Queue < 0 {
			return fmt.Errorf("negative delay, jitter, rate or queue")
		}
	}
	if l.PathMTU != 0 {
		if err := CheckMTU(l.PathMTU); err != nil {
			return fmt.Errorf("path %w", err)
		}
	}
	if l.MSSClamp < 0 || l.NATIdleTimeout < 0 {
		return fmt.Errorf("negative MSS clamp or NAT timeout")
	}
	for _, f := range l.Faults {
		if err := f.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// scheduleFaults puts a host's link faults on the timeline: the trace marks
// when each starts and ends, and resets happen.
func (n *Network) scheduleFaults(h *Host) {
	key := flowID(netip.AddrPortFrom(h.addrs[0], 0), netip.AddrPort{})
	gen := n.linkChanges
	for i, f := range h.link.Faults {
		k := eventKey{flow: key, n: uint64(gen)<<32 | uint64(i)}
		at := n.start.Add(f.At)
		// Events of a link since replaced by SetLink do nothing.
		current := func() bool { return h.linkGen == gen }
		switch f.Kind {
		case FaultDown, FaultStall, FaultNoSignal:
			begin, end := EventLinkDown, EventLinkUp
			if f.Kind == FaultStall {
				begin, end = EventStalled, EventUnstalled
			}
			n.schedule(at, k, func() {
				if current() {
					n.record(h, TraceEvent{Kind: begin, Fault: f})
				}
			})
			if f.For > 0 {
				n.schedule(at.Add(f.For), k, func() {
					if current() {
						n.record(h, TraceEvent{Kind: end, Fault: f})
					}
				})
			}
		case FaultReset:
			n.schedule(at, k, func() {
				if !current() {
					return
				}
				n.record(h, TraceEvent{Kind: EventNetworkReset})
				for _, c := range h.openConns() {
					n.resetBoth(c, TraceEvent{Reason: ReasonNetworkReset})
				}
			})
		}
	}
}

// openConns returns the host's connections in a stable order.
func (h *Host) openConns() []*tcpConn {
	out := make([]*tcpConn, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *tcpConn) int {
		if c := a.local.Compare(b.local); c != 0 {
			return c
		}
		return a.remote.Compare(b.remote)
	})
	return out
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
