package netem

import (
	"fmt"
	"slices"
	"time"
)

// TraceEvent is one thing the network did that explains a delay or a failure:
// a connection attempt, a refusal, a reset. Events are recorded by the event
// loop only, so their order is deterministic.
type TraceEvent struct {
	At   time.Time
	Host string // the host where it was observed
	Text string
}

func (e TraceEvent) String() string {
	return fmt.Sprintf("%s %s %s", e.At.Format("15:04:05.000000000"), e.Host, e.Text)
}

// tracef records an event at the current time. The caller holds n.mu.
func (n *Network) tracef(host *Host, format string, args ...any) {
	n.trace = append(n.trace, TraceEvent{At: time.Now(), Host: host.name, Text: fmt.Sprintf(format, args...)})
}

// Trace returns what the network recorded so far, in order.
func (n *Network) Trace() []TraceEvent {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.trace)
}
