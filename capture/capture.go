// Package capture writes a run's packets as a pcapng file
// (draft-ietf-opsawg-pcapng) that Wireshark and tshark open as they would
// a capture of real hardware: real IPv4, IPv6, TCP (sequence and
// acknowledgement numbers, flags, window, MSS, window scale and SACK
// options) and UDP headers around the real payload, one interface per
// point of capture, timestamps in the run's virtual time.
//
// Two things a real capture lacks are in it. A packet the network dropped
// is written where it was dropped, with a packet comment saying why
// ("dropped on camera uplink: 1500 bytes exceed the path MTU 1428; ICMP
// is blocked"), so a black hole is visible. And the TLS session secrets go
// into a Decryption Secrets Block ahead of the packets (TLS key log
// format, crypto/tls's KeyLogWriter), so Wireshark shows the SMTP inside
// TLS with no extra steps. The file then holds the credentials of every
// AUTH exchange: write one only when asked for, and say so.
//
// The encoding is github.com/gopacket/gopacket's layers and pcapgo (the
// maintained fork of google/gopacket, whose last release predates the
// Decryption Secrets Block); the bytes depend only on the packets given,
// never on the machine, so the same run gives the same file.
package capture

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Packet is one IP packet at one point of capture.
type Packet struct {
	// At is when it crossed the point of capture.
	At time.Time
	// Interface is the index of the point of capture in the writer's
	// interfaces.
	Interface int
	Src, Dst  netip.AddrPort
	// UDP marks a UDP datagram; otherwise it is a TCP segment described
	// by TCP.
	UDP     bool
	TCP     TCP
	Payload []byte
	// Dropped says why the network dropped the packet at this point;
	// empty when it went on.
	Dropped string
}

// TCP is a segment's header as it goes on the wire.
type TCP struct {
	Seq, Ack                uint32
	SYN, ACK, FIN, RST, PSH bool
	// Window is the advertised window, scaled down by the connection's
	// window scale.
	Window uint16
	// The options of a SYN: the MSS (0: none), the window scale (nil:
	// none), and whether SACK is permitted.
	MSS           uint16
	WindowScale   *uint8
	SACKPermitted bool
	// SACK are the blocks an acknowledgement reports held.
	SACK []Block
}

// Block is a SACK block: the bytes [Left, Right) the receiver holds.
type Block struct{ Left, Right uint32 }

// Interface is a point of capture: a host's access link, the servers'
// side.
type Interface struct {
	Name        string
	Description string
}

// Writer writes packets to a pcapng stream.
type Writer struct {
	ng *pcapgo.NgWriter
	n  int
	// reused between packets
	buf gopacket.SerializeBuffer
}

// NewWriter starts a pcapng stream on w with the interfaces, in order,
// and the TLS key log (crypto/tls KeyLogWriter's lines) in a Decryption
// Secrets Block before any packet; keyLog may be empty.
func NewWriter(w io.Writer, interfaces []Interface, keyLog []byte) (*Writer, error) {
	if len(interfaces) == 0 {
		return nil, fmt.Errorf("capture: no interface to capture on")
	}
	// Raw IP carries IPv4 and IPv6 alike; nanoseconds keep virtual time
	// exact. No operating system or hardware in the section header: the
	// file is the same on every machine.
	iface := func(i Interface) pcapgo.NgInterface {
		return pcapgo.NgInterface{Name: i.Name, Description: i.Description, LinkType: layers.LinkTypeRaw, TimestampResolution: 9, SnapLength: 0}
	}
	ng, err := pcapgo.NewNgWriterInterface(w, iface(interfaces[0]), pcapgo.NgWriterOptions{
		SectionInfo: pcapgo.NgSectionInfo{Application: "alertsim"},
	})
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	for _, i := range interfaces[1:] {
		if _, err := ng.AddInterface(iface(i)); err != nil {
			return nil, fmt.Errorf("capture: %w", err)
		}
	}
	if len(keyLog) > 0 {
		if err := ng.WriteDecryptionSecretsBlock(pcapgo.DSB_SECRETS_TYPE_TLS, keyLog); err != nil {
			return nil, fmt.Errorf("capture: writing the TLS secrets: %w", err)
		}
	}
	return &Writer{ng: ng, n: len(interfaces), buf: gopacket.NewSerializeBuffer()}, nil
}

// Write appends a packet.
func (w *Writer) Write(p Packet) error {
	if p.Interface < 0 || p.Interface >= w.n {
		return fmt.Errorf("capture: packet on interface %d of %d", p.Interface, w.n)
	}
	data, err := w.encode(p)
	if err != nil {
		return err
	}
	ci := gopacket.CaptureInfo{Timestamp: p.At, CaptureLength: len(data), Length: len(data), InterfaceIndex: p.Interface}
	var opts pcapgo.NgPacketOptions
	if p.Dropped != "" {
		opts.Comments = []string{"dropped: " + p.Dropped}
	}
	if err := w.ng.WritePacketWithOptions(ci, data, opts); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	return nil
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error { return w.ng.Flush() }

// encode builds the packet's bytes, headers and checksums included.
func (w *Writer) encode(p Packet) ([]byte, error) {
	src, dst := p.Src.Addr().Unmap(), p.Dst.Addr().Unmap()
	if src.Is4() != dst.Is4() {
		return nil, fmt.Errorf("capture: %v to %v mixes IPv4 and IPv6", src, dst)
	}
	var network gopacket.NetworkLayer
	var ip gopacket.SerializableLayer
	proto := layers.IPProtocolTCP
	if p.UDP {
		proto = layers.IPProtocolUDP
	}
	if src.Is4() {
		v4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
		if !p.UDP {
			v4.Flags = layers.IPv4DontFragment // TCP sets DF, which is why a path MTU can drop it
		}
		network, ip = v4, v4
	} else {
		v6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
		network, ip = v6, v6
	}
	var transport gopacket.SerializableLayer
	if p.UDP {
		u := &layers.UDP{SrcPort: layers.UDPPort(p.Src.Port()), DstPort: layers.UDPPort(p.Dst.Port())}
		u.SetNetworkLayerForChecksum(network)
		transport = u
	} else {
		t := p.TCP
		seg := &layers.TCP{
			SrcPort: layers.TCPPort(p.Src.Port()), DstPort: layers.TCPPort(p.Dst.Port()),
			Seq: t.Seq, Ack: t.Ack, SYN: t.SYN, ACK: t.ACK, FIN: t.FIN, RST: t.RST, PSH: t.PSH,
			Window: t.Window, Options: options(t),
		}
		seg.SetNetworkLayerForChecksum(network)
		transport = seg
	}
	if err := w.buf.Clear(); err != nil {
		return nil, err
	}
	err := gopacket.SerializeLayers(w.buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip, transport, gopacket.Payload(p.Payload))
	if err != nil {
		return nil, fmt.Errorf("capture: encoding %v > %v: %w", p.Src, p.Dst, err)
	}
	return w.buf.Bytes(), nil
}

// options returns the TCP options of a segment, padded to a multiple of
// four bytes as the header length requires.
func options(t TCP) []layers.TCPOption {
	var opts []layers.TCPOption
	if t.MSS > 0 {
		opts = append(opts, layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{byte(t.MSS >> 8), byte(t.MSS)}})
	}
	if t.SACKPermitted {
		opts = append(opts, layers.TCPOption{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2})
	}
	if t.WindowScale != nil {
		opts = append(opts, layers.TCPOption{OptionType: layers.TCPOptionKindNop},
			layers.TCPOption{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{*t.WindowScale}})
	}
	if len(t.SACK) > 0 {
		data := make([]byte, 0, 8*len(t.SACK))
		for _, b := range t.SACK {
			data = append(data, byte(b.Left>>24), byte(b.Left>>16), byte(b.Left>>8), byte(b.Left),
				byte(b.Right>>24), byte(b.Right>>16), byte(b.Right>>8), byte(b.Right))
		}
		opts = append(opts, layers.TCPOption{OptionType: layers.TCPOptionKindNop}, layers.TCPOption{OptionType: layers.TCPOptionKindNop},
			layers.TCPOption{OptionType: layers.TCPOptionKindSACK, OptionLength: uint8(2 + len(data)), OptionData: data})
	}
	size := 0
	for _, o := range opts {
		if o.OptionType == layers.TCPOptionKindNop || o.OptionType == layers.TCPOptionKindEndList {
			size++
		} else {
			size += int(o.OptionLength)
		}
	}
	for ; size%4 != 0; size++ {
		opts = append(opts, layers.TCPOption{OptionType: layers.TCPOptionKindNop})
	}
	return opts
}
