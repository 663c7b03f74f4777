package fidelity

import (
	"io"
	"net"
	"time"
)

// sampleEvery is how often both sides read the sender's round trip and
// retransmissions during an upload (TCP_INFO on the kernel, netem.ConnInfo).
const sampleEvery = 20 * time.Millisecond

// loadStats keeps the largest smoothed round trip a sender reported while
// the bottleneck buffer filled, that is before its first retransmission:
// the round trip under load, which the buffer's size and the rate decide.
// (Means over the whole upload depend on where in CUBIC's cycles the
// upload ends, and vary by some 6% from one kernel run to the next; the
// kernel's peak RTO varies by 12%, 1.47 to 1.66 s, so it is not
// measured.)
type loadStats struct {
	peakSRTT    time.Duration
	retransmits bool
}

func (s *loadStats) add(srtt time.Duration, retransmits int) {
	if retransmits > 0 {
		s.retransmits = true
	}
	if s.retransmits {
		return
	}
	s.peakSRTT = max(s.peakSRTT, srtt)
}

func (s *loadStats) srtt() time.Duration { return s.peakSRTT }

// timeUpload sends size bytes over the connection dial makes to l, and
// returns the time from the start of the dial to the server's reading the
// last byte. Unless read is nil, it reads the sender's smoothed round trip
// and retransmissions every sampleEvery until then, for the stats.
func timeUpload(l net.Listener, dial func() (net.Conn, error), size int, read func(net.Conn) (srtt time.Duration, retransmits int, ok bool)) (time.Duration, *loadStats, error) {
	done := make(chan error, 1)
	var last time.Time
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.CopyN(io.Discard, c, int64(size))
		last = time.Now()
		done <- err
	}()
	start := time.Now()
	c, err := dial()
	if err != nil {
		return 0, nil, err
	}
	defer c.Close()
	st := &loadStats{}
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		if read == nil {
			return
		}
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			if srtt, retransmits, ok := read(c); ok {
				st.add(srtt, retransmits)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	if _, err := c.Write(make([]byte, size)); err != nil {
		return 0, nil, err
	}
	err = <-done
	close(stop)
	<-sampled
	return last.Sub(start), st, err
}
