package netem

import (
	"container/heap"
	"time"
)

// The network is a discrete-event simulation driven by the time package: one
// goroutine pops events in order of (time, key) and runs them with the
// network's lock held. Inside a synctest bubble the clock is virtual, so a
// 3 MB upload over a 750 kbit/s link takes 32 virtual seconds and almost no
// wall time.
//
// Determinism: events at the same instant run in key order, not in the order
// goroutines happened to schedule them. Everything an application goroutine
// hands to the network (a write, a dial, a close) enters one nanosecond
// later than the call (appDelay). The bubble's clock only moves once every
// goroutine is blocked, so by the time such events run, every goroutine has
// made its calls for that instant and the key order alone decides.

// appDelay is how much later than the call an application's action enters
// the network; see above.
const appDelay = time.Nanosecond

// eventKey orders events that fall on the same instant. flow identifies the
// connection (or datagram socket), n counts within it.
type eventKey struct {
	flow uint64
	n    uint64
}

func (a eventKey) less(b eventKey) bool {
	if a.flow != b.flow {
		return a.flow < b.flow
	}
	return a.n < b.n
}

type event struct {
	at  time.Time
	key eventKey
	seq uint64 // insertion order: last resort, only for equal keys
	fn  func()
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	a, b := q[i], q[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	if a.key != b.key {
		return a.key.less(b.key)
	}
	return a.seq < b.seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}

// schedule queues fn to run at time at. The caller holds n.mu.
func (n *Network) schedule(at time.Time, key eventKey, fn func()) {
	n.seq++
	e := &event{at: at, key: key, seq: n.seq, fn: fn}
	heap.Push(&n.events, e)
	if n.events[0] == e {
		// The loop may be sleeping until a later event.
		select {
		case n.wake <- struct{}{}:
		default:
		}
	}
}

// run is the network's only goroutine.
func (n *Network) run() {
	defer close(n.stopped)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		n.mu.Lock()
		now := time.Now()
		for len(n.events) > 0 && !n.events[0].at.After(now) {
			e := heap.Pop(&n.events).(*event)
			e.fn()
		}
		var due <-chan time.Time
		if len(n.events) > 0 {
			timer.Reset(n.events[0].at.Sub(now))
			due = timer.C
		}
		n.mu.Unlock()

		select {
		case <-due:
		case <-n.wake:
		case <-n.done:
			return
		}
	}
}
