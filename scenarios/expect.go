package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"alertsim/sim/alert"
)

// Expect is what the run must show besides its golden record. Each key
// becomes an expectation when the scenario is loaded; Run judges them all.
type Expect struct {
	located
	// Accepted is how many messages the servers must have accepted, the
	// key "delivered" as QA writes it (a burst in one mail is one message;
	// a mail refused by one server and taken by the next is one). It is
	// judged against Result.Accepted, not Result.Delivered (the device's
	// mails that got through).
	Accepted *int `yaml:"delivered"`
	// Attempts is the number of delivery attempts the device must have
	// made, over all its mails.
	Attempts *int `yaml:"attempts"`
	// FailureLog is the classes of the device's failure log, in order
	// ("auth", "timeout"); an empty list is a clean log.
	FailureLog *[]Class `yaml:"failures"`
	// DeliveredBy is the latest time, from the start, by which every
	// accepted message must have arrived.
	DeliveredBy *Duration `yaml:"delivered_by"`
	// DeliveryTime bounds, on both sides, the time from each trigger to
	// the servers' acceptance of the first message accepted after it: a
	// model that is too fast fails as well as one too slow.
	DeliveryTime *TimeRange `yaml:"delivery_time"`
	// Replies are replies a server must have given: a code, an enhanced
	// code, at a stage (see ExpectReply).
	Replies []ExpectReply `yaml:"replies"`
	// Messages are the messages the servers must have accepted, in order
	// of reception: their headers and the server that took each.
	Messages *[]ExpectMessage `yaml:"messages"`
	// Mails are the device's mails, in order: the attempts, failures and
	// outcome of each.
	Mails *[]ExpectMail `yaml:"mails"`
	// SettingsRefused is the device's settings page refusing the
	// settings, in its own words: the device is then never set up.
	SettingsRefused *ExpectRefusal `yaml:"settings_refused"`

	judges []judge
}

// TimeRange is a span of time with a lower and an upper bound, both
// included.
type TimeRange struct {
	located
	Min *Duration `yaml:"min" schema:"required"`
	Max *Duration `yaml:"max" schema:"required"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (r *TimeRange) UnmarshalYAML(node ast.Node) error {
	type plain TimeRange
	return decodeSection(node, (*plain)(r), &r.located)
}

// judge tells whether a finished run meets one expectation.
type judge func(*Result) Check

// Check is one expectation of a scenario, judged.
type Check struct {
	OK   bool
	Text string
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (e *Expect) UnmarshalYAML(node ast.Node) error {
	type plain Expect
	return decodeSection(node, (*plain)(e), &e.located)
}

// Class is a failure class of the alert pipeline, by name.
type Class alert.Class

var classes = func() names[alert.Class] {
	var ns names[alert.Class]
	for _, c := range alert.Classes() {
		ns = append(ns, named[alert.Class]{string(c), c})
	}
	return ns
}()

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (c *Class) UnmarshalYAML(node ast.Node) error {
	return classes.decode(node, "failure class", classes.listed("classes"), (*alert.Class)(c))
}

func (Class) jsonSchema() map[string]any { return classes.schema() }

func (e *Expect) check(l *loader, duration Duration) error {
	e.judges = nil
	if want := e.Accepted; want != nil {
		if *want < 0 {
			return l.at(e.key("delivered"), "delivered cannot be negative", "")
		}
		e.judges = append(e.judges, func(r *Result) Check {
			return Check{OK: *want == r.Accepted, Text: fmt.Sprintf("delivered: want %d, the servers accepted %d", *want, r.Accepted)}
		})
	}
	if want := e.Attempts; want != nil {
		if *want < 0 {
			return l.at(e.key("attempts"), "attempts cannot be negative", "")
		}
		e.judges = append(e.judges, func(r *Result) Check {
			return Check{OK: *want == r.Attempts, Text: fmt.Sprintf("attempts: want %d, the device made %d", *want, r.Attempts)}
		})
	}
	if want := e.FailureLog; want != nil {
		wantNames := make([]string, len(*want))
		for i, c := range *want {
			wantNames[i] = string(c)
		}
		e.judges = append(e.judges, func(r *Result) Check {
			got := make([]string, len(r.FailureLog))
			for i, f := range r.FailureLog {
				got[i] = string(f.Class)
			}
			return Check{
				OK:   slices.Equal(wantNames, got),
				Text: fmt.Sprintf("failure log: want [%s], the device logged [%s]", strings.Join(wantNames, " "), strings.Join(got, " ")),
			}
		})
	}
	if by := e.DeliveredBy; by != nil {
		if *by > duration {
			return l.at(e.key("delivered_by"), fmt.Sprintf("delivered_by %v is after the end of the run (%v)", *by, duration), "")
		}
		e.judges = append(e.judges, func(r *Result) Check {
			latest := time.Duration(0)
			for _, m := range r.Captured {
				latest = max(latest, m.Received.Sub(r.Start))
			}
			return Check{OK: latest <= by.D(), Text: fmt.Sprintf("delivered by %v: the last message arrived at %s", *by, Clock(latest))}
		})
	}
	if r := e.DeliveryTime; r != nil {
		if r.Min == nil || r.Max == nil {
			return l.at(r.node, "delivery_time needs both min and max", "delivery_time: {min: 15s, max: 20s}")
		}
		if *r.Min > *r.Max {
			return l.at(r.key("min"), fmt.Sprintf("min %v is more than max %v", *r.Min, *r.Max), "")
		}
		if *r.Max > duration {
			return l.at(r.key("max"), fmt.Sprintf("max %v is longer than the run (%v)", *r.Max, duration), "lengthen duration")
		}
		e.judges = append(e.judges, r.judge)
	}
	for i := range e.Replies {
		x := &e.Replies[i]
		x.adopt(e.item("replies", i))
		if err := x.check(l); err != nil {
			return err
		}
		e.judges = append(e.judges, x.judge)
	}
	if e.Messages != nil {
		for i := range *e.Messages {
			(*e.Messages)[i].adopt(e.item("messages", i))
		}
		e.judges = append(e.judges, judgeMessages(*e.Messages))
	}
	if e.Mails != nil {
		for i := range *e.Mails {
			(*e.Mails)[i].adopt(e.item("mails", i))
		}
		e.judges = append(e.judges, judgeMails(*e.Mails))
	}
	if x := e.SettingsRefused; x != nil {
		x.adopt(e.key("settings_refused"))
		e.judges = append(e.judges, x.judge)
	}
	return nil
}

// judge checks the time from each trigger to the first message accepted
// after it.
func (r *TimeRange) judge(res *Result) Check {
	lo, hi := r.Min.D(), r.Max.D()
	var parts []string
	ok := len(res.Scenario.Triggers) > 0
	for _, tr := range res.Scenario.Triggers {
		at := res.Start.Add(tr.At.D())
		var first time.Time
		for _, m := range res.Captured {
			if !m.Received.Before(at) && (first.IsZero() || m.Received.Before(first)) {
				first = m.Received
			}
		}
		if first.IsZero() {
			ok = false
			parts = append(parts, fmt.Sprintf("%s at %s: nothing accepted after it", tr.Event, Clock(tr.At.D())))
			continue
		}
		took := first.Sub(at)
		if took < lo || took > hi {
			ok = false
		}
		parts = append(parts, fmt.Sprintf("%s at %s: accepted after %v", tr.Event, Clock(tr.At.D()), took.Round(time.Millisecond)))
	}
	if len(parts) == 0 {
		parts = append(parts, "no trigger")
	}
	return Check{OK: ok, Text: fmt.Sprintf("delivery time between %v and %v: %s", *r.Min, *r.Max, strings.Join(parts, "; "))}
}
