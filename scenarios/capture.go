package scenarios

import (
	"bytes"
	"errors"
	"hash/fnv"
	"io"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"alertsim/capture"
	"alertsim/netem"
)

// A run played with Options.Capture keeps every packet the network
// carried (netem's Tap) and the TLS secrets of every session (the servers'
// crypto/tls KeyLogWriter), and Result.WriteCapture writes them as pcapng:
// one interface per host's link (the device's first), drops marked with
// why, the secrets embedded, so Wireshark shows the SMTP inside TLS.

// recording is what a captured run keeps.
type recording struct {
	interfaces []string // host names, in the order of the file's interfaces
	// offset turns the bubble's time into the scenario's (its start:), so
	// that the packets carry the dates the record and the messages do.
	offset  time.Duration
	packets []netem.Crossing
	keyLog  lockedBuffer
}

// lockedBuffer is a key log written by every server session.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the key log sorted: sessions at the same instant write in
// the order the scheduler ran them, and Wireshark reads the secrets in any
// order.
func (b *lockedBuffer) lines() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	ls := bytes.SplitAfter(b.buf.Bytes(), []byte("\n"))
	slices.SortFunc(ls, bytes.Compare)
	return bytes.Join(ls, nil)
}

// ErrNotCaptured is WriteCapture's error for a run played without
// Options.Capture.
var ErrNotCaptured = errors.New("scenarios: the run was played without Options.Capture")

// WriteCapture writes the run's packets to w as pcapng. The file holds the
// scenario's credentials: the AUTH exchanges, which its TLS secrets
// decrypt.
func (r *Result) WriteCapture(w io.Writer) error {
	rec := r.recording
	if rec == nil {
		return ErrNotCaptured
	}
	ifaces := make([]capture.Interface, len(rec.interfaces))
	index := map[string]int{}
	for i, name := range rec.interfaces {
		ifaces[i] = capture.Interface{Name: name, Description: "the access link of " + name}
		index[name] = i
	}
	cw, err := capture.NewWriter(w, ifaces, rec.keyLog.lines())
	if err != nil {
		return err
	}
	for _, c := range rec.packets {
		c.At = c.At.Add(rec.offset)
		if err := cw.Write(wirePacket(c, index[c.Host])); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// windowScale is the shift both ends of every connection announce: netem
// windows reach 4 MiB, and a shift of 7 carries up to 8 MiB.
const windowScale = 7

// wirePacket puts a netem crossing into the form it has on the wire.
func wirePacket(c netem.Crossing, iface int) capture.Packet {
	p := capture.Packet{At: c.At, Interface: iface, Src: c.Src, Dst: c.Dst, UDP: c.UDP, Payload: c.Payload}
	if c.Dropped != nil {
		p.Dropped = "on " + c.Dropped.Hop + ": " + c.Dropped.Why()
	}
	if c.UDP {
		return p
	}
	// Each side's stream starts at its initial sequence number, derived
	// from the flow so that the same run gives the same file; the SYN
	// takes one number, data starts after it.
	own, peer := isn(c.Src, c.Dst), isn(c.Dst, c.Src)
	t := capture.TCP{SYN: c.SYN, ACK: c.ACK, FIN: c.FIN, RST: c.RST, PSH: len(c.Payload) > 0}
	t.Seq = own + 1 + uint32(c.Seq)
	if c.SYN {
		t.Seq = own
		t.MSS = uint16(c.MSS)
		scale := uint8(windowScale)
		t.WindowScale, t.SACKPermitted = &scale, true
		t.Window = uint16(min(c.Window, 65535))
	} else {
		t.Window = uint16(min(c.Window>>windowScale, 65535))
	}
	if c.ACK {
		t.Ack = peer + 1 + uint32(c.Ack)
	}
	for _, b := range c.SACK {
		t.SACK = append(t.SACK, capture.Block{Left: peer + 1 + uint32(b[0]), Right: peer + 1 + uint32(b[1])})
	}
	p.TCP = t
	return p
}

// writeCaptureFile writes the run's capture to path, readable by its owner
// only: it holds credentials.
func writeCaptureFile(res *Result, path string) error {
	var buf bytes.Buffer
	if err := res.WriteCapture(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o600)
}

// isn is the initial sequence number of the direction from src to dst.
func isn(src, dst netip.AddrPort) uint32 {
	h := fnv.New32a()
	a, _ := src.MarshalBinary()
	b, _ := dst.MarshalBinary()
	h.Write(a)
	h.Write(b)
	return h.Sum32()
}
