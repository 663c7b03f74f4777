package netem

import (
	"fmt"
	"math/rand/v2"
)

// Loss is random packet loss on one direction of a link, as a
// Gilbert-Elliott channel: a good state that loses packets at Rate, and a
// bad state (a burst: a handover, a fade) entered with probability
// EnterBurst before each packet and left with probability ExitBurst, that
// loses packets at BurstRate. With EnterBurst zero it is plain Bernoulli
// loss at Rate. Mean burst length is 1/ExitBurst packets.
type Loss struct {
	Rate       float64
	EnterBurst float64
	ExitBurst  float64
	BurstRate  float64
}

// IsZero reports whether the model never loses anything.
func (l Loss) IsZero() bool {
	return l.Rate == 0 && (l.EnterBurst == 0 || l.BurstRate == 0)
}

func (l Loss) String() string {
	if l.IsZero() {
		return "none"
	}
	s := fmt.Sprintf("%g%%", l.Rate*100)
	if l.EnterBurst > 0 {
		s += fmt.Sprintf(", bursts (enter %g, exit %g, %g%% lost in a burst)", l.EnterBurst, l.ExitBurst, l.BurstRate*100)
	}
	return s
}

// Validate checks that every probability is within 0..1.
func (l Loss) Validate() error {
	for _, p := range []float64{l.Rate, l.EnterBurst, l.ExitBurst, l.BurstRate} {
		if p < 0 || p > 1 || p != p {
			return fmt.Errorf("netem: loss probability %v is outside 0..1", p)
		}
	}
	return nil
}

// lossState is the channel's state on one hop, with its own random stream.
type lossState struct {
	model Loss
	rng   *rand.Rand
	burst bool
}

// drop decides the fate of the next packet: lost or not, and whether in a
// burst.
func (s *lossState) drop() (lost, inBurst bool) {
	if s.model.IsZero() {
		return false, false
	}
	if s.burst {
		if s.rng.Float64() < s.model.ExitBurst {
			s.burst = false
		}
	} else if s.model.EnterBurst > 0 && s.rng.Float64() < s.model.EnterBurst {
		s.burst = true
	}
	p := s.model.Rate
	if s.burst {
		p = s.model.BurstRate
	}
	return p > 0 && s.rng.Float64() < p, s.burst
}
