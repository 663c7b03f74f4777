package alert

import "time"

// Clock is a device's own clock: the date and time the device believes it
// is, which is what it writes in a Date header, a subject's time stamp or
// its failure log, what its daily schedules follow and what it checks a
// certificate's validity against. A device whose clock was never set (no
// NTP, the factory date) or that drifted shows the wrong time in all of
// them, and may find every certificate "not yet valid" or "expired".
//
// The clock runs at the pace of the time package (waits, timeouts and
// retries are durations and need no clock); Offset says how far ahead of
// the time package it is. The zero Clock is the time package's, in UTC.
type Clock struct {
	// Offset is added to time.Now.
	Offset time.Duration
	// Location is the zone the device shows its time in; nil is UTC.
	Location *time.Location
}

// Now returns the time the device's clock shows, always in the clock's own
// location, so that what it renders never depends on the zone of the
// machine running it.
func (c Clock) Now() time.Time { return c.Reading(time.Now()) }

// Reading returns what the clock shows at an instant of the time package's
// clock.
func (c Clock) Reading(instant time.Time) time.Time {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	return instant.Add(c.Offset).In(loc)
}

// Until returns how long until the clock shows t.
func (c Clock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// Instant returns the instant of the time package's clock at which this
// clock shows t: what a wait for t is measured in.
func (c Clock) Instant(t time.Time) time.Time { return t.Add(-c.Offset) }
