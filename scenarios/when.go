package scenarios

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Field reports say when things happened by the calendar ("the sensor fired
// on 2009-06-18 at 17:30:20.500"), and a device's clock may be wrong. The
// run's virtual time starts at 2000-01-01 00:00 UTC whatever the scenario
// says (testing/synctest's epoch); these types map the scenario's calendar
// onto it.

// defaultStart is the run's start when the scenario names none: the epoch
// of testing/synctest, so that a scenario without a start runs where its
// virtual time runs.
var defaultStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Timestamp is a date and time with its zone, as RFC 3339 writes it
// ("2009-06-18T17:30:20.5+09:00", the T may be a space).
type Timestamp struct{ time.Time }

var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"}

const timestampHint = "a date, time and zone: 2009-06-18T17:30:00+09:00 (or Z for UTC)"

// parseTimestamp reads a timestamp in the zone it is written in: Z is UTC,
// an offset a fixed zone of that offset. Not time.Parse, which gives the
// machine's own zone (summer time rules and all) to an offset that zone
// has at that date, so that a device's clock would follow the rules of
// wherever the scenario happens to run.
func parseTimestamp(s string) (time.Time, bool) {
	for _, layout := range timestampLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (t *Timestamp) UnmarshalYAML(node ast.Node) error {
	return scalar(node, "a date and time with its zone", timestampHint, t, func(s string) (Timestamp, error) {
		v, ok := parseTimestamp(s)
		if !ok {
			return Timestamp{}, fmt.Errorf("invalid")
		}
		return Timestamp{v}, nil
	})
}

func (Timestamp) jsonSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": timestampPattern}
}

const timestampPattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`

// DeviceClock is what the device's clock shows when the run starts: a date
// and time (a factory date, a clock set by hand) or an offset from the
// scenario's start ("-3m", "+1h": a clock that drifted).
type DeviceClock struct {
	// At is the clock's reading at the start, when given as a date.
	At time.Time
	// Offset is how far ahead of the start it is, when given as one.
	Offset time.Duration
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (c *DeviceClock) UnmarshalYAML(node ast.Node) error {
	return scalar(node, "a device clock", "a date and time (2016-01-01T00:00:00Z: the clock shows that at the start) or an offset from the start (-3m, +2h)", c, func(s string) (DeviceClock, error) {
		if t, ok := parseTimestamp(s); ok {
			return DeviceClock{At: t}, nil
		}
		sign := time.Duration(1)
		switch {
		case strings.HasPrefix(s, "-"):
			sign, s = -1, s[1:]
		case strings.HasPrefix(s, "+"):
			s = s[1:]
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
			return DeviceClock{}, fmt.Errorf("invalid")
		}
		return DeviceClock{Offset: sign * d}, nil
	})
}

func (DeviceClock) jsonSchema() map[string]any {
	return map[string]any{"type": "string", "anyOf": []any{
		map[string]any{"pattern": timestampPattern},
		map[string]any{"pattern": `^[+-]?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`},
	}}
}

// reading returns what the clock shows at the start of a run that starts
// at start.
func (c *DeviceClock) reading(start time.Time) time.Time {
	if c == nil {
		return start
	}
	if !c.At.IsZero() {
		return c.At
	}
	return start.Add(c.Offset)
}

// Moment is a point of the run's timeline: a time since the start ("5s",
// "1h30m") or a date and time ("2009-06-18T17:30:20.5+09:00"), which the
// loader turns into the time since the start.
type Moment struct {
	Duration
	// Date is the date and time as written, if it was written as one.
	Date time.Time
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (m *Moment) UnmarshalYAML(node ast.Node) error {
	if s, ok := node.(*ast.StringNode); ok {
		if t, ok := parseTimestamp(s.Value); ok {
			*m = Moment{Date: t}
			return nil
		}
	}
	return m.Duration.UnmarshalYAML(node)
}

func (Moment) jsonSchema() map[string]any {
	return map[string]any{"type": "string", "anyOf": []any{
		Duration(0).jsonSchema(),
		map[string]any{"pattern": timestampPattern},
	}}
}

// resolve turns a date into the time since start; it refuses a date
// before the start.
func (m *Moment) resolve(l *loader, at ast.Node, start time.Time) error {
	if m.Date.IsZero() {
		return nil
	}
	if m.Date.Before(start) {
		return l.at(at, fmt.Sprintf("%s is before the start of the run (%s)", m.Date.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano)), "set start: to a time before it, or write the time since the start")
	}
	d := m.Date.Sub(start)
	if d == math.MaxInt64 {
		// time.Sub saturates at about 292 years: say the date, not the
		// saturated duration.
		return l.at(at, fmt.Sprintf("%s is too far after the start of the run (%s)", m.Date.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano)), "a run spans at most a few years")
	}
	m.Duration = Duration(d)
	return nil
}
