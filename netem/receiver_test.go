package netem

import "testing"

// TestDelayedAcks: the first sixteen segments are acknowledged at once
// (quick-ack), then every second full-sized one; a lone one waits for the
// timer; out of order or a hole filled goes at once.
func TestDelayedAcks(t *testing.T) {
	const mss = 1000
	r := newReceiver(1 << 20)
	for i := range quickAcks {
		r.pending = mss
		if !r.ackNow(false, mss) {
			t.Fatalf("segment %d not acknowledged at once in quick-ack mode", i+1)
		}
		r.acked()
	}
	r.pending = mss
	if r.ackNow(false, mss) {
		t.Error("a lone full segment after quick-ack acknowledged at once")
	}
	r.pending = 2 * mss
	if !r.ackNow(false, mss) {
		t.Error("two full segments not acknowledged at once")
	}
	r.acked()
	r.pending = 10
	if !r.ackNow(true, mss) {
		t.Error("an out-of-order segment not acknowledged at once")
	}
}
