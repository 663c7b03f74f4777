// Package benchdns answers DNS on real sockets, UDP and TCP (RFC 1035
// section 4.2; RFC 7766 for TCP), from a scenario's records and faults:
// the same answers netem's DNS service gives a simulated device
// (netem.DNSService.Respond), in real time, for a physical one on the
// bench.
package benchdns

import (
	"encoding/binary"
	"errors"
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
	// TCPTimeout bounds each TCP query (default 10 s).
	TCPTimeout time.Duration

	mu     sync.Mutex
	closed bool
	conns  []io.Closer
	wg     sync.WaitGroup
	done   chan struct{}
	once   sync.Once
}

func (s *Server) init() { s.once.Do(func() { s.done = make(chan struct{}) }) }

func (s *Server) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.conns = append(s.conns, c)
	return true
}

// ServeUDP answers datagrams on pc until Close.
func (s *Server) ServeUDP(pc net.PacketConn) error {
	s.init()
	if !s.track(pc) {
		return net.ErrClosed
	}
	buf := make([]byte, 65535)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if s.isClosed() {
				return nil
			}
			return err
		}
		reply, delay, err := s.Service.Respond(buf[:n])
		s.report(addr, len(reply), err)
		if reply == nil {
			continue
		}
		if len(reply) > 512 {
			reply = truncate(reply)
		}
		s.later(delay, func() { pc.WriteTo(reply, addr) })
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

// later runs f after delay (a "delay" fault), unless the server closes.
func (s *Server) later(delay time.Duration, f func()) {
	if delay <= 0 {
		f()
		return
	}
	s.wg.Go(func() {
		select {
		case <-time.After(delay):
			f()
		case <-s.done:
		}
	})
}

// ServeTCP answers queries over TCP connections from l until Close.
func (s *Server) ServeTCP(l net.Listener) error {
	s.init()
	if !s.track(l) {
		return net.ErrClosed
	}
	for {
		c, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		if !s.track(c) {
			return nil
		}
		s.wg.Go(func() { s.serveConn(c) })
	}
}

func (s *Server) serveConn(c net.Conn) {
	defer c.Close()
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
			select {
			case <-time.After(delay):
			case <-s.done:
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
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}
