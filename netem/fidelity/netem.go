package fidelity

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"alertsim/netem"
)

// RunNetem runs experiment e on netem, in virtual time, with the same
// parameters as the kernel rig: the device's access link carries the
// rates, buffers, delays, path MTU and filtered port; the server's link
// is ideal.
func RunNetem(t *testing.T, e Experiment) Outcome {
	var out Outcome
	switch e.Kind {
	case Loss:
		var base, lossy time.Duration
		var err error
		plain := e
		plain.Lose = nil
		synctest.Test(t, func(t *testing.T) { base, _, err = netemUpload(plain) })
		if err == nil {
			synctest.Test(t, func(t *testing.T) { lossy, _, err = netemUpload(e) })
		}
		if err != nil {
			return Outcome{Err: err}
		}
		return Outcome{Figures: []float64{seconds(lossy - base)}}
	}
	synctest.Test(t, func(t *testing.T) {
		figs, err := netemMeasure(e)
		out = Outcome{Figures: figs, Err: err}
	})
	return out
}

func world(e Experiment) (*netem.Network, *netem.Host, *netem.Host, error) {
	n := netem.New(netem.Config{Seed: 1})
	mtu := e.DeviceMTU
	if mtu == 0 {
		mtu = 1500
	}
	pmtud := netem.PMTUDBlackhole
	if e.ICMP {
		pmtud = netem.PMTUDWorking
	}
	link := netem.Link{
		Up:           netem.Direction{Delay: e.RTT / 2, Rate: e.Up, Queue: e.Buffer, Lose: e.Lose},
		Down:         netem.Direction{Delay: e.RTT / 2, Rate: e.Down, Queue: e.Buffer},
		PathMTU:      e.PathMTU,
		PMTUD:        pmtud,
		BlockedPorts: []uint16{filteredPort},
	}
	dev, err := n.AddHost(netem.HostConfig{Name: "device", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, MTU: mtu, Link: link, Kernel: e.Kernel})
	if err != nil {
		n.Close()
		return nil, nil, nil, err
	}
	srv, err := n.AddHost(netem.HostConfig{Name: "server", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.25")}, Kernel: e.Kernel})
	if err != nil {
		n.Close()
		return nil, nil, nil, err
	}
	return n, dev, srv, nil
}

var (
	serverAddr   = fmt.Sprintf("203.0.113.25:%d", dataPort)
	filteredAddr = fmt.Sprintf("203.0.113.25:%d", filteredPort)
)

func netemMeasure(e Experiment) ([]float64, error) {
	switch e.Kind {
	case Bulk:
		took, _, err := netemUpload(e)
		return []float64{seconds(took)}, err
	case Load:
		took, st, err := netemUpload(e)
		if err != nil {
			return nil, err
		}
		return []float64{seconds(st.srtt()), seconds(took)}, nil
	}
	n, dev, srv, err := world(e)
	if err != nil {
		return nil, err
	}
	defer n.Close()
	start := time.Now()
	switch e.Kind {
	case Blackhole, Handshake, Probing:
		l, err := srv.Listen("tcp", serverAddr)
		if err != nil {
			return nil, err
		}
		defer l.Close()
		go serveTLS(l)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c, err := dev.Dial(ctx, "tcp", serverAddr)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if e.Kind == Handshake {
			if err := tls.Client(c, clientTLS()).HandshakeContext(ctx); err != nil {
				return nil, fmt.Errorf("handshake: %w", err)
			}
			return []float64{seconds(time.Since(start))}, nil
		}
		go tls.Client(c, clientTLS()).HandshakeContext(ctx)
		for ctx.Err() == nil {
			if e.Kind == Probing {
				for _, ev := range n.Trace() {
					if ev.Kind == netem.EventRetransmit && ev.Packet.Seq == 0 && ev.Host == "device" && ev.Packet.Payload <= baseMSS {
						return []float64{seconds(ev.At.Sub(start))}, nil
					}
				}
				time.Sleep(100 * time.Millisecond)
				continue
			}
			var out []float64
			for _, ev := range n.Trace() {
				if ev.Kind == netem.EventRetransmit && ev.Packet.Seq == 0 && ev.Host == "device" {
					out = append(out, seconds(ev.At.Sub(start)))
				}
			}
			if len(out) >= e.Retransmissions {
				return out[:e.Retransmissions], nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return nil, errors.New("too few retransmissions")
	case SYNs:
		c, err := dev.Dial(context.Background(), "tcp", filteredAddr)
		failed := time.Since(start)
		if err == nil {
			c.Close()
			return nil, errors.New("the dial to the filtered port succeeded")
		}
		var out []float64
		for _, ev := range n.Trace() {
			if ev.Kind == netem.EventSYNRetransmit {
				out = append(out, seconds(ev.At.Sub(start)))
			}
		}
		return append(out, seconds(failed)), nil
	}
	return nil, fmt.Errorf("unknown kind %d", e.Kind)
}

func netemUpload(e Experiment) (time.Duration, *loadStats, error) {
	n, dev, srv, err := world(e)
	if err != nil {
		return 0, nil, err
	}
	defer n.Close()
	l, err := srv.Listen("tcp", serverAddr)
	if err != nil {
		return 0, nil, err
	}
	defer l.Close()
	dial := func() (net.Conn, error) { return dev.Dial(context.Background(), "tcp", serverAddr) }
	return timeUpload(l, dial, e.Size, func(c net.Conn) (time.Duration, int, bool) {
		info, ok := netem.ConnInfo(c)
		return info.SRTT, info.Retransmits, ok
	})
}

func serveTLSConn(c net.Conn) {
	defer c.Close()
	tc := tls.Server(c, serverTLS())
	if tc.Handshake() == nil {
		io.Copy(io.Discard, tc)
	}
}

func serveTLS(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go serveTLSConn(c)
	}
}
