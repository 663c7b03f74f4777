package netem

import (
	"fmt"
	"time"
)

// Kernel is what a host's TCP does where Linux versions and settings
// differ. The zero value is a Linux 6.5 or later with its defaults: SYN
// timeouts linear for the first four retransmissions, six SYN retries,
// no MTU probing, CUBIC.
type Kernel struct {
	// ExponentialSYN is the SYN schedule of Linux before 6.5: every
	// retransmission waits twice as long as the one before (1, 2, 4 ... s).
	// Linux 6.5 and later (tcp_syn_linear_timeouts = 4) wait 1 s for the
	// first five, then double.
	ExponentialSYN bool
	// SYNRetries is tcp_syn_retries (6 when 0). As in Linux it is a time
	// budget, not a count: the dial fails once the SYNs have waited as long
	// as that many doubling timeouts from 1 s would (127 s for 6), so a
	// linear schedule sends more SYNs in the same time.
	SYNRetries int
	// MTUProbing is tcp_mtu_probing = 1: after the retransmissions of
	// tcp_retries1 (3 s of them) the connection takes the path for a black
	// hole and falls back to an MSS of 1024 (tcp_base_mss).
	MTUProbing bool
	// Congestion is the congestion control (CUBIC when zero).
	Congestion Congestion
}

// Congestion is a congestion control algorithm.
type Congestion uint8

const (
	// Cubic is RFC 9438 with HyStart, Linux's default since 2.6.19.
	Cubic Congestion = iota
	// Reno is RFC 5681's, with NewReno's recovery (RFC 6582).
	Reno
)

func (c Congestion) String() string {
	if c == Reno {
		return "reno"
	}
	return "cubic"
}

const (
	defaultSYNRetries = 6
	synLinearTimeouts = 4 // tcp_syn_linear_timeouts, Linux >= 6.5
	// tcp_retries1: after this many doubling timeouts' worth of time
	// (from 200 ms: 3 s) a connection suspects the path (MTU probing).
	retries1 = 3
	baseMSS  = 1024 // tcp_base_mss: where MTU probing starts
)

func (k Kernel) synRetries() int {
	if k.SYNRetries > 0 {
		return k.SYNRetries
	}
	return defaultSYNRetries
}

// synBudget is how long a dial keeps sending SYNs: the sum of SYNRetries+1
// doubling timeouts from 1 s (Linux's retransmits_timed_out).
func (k Kernel) synBudget() time.Duration {
	return time.Duration((2<<k.synRetries())-1) * initialRTO
}

// synTimeout is the wait after SYN number i (0 is the first).
func (k Kernel) synTimeout(i int) time.Duration {
	if !k.ExponentialSYN {
		if i <= synLinearTimeouts {
			return initialRTO
		}
		i -= synLinearTimeouts
	}
	return min(initialRTO<<i, maxRTO)
}

func (k Kernel) String() string {
	s := "Linux >= 6.5 (linear SYN timeouts)"
	if k.ExponentialSYN {
		s = "Linux < 6.5 (doubling SYN timeouts)"
	}
	if k.SYNRetries > 0 {
		s += fmt.Sprintf(", %d SYN retries", k.SYNRetries)
	}
	if k.MTUProbing {
		s += ", MTU probing"
	}
	return s + ", " + k.Congestion.String()
}
