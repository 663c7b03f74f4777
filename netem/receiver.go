package netem

import "time"

// receiver is the receiving half of a connection: what arrived in order
// and waits to be read, what arrived early (reported back as SACK
// blocks), and when to acknowledge.
//
// Acknowledgements follow Linux: the first segments of a connection are
// acknowledged at once (quick-ack mode, up to 16), then every second
// full-sized segment, and a lone one after the delayed-acknowledgement
// timer (40 ms, TCP_ATO_MIN); a segment out of order, one that fills a
// hole, and a FIN are acknowledged at once; data the application sends
// carries the acknowledgement with it.
type receiver struct {
	buf []byte
	nxt uint64
	ooo []*segment // out of order, by seq
	// held are the ranges of ooo, for SACK.
	held       []oooBlock
	arrivals   uint64
	advertised int
	eof        bool // FIN received in order

	quick    int // acknowledgements still sent at once
	pending  int // bytes received since the last acknowledgement
	delackOn bool
	delackGn uint64
}

const (
	quickAcks = 16                    // TCP_MAX_QUICKACKS
	delAckMin = 40 * time.Millisecond // TCP_ATO_MIN
)

func newReceiver(window int) receiver {
	return receiver{advertised: window, quick: quickAcks}
}

// blocks returns the SACK blocks to send, most recent first.
func (r *receiver) blocks() []sackBlock { return sackBlocks(r.held) }

// acked notes that an acknowledgement has just gone out.
func (r *receiver) acked() {
	r.pending = 0
	if r.delackOn {
		r.delackOn = false
		r.delackGn++
	}
}

// accept adds a segment's data to the receive buffer, in order, keeping
// what arrives early. It reports whether the segment was out of order or
// filled a hole: either is acknowledged at once.
func (r *receiver) accept(s *segment, now time.Time) (urgent bool) {
	if s.seq > r.nxt {
		i := 0
		for i < len(r.ooo) && r.ooo[i].seq < s.seq {
			i++
		}
		if i == len(r.ooo) || r.ooo[i].seq != s.seq || r.ooo[i].end() < s.end() {
			r.ooo = append(r.ooo[:i], append([]*segment{s}, r.ooo[i:]...)...)
		}
		r.arrivals++
		r.held = addOOO(r.held, sackBlock{s.seq, s.end()}, now, r.arrivals)
		return true
	}
	hadGap := len(r.ooo) > 0
	duplicate := s.end() <= r.nxt
	r.take(s)
	for len(r.ooo) > 0 && r.ooo[0].seq <= r.nxt {
		next := r.ooo[0]
		r.ooo = r.ooo[1:]
		r.take(next)
	}
	r.held = trimOOO(r.held, r.nxt)
	return hadGap || duplicate || s.flags&flagFIN != 0
}

// take appends the part of s beyond nxt; s starts at or before it.
func (r *receiver) take(s *segment) {
	if s.end() <= r.nxt {
		return // a duplicate
	}
	if skip := r.nxt - s.seq; skip < uint64(len(s.payload)) {
		r.buf = append(r.buf, s.payload[skip:]...)
		r.nxt += uint64(len(s.payload)) - skip
		r.pending += len(s.payload) - int(skip)
	}
	if s.flags&flagFIN != 0 && !r.eof {
		r.eof = true
		r.nxt++
	}
}

// ackNow decides, for data that just arrived, whether to acknowledge at
// once; if not, the caller arms the delayed-acknowledgement timer.
func (r *receiver) ackNow(urgent bool, mss int) bool {
	switch {
	case urgent:
		return true
	case r.quick > 0:
		r.quick--
		return true
	case r.pending > mss:
		return true
	}
	return false
}

// receivedData acknowledges data that just arrived, now or after the
// delayed-acknowledgement timer. Runs on the event loop.
func (c *tcpConn) receivedData(urgent bool) {
	r := &c.rcv
	if r.ackNow(urgent, c.effMSS()) {
		c.send(c.ackSegment())
		return
	}
	if r.delackOn {
		return
	}
	r.delackOn = true
	r.delackGn++
	gen := r.delackGn
	c.later(c.n.timerAt(time.Now(), delAckMin), func() {
		if r.delackGn == gen && r.delackOn && c.state == stateEstablished {
			c.send(c.ackSegment())
		}
	})
}

func (c *tcpConn) ackSegment() *segment {
	c.rcv.advertised = c.window()
	c.rcv.acked()
	return &segment{flags: flagACK, ack: c.rcv.nxt, wnd: c.rcv.advertised, sack: c.rcv.blocks()}
}

// window is the free space of the receive buffer.
func (c *tcpConn) window() int {
	used := len(c.rcv.buf)
	for _, s := range c.rcv.ooo {
		used += len(s.payload)
	}
	return max(c.n.cfg.ReceiveBuffer-used, 0)
}
