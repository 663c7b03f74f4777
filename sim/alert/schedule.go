package alert

import (
	"context"
	"fmt"
	"time"
)

// Schedule says when a periodic mail goes out (a heartbeat, the router's
// log): every Every, or each day at Daily ("08:00", the device's local
// time). It is the device's own clock that keeps it.
type Schedule struct {
	Every time.Duration
	Daily string
	// Clock is the device's clock, which a daily schedule follows (the
	// zero Clock is the time package's, in UTC).
	Clock Clock
}

// ParseDaily checks a time of day written HH:MM.
func ParseDaily(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a time of day: write HH:MM, 24-hour", s)
	}
	return t.Hour(), t.Minute(), nil
}

// Next returns the first time of the schedule after t.
func (s Schedule) Next(t time.Time) time.Time {
	if s.Every > 0 {
		return t.Add(s.Every)
	}
	h, m, err := ParseDaily(s.Daily)
	if err != nil {
		return time.Time{}
	}
	next := time.Date(t.Year(), t.Month(), t.Day(), h, m, 0, 0, t.Location())
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// Run calls fn at each time of the schedule, with that time, until ctx
// ends.
func (s Schedule) Run(ctx context.Context, fn func(time.Time)) {
	if s.Every <= 0 && s.Daily == "" {
		return
	}
	for t := s.Next(s.Clock.Now()); !t.IsZero(); t = s.Next(t) {
		// A nanosecond late: whatever else happens at the very instant
		// (a trigger from outside the device) has happened, every run, by
		// the time fn runs, so their order never depends on which
		// goroutine the runtime wakes first.
		timer := time.NewTimer(s.Clock.Until(t) + time.Nanosecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
			fn(t)
		}
	}
}

// Throttle keeps a minimum interval between alerts: a camera that sees
// motion every second mails once a minute.
type Throttle struct {
	Min  time.Duration
	last time.Time
}

// Allow reports whether an alert may go out at now, and if so counts it.
func (t *Throttle) Allow(now time.Time) bool {
	if t.Min > 0 && !t.last.IsZero() && now.Sub(t.last) < t.Min {
		return false
	}
	t.last = now
	return true
}
