// Package benchdns answers DNS on real sockets, UDP and TCP (RFC 1035
// section 4.2; RFC 7766 for TCP), from a scenario's records and faults:
// the same answers netem's DNS service gives a simulated device
// (netem.DNSService.Respond), in real time, for a physical one on the
// bench.
package benchdns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"alertsim/netem"
)

// Server answers queries from Service on the sockets it is given.
type Server struct {
	Service netem.DNSService
	// OnQuery, if set, is told of each query and what became of it, for
	// the log: the question's bytes are not parsed here twice, so it gets
	// the client's address, the reply's length (0: none) and any error.
	OnQuery func(client net.Addr, replied int, err error)
	// OnError, if set, is told of each failed accept or read the server
	// survives, with the back-off it waits before trying again.
	OnError func(err error, retry time.Duration)
	// TCPTimeout bounds each TCP query (default 10 s).
	TCPTimeout time.Duration
	// MaxTCPConns bounds the TCP connections served at once (default
	// 64): one past it is closed at once, as a busy server may (RFC 7766
	// section 6.2.2), so that a flood of connections costs no memory.
	MaxTCPConns int
	// MaxDelayed bounds the UDP answers a delay fault holds back at once
	// (default 256): past it a query is dropped unanswered, as a loaded
	// server drops it, and the client asks again.
	MaxDelayed int

	mu      sync.Mutex
	closed  bool
	sockets []io.Closer           // the listeners and packet conns
	conns   map[net.Conn]struct{} // the TCP connections being served
	delayed int                   // UDP answers waiting for their delay
	wg      sync.WaitGroup
	done    chan struct{}
	once    sync.Once
}

// ErrTooManyDelayed is reported (OnQuery) for a query dropped because
// MaxDelayed answers are waiting already.
var ErrTooManyDelayed = errors.New("benchdns: too many delayed answers waiting; query dropped")

// ErrTooManyConns is reported (OnError, with no retry) for a TCP
// connection closed because MaxTCPConns are being served.
var ErrTooManyConns = errors.New("benchdns: too many TCP connections; closed")

func (s *Server) init() {
	s.once.Do(func() {
		s.done = make(chan struct{})
		s.conns = map[net.Conn]struct{}{}
	})
}

// track keeps a socket to close at Close.
func (s *Server) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.sockets = append(s.sockets, c)
	return true
}

// ServeUDP answers datagrams on pc until Close, and then returns nil; a
// failed read is reported (OnError) and the server reads again after a
// back-off.
func (s *Server) ServeUDP(pc net.PacketConn) error {
	s.init()
	if !s.track(pc) {
		return net.ErrClosed
	}
	buf := make([]byte, 65535)
	var backoff time.Duration
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if !s.wait(&backoff, err) {
				return nil
			}
			continue
		}
		backoff = 0
		reply, delay, err := s.Service.Respond(buf[:n])
		if reply != nil && len(reply) > 512 {
			reply = truncate(reply)
		}
		if reply != nil && delay > 0 && !s.hold() {
			reply, err = nil, ErrTooManyDelayed
		}
		s.report(addr, len(reply), err)
		if reply == nil {
			continue
		}
		if delay <= 0 {
			pc.WriteTo(reply, addr)
			continue
		}
		go func() {
			defer s.release()
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-t.C:
				pc.WriteTo(reply, addr)
			case <-s.done:
			}
		}()
	}
}

// hold counts a delayed answer in, unless MaxDelayed are waiting or the
// server is closed. Under the lock, so that no goroutine is added once
// Close waits for them.
func (s *Server) hold() bool {
	limit := s.MaxDelayed
	if limit <= 0 {
		limit = 256
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.delayed >= limit {
		return false
	}
	s.delayed++
	s.wg.Add(1)
	return true
}

func (s *Server) release() {
	s.mu.Lock()
	s.delayed--
	s.mu.Unlock()
	s.wg.Done()
}

// wait reports err and waits the next back-off, from 5 ms doubling to
// 1 s, as fakesmtp's Serve and net/http do for accept errors (out of file
// descriptors); false if the server closed meanwhile.
func (s *Server) wait(backoff *time.Duration, err error) bool {
	*backoff = min(max(2**backoff, 5*time.Millisecond), time.Second)
	if s.OnError != nil {
		s.OnError(err, *backoff)
	}
	t := time.NewTimer(*backoff)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

// truncate cuts a reply to its header with TC set, so that the client
// asks again over TCP (RFC 1035 section 4.2.1).
func truncate(reply []byte) []byte {
	out := append([]byte(nil), reply[:12]...)
	out[2] |= 0x02
	binary.BigEndian.PutUint16(out[4:], 0)
	binary.BigEndian.PutUint16(out[6:], 0)
	binary.BigEndian.PutUint16(out[8:], 0)
	binary.BigEndian.PutUint16(out[10:], 0)
	return out
}

// ServeTCP answers queries over TCP connections from l until Close, and
// then returns nil. A failed accept is reported (OnError) and the server
// accepts again after a back-off; it returns early only if l is closed
// under it, with net.ErrClosed.
func (s *Server) ServeTCP(l net.Listener) error {
	s.init()
	if !s.track(l) {
		return net.ErrClosed
	}
	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			if !s.wait(&backoff, err) {
				return nil
			}
			continue
		}
		backoff = 0
		if !s.open(c) {
			continue
		}
		go func() {
			defer s.finish(c)
			s.serveConn(c)
		}()
	}
}

// open counts a TCP connection in, or closes it: past MaxTCPConns, or
// after Close. Under the lock, as hold.
func (s *Server) open(c net.Conn) bool {
	limit := s.MaxTCPConns
	if limit <= 0 {
		limit = 64
	}
	s.mu.Lock()
	full := len(s.conns) >= limit
	ok := !s.closed && !full
	if ok {
		s.conns[c] = struct{}{}
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if !ok {
		if full && s.OnError != nil {
			s.OnError(fmt.Errorf("%w (from %v)", ErrTooManyConns, c.RemoteAddr()), 0)
		}
		c.Close()
	}
	return ok
}

// finish lets a served connection go.
func (s *Server) finish(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// tcpConns is how many TCP connections are being served.
func (s *Server) tcpConns() int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) serveConn(c net.Conn) {
	timeout := s.TCPTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	for {
		c.SetDeadline(time.Now().Add(timeout))
		var n uint16
		if err := binary.Read(c, binary.BigEndian, &n); err != nil {
			return
		}
		q := make([]byte, n)
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		reply, delay, err := s.Service.Respond(q)
		s.report(c.RemoteAddr(), len(reply), err)
		if reply == nil {
			// No answer: the client waits for its own timeout.
			continue
		}
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return
			}
		}
		out := binary.BigEndian.AppendUint16(nil, uint16(len(reply)))
		if _, err := c.Write(append(out, reply...)); err != nil {
			return
		}
	}
}

func (s *Server) report(addr net.Addr, n int, err error) {
	if s.OnQuery != nil {
		s.OnQuery(addr, n, err)
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close stops serving and waits for every answer in flight.
func (s *Server) Close() error {
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for _, c := range s.sockets {
		c.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}
