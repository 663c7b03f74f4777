// Package scenarios is the scenario format, its loader, the runner that
// plays a scenario in virtual time, and the scenario library (the *.yaml
// files in the folders below this one, each with its golden record beside
// it). docs/SCENARIOS.md teaches the format.
//
// The loader decodes a file once into typed values (addresses, durations,
// rates, enumerations, the device model's own settings), checks each
// section next to its type, fills in every default, and refuses what the
// runner could not play, at the line and column it is written. The runner
// reads only the result, a *Scenario, and never parses a string again.
package scenarios

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Scenario is one scenario file: a field report turned into a reproducible
// case, loaded and checked, with every default filled in.
type Scenario struct {
	located
	// Path is the file the scenario was loaded from.
	Path string `yaml:"-"`
	// Name defaults to the file name without ".yaml".
	Name        label  `yaml:"name"`
	Description string `yaml:"description"`
	// Seed is the root of every random choice in the run.
	Seed uint64 `yaml:"seed" schema:"required"`
	// Duration is how much virtual time the run covers.
	Duration Duration `yaml:"duration" schema:"required"`
	// Start is the date and time at which the run begins, with its zone:
	// what the servers' certificates, the device's clock (unless
	// device.clock says otherwise) and the triggers' dates count from.
	// Without it the run begins at 2000-01-01 00:00:00 UTC.
	Start    *Timestamp `yaml:"start"`
	Device   Device     `yaml:"device" schema:"required"`
	Network  Network    `yaml:"network" schema:"required"`
	DNS      *DNS       `yaml:"dns"`
	Servers  []Server   `yaml:"servers"`
	Triggers []Trigger  `yaml:"triggers"`
	Expect   Expect     `yaml:"expect"`

	// start is Start, or the default.
	start time.Time
}

// StartTime returns when the run begins, by the calendar of the world
// around the device.
func (sc *Scenario) StartTime() time.Time { return sc.start }

// maxTriggers bounds the triggers a run fires, repetitions included: a
// day of motion every second is 86,400.
const maxTriggers = 100_000

// check validates what decoding alone cannot and fills in the defaults,
// section by section in the order of the file.
func (sc *Scenario) check(l *loader) error {
	if sc.Name == "" {
		sc.Name = label(strings.TrimSuffix(filepath.Base(sc.Path), filepath.Ext(sc.Path)))
	}
	if sc.Duration <= 0 {
		return l.whole("the scenario needs a duration greater than zero", durationHint)
	}
	sc.start = defaultStart
	if sc.Start != nil {
		sc.start = sc.Start.Time
	}
	if !sc.has("device") {
		return l.whole("the scenario needs a device", "device: {model: ptz-4g, settings: {...}}")
	}
	sc.Device.adopt(sc.key("device"))
	if err := sc.Device.check(l, sc.Expect.SettingsRefused != nil); err != nil {
		return err
	}
	if !sc.has("network") {
		return l.whole("the network needs a profile", "network: {profile: 4g-good}; profiles: "+strings.Join(profileNames(), ", "))
	}
	sc.Network.adopt(sc.key("network"))
	if !sc.Network.has("profile") {
		return l.at(sc.Network.node, "the network needs a profile", "profiles: "+strings.Join(profileNames(), ", "))
	}
	if err := sc.Network.check(l, sc.Duration); err != nil {
		return err
	}
	for i := range sc.Servers {
		sc.Servers[i].adopt(sc.item("servers", i))
	}
	if err := checkServers(l, sc.Servers, sc.Device); err != nil {
		return err
	}
	if sc.DNS != nil {
		sc.DNS.adopt(sc.key("dns"))
	}
	if err := sc.checkDNS(l); err != nil {
		return err
	}
	if err := sc.checkHostNames(l); err != nil {
		return err
	}
	fired := 0
	for i := range sc.Triggers {
		tr := &sc.Triggers[i]
		tr.adopt(sc.item("triggers", i))
		if err := tr.check(l, sc.Device.Model, sc.Duration, sc.start); err != nil {
			return err
		}
		fired += len(tr.times(sc.Duration))
		if fired > maxTriggers {
			return l.at(tr.node, fmt.Sprintf("the triggers fire more than %d times in the run", maxTriggers), "lengthen every, or give a count")
		}
	}
	sc.Expect.adopt(sc.key("expect"))
	return sc.Expect.check(l, sc.Duration)
}

// hostNames returns the names of the network's hosts: the device, the mail
// servers, the DNS servers, in that order.
func (sc *Scenario) hostNames() []string {
	names := []string{string(sc.Device.Hostname)}
	for _, s := range sc.Servers {
		names = append(names, string(s.Host))
	}
	if sc.DNS != nil {
		for _, s := range sc.DNS.Servers {
			names = append(names, string(s.Name))
		}
	}
	return names
}

// checkHostNames refuses two hosts of the network by one name: the
// device, the mail servers and the DNS servers each become a host the
// trace and the timeline name.
func (sc *Scenario) checkHostNames(l *loader) error {
	taken := map[string]string{}
	claim := func(name string, what string, at ast.Node) error {
		folded := strings.ToLower(strings.TrimSuffix(name, "."))
		if first, ok := taken[folded]; ok {
			return l.at(at, fmt.Sprintf("%s is already %s", name, first), "every host on the network needs a name of its own")
		}
		taken[folded] = what
		return nil
	}
	if err := claim(string(sc.Device.Hostname), "the device's host name", sc.Device.key("hostname")); err != nil {
		return err
	}
	for i := range sc.Servers {
		s := &sc.Servers[i]
		if err := claim(string(s.Host), "the host name of a server", s.key("host")); err != nil {
			return err
		}
	}
	if sc.DNS != nil {
		for i := range sc.DNS.Servers {
			s := &sc.DNS.Servers[i]
			if err := claim(string(s.Name), "the name of a host", s.key("name")); err != nil {
				return err
			}
		}
	}
	return nil
}

// Trigger is an event on the device at a point of the timeline, once or
// over and over.
type Trigger struct {
	located
	// At is the time since the start, or a date and time.
	At    Moment `yaml:"at" schema:"required"`
	Event string `yaml:"event" schema:"required"`
	// For is how long the event lasts, for events that last (motion in a
	// DCS camera's window); zero is an instant.
	For Duration `yaml:"for"`
	// Every repeats the event at this interval from At until the end of
	// the run, or Count times.
	Every Duration `yaml:"every"`
	Count int      `yaml:"count"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (t *Trigger) UnmarshalYAML(node ast.Node) error {
	type plain Trigger
	return decodeSection(node, (*plain)(t), &t.located)
}

func (t *Trigger) check(l *loader, m Model, duration Duration, start time.Time) error {
	if err := t.At.resolve(l, t.key("at"), start); err != nil {
		return err
	}
	if t.Count < 0 {
		return l.at(t.key("count"), "count cannot be negative", "")
	}
	if t.Count > 0 && t.Every == 0 {
		return l.at(t.key("count"), "count repeats a trigger every so often: add every", "every: 10s")
	}
	if t.has("every") && t.Every == 0 {
		return l.at(t.key("every"), "every needs a time greater than zero", durationHint)
	}
	if t.Event == "" {
		return l.at(t.key("event"), "a trigger needs an event", "events: "+strings.Join(m.Events, ", "))
	}
	if !m.hasEvent(t.Event) {
		return l.at(t.key("event"), fmt.Sprintf("the %s does not know the event %q", m.Name, t.Event), "events: "+strings.Join(m.Events, ", "))
	}
	if t.At.Duration > duration {
		return l.at(t.key("at"), fmt.Sprintf("trigger at %v is after the end of the run (%v)", t.At.Duration, duration), "lengthen duration or move the trigger")
	}
	return nil
}

// times returns when the trigger fires, as times since the start: once, or
// every Every from At up to the end of the run (at most Count times).
func (t *Trigger) times(duration Duration) []Duration {
	if t.Every <= 0 {
		return []Duration{t.At.Duration}
	}
	n := int((duration-t.At.Duration)/t.Every) + 1
	if t.Count > 0 {
		n = min(n, t.Count)
	}
	if n > maxTriggers+1 {
		n = maxTriggers + 1 // the caller refuses the scenario
	}
	out := make([]Duration, n)
	for i := range out {
		out[i] = t.At.Duration + Duration(i)*t.Every
	}
	return out
}
