package fidelity

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The delay line is a TUN device in the router's namespace: policy routing
// sends every packet of one direction into it, and this program writes
// each back after the one-way delay, when the kernel forwards it on. A tbf
// qdisc on the TUN device itself is that direction's bottleneck: its rate,
// its buffer (tail drop), counted in IP bytes as netem counts them, with
// the propagation delay after it, as in netem's hop.
//
// Why a TUN forwarder and not NFQUEUE: it needs nothing beyond /dev/net/tun
// and golang.org/x/sys/unix (NFQUEUE would need a netlink library or cgo's
// libnetfilter_queue), and it puts the rate limit and the deliberate drops
// exactly where netem has them: a packet dropped on purpose has already
// taken its time on the bottleneck, as netem's lost packets do.

// packetLog is what the delay line saw of one direction's TCP packets.
type packetLog struct {
	mu      sync.Mutex
	isn     map[uint32]uint32 // by the flow's source port
	seen    map[uint64]bool   // offsets already sent once
	events  []packetEvent
	lose    map[int64]bool
	armed   bool // lose segments from now on
	dropped int
}

type packetEvent struct {
	at      time.Time
	syn     bool
	offset  int64 // of the first payload byte, from the SYN
	payload int
	dport   uint16
}

type delayLine struct {
	file  *os.File
	delay time.Duration
	log   *packetLog
	queue chan timed
	done  sync.WaitGroup
}

type timed struct {
	due time.Time
	pkt []byte
}

// openTUN creates TUN device name in the calling thread's namespace.
func openTUN(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	var req [unix.IFNAMSIZ + 64]byte
	copy(req[:], name)
	binary.NativeEndian.PutUint16(req[unix.IFNAMSIZ:], unix.IFF_TUN|unix.IFF_NO_PI)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(&req[0]))); errno != 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF %s: %w", name, errno)
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun:"+name), nil
}

func newDelayLine(f *os.File, delay time.Duration, lose []int64) *delayLine {
	d := &delayLine{
		file:  f,
		delay: delay,
		log:   &packetLog{isn: map[uint32]uint32{}, seen: map[uint64]bool{}, lose: map[int64]bool{}},
		queue: make(chan timed, 1<<16),
	}
	for _, o := range lose {
		d.log.lose[o] = true
	}
	d.done.Add(2)
	go d.read()
	go d.write()
	return d
}

func (d *delayLine) read() {
	defer d.done.Done()
	defer close(d.queue)
	buf := make([]byte, 65536)
	for {
		n, err := d.file.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		pkt := append([]byte(nil), buf[:n]...)
		if d.log.observe(now, pkt) {
			continue
		}
		d.queue <- timed{due: now.Add(d.delay), pkt: pkt}
	}
}

func (d *delayLine) write() {
	defer d.done.Done()
	for t := range d.queue {
		if wait := time.Until(t.due); wait > 0 {
			time.Sleep(wait)
		}
		d.file.Write(t.pkt)
	}
}

func (d *delayLine) close() {
	d.file.Close()
	d.done.Wait()
}

// observe logs an IPv4 TCP packet and reports whether to drop it: a data
// segment whose offset is to be lost, on its first transmission.
func (l *packetLog) observe(at time.Time, p []byte) (drop bool) {
	if len(p) < 20 || p[0]>>4 != 4 || p[9] != unix.IPPROTO_TCP {
		return false
	}
	ihl := int(p[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(p[2:4]))
	if len(p) < ihl+20 || total > len(p) {
		return false
	}
	t := p[ihl:total]
	sport := binary.BigEndian.Uint16(t[0:2])
	dport := binary.BigEndian.Uint16(t[2:4])
	seq := binary.BigEndian.Uint32(t[4:8])
	off := int(t[12]>>4) * 4
	flags := t[13]
	payload := len(t) - off
	l.mu.Lock()
	defer l.mu.Unlock()
	if flags&0x02 != 0 { // SYN
		l.isn[uint32(sport)] = seq
		l.events = append(l.events, packetEvent{at: at, syn: true, dport: dport})
		return false
	}
	isn, ok := l.isn[uint32(sport)]
	if !ok || payload == 0 {
		return false
	}
	offset := int64(seq - isn - 1)
	l.events = append(l.events, packetEvent{at: at, offset: offset, payload: payload, dport: dport})
	key := uint64(sport)<<48 | uint64(offset)
	first := !l.seen[key]
	l.seen[key] = true
	if first && l.armed && l.lose[offset] {
		l.dropped++
		return true
	}
	return false
}

// arm makes the log lose its segments on connections from now on.
func (l *packetLog) arm() {
	l.mu.Lock()
	l.armed = true
	l.mu.Unlock()
}

// sent returns the times segments starting at offset were sent, and the
// SYNs'.
func (l *packetLog) sent(offset int64) (data, syns []time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		switch {
		case e.syn:
			syns = append(syns, e.at)
		case e.offset == offset:
			data = append(data, e.at)
		}
	}
	return data, syns
}

// firstCut returns when a segment starting at offset was first sent with
// at most max bytes of payload.
func (l *packetLog) firstCut(offset int64, max int) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if !e.syn && e.offset == offset && e.payload <= max {
			return e.at, true
		}
	}
	return time.Time{}, false
}
