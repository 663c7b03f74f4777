package netem

import "time"

// Linux's TCP timers (retransmission, SYN, delayed acknowledgement, RACK's
// reorder timer) are armed in whole jiffies on the kernel's timer wheel,
// which never fires early: it rounds each expiry up to the next boundary
// of its level's granularity, 1 jiffy for timers due within 63 jiffies,
// 8 within 504, 64 within 4032, 512 within 32256 and 4096 beyond
// (kernel/time/timer.c, calc_index). At HZ=250 a 1 s SYN timer fires
// after 1.024 s and a 3.3 s retransmission timeout up to 256 ms late,
// which make fidelity measures. netem counts jiffies from the start of the
// network, so the rounding is the same on every run.

// timerAt returns when a timer armed now for wait fires.
func (n *Network) timerAt(now time.Time, wait time.Duration) time.Time {
	return wheelExpiry(n.start, now, wait)
}

// wheelExpiry is when a timer armed at now for wait fires on a wheel
// whose jiffies count from start.
func wheelExpiry(start, now time.Time, wait time.Duration) time.Time {
	j0 := int64(now.Sub(start) / jiffy)
	exp := j0 + int64((wait+jiffy-1)/jiffy)
	var shift uint
	for delta := exp - j0; shift < 12 && delta >= 63<<shift; shift += 3 {
	}
	bucket := ((exp >> shift) + 1) << shift
	return start.Add(time.Duration(bucket) * jiffy)
}

// timerMin is TCP_TIMEOUT_MIN, the two jiffies RACK's reorder timer adds.
const timerMin = 2 * jiffy
