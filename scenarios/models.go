package scenarios

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"alertsim/sim/alert"
	"alertsim/sim/bb"
	"alertsim/sim/dcs"
	"alertsim/sim/device"
	"alertsim/sim/dir"
	"alertsim/sim/ptz"
)

// model is a device family a scenario can name.
type model struct {
	name     string
	summary  string
	hostname string   // default network name
	events   []string // what triggers may fire
	// firmwares are the versions a scenario may name, the default first;
	// nil when the model has one.
	firmwares []string
	// settings is the zero value of the model's settings type, for the
	// schema.
	settings any
	// decode reads the settings node into the model's settings, over its
	// factory defaults, for the firmware, and validates them.
	decode func(node ast.Node, firmware string) (any, error)
	// network returns what the settings say of the device's own network
	// (the interface MTU, the DNS servers), zero when they say nothing.
	network func(settings any) (mtu int, dns []netip.Addr)
	// start powers the device on.
	start func(settings any, env device.Env) (runningDevice, error)
}

// device is a running device model, as the runner drives it.
type runningDevice interface {
	// trigger fires an event that lasts d (zero for an instant).
	trigger(event string, d time.Duration)
	// close powers it off and waits for its goroutines.
	close()
	outcomes() []alert.Outcome
	failureLog() []alert.Failure
	// describe names it for the record (`ptz-4g 5.2.0 "Site A"`).
	describe() string
}

// running adapts a model's device to the runner.
type running struct {
	name     string
	fire     func(event string, d time.Duration)
	stop     func() error
	outs     func() []alert.Outcome
	failures func() []alert.Failure
	// sd returns the device's stored evidence, when it keeps any.
	sd func() []ptz.SDFile
}

func (r *running) trigger(event string, d time.Duration) { r.fire(event, d) }
func (r *running) close()                                { r.stop() }
func (r *running) outcomes() []alert.Outcome             { return r.outs() }
func (r *running) failureLog() []alert.Failure           { return r.failures() }
func (r *running) describe() string                      { return r.name }

// decodeAs returns a model's decode function: defaults, then the node,
// then the firmware, then Validate.
func decodeAs[S interface{ Validate() error }](defaults func() S, setFirmware func(*S, string)) func(ast.Node, string) (any, error) {
	return func(node ast.Node, firmware string) (any, error) {
		s := defaults()
		if node != nil {
			if err := yaml.NodeToValue(node, &s, yaml.Strict()); err != nil {
				return nil, err
			}
		}
		if setFirmware != nil {
			setFirmware(&s, firmware)
		}
		return s, s.Validate()
	}
}

var models = []*model{
	{
		name:      "ptz-4g",
		settings:  ptz.Settings{},
		summary:   "4G PTZ camera: SSL 465 / STARTTLS 587, app passwords, bursts, retries, heartbeat, MTU and DNS settings, SD card",
		hostname:  "ptz-camera",
		events:    ptz.EventNames(),
		firmwares: ptz.FirmwareVersions(),
		decode:    decodeAs(ptz.Defaults, func(s *ptz.Settings, fw string) { s.Firmware = fw }),
		network: func(settings any) (int, []netip.Addr) {
			s := settings.(ptz.Settings)
			return s.MTU, s.DNSServers()
		},
		start: func(settings any, env device.Env) (runningDevice, error) {
			s := settings.(ptz.Settings)
			cam, err := ptz.New(s, env)
			if err != nil {
				return nil, err
			}
			fw, _ := ptz.LookupFirmware(s.Firmware)
			return &running{
				name: fmt.Sprintf("ptz-4g %s %q", fw.Version, s.CameraName),
				fire: func(e string, _ time.Duration) { cam.Trigger(ptz.Event(e)) },
				stop: cam.Close, outs: cam.Outcomes, failures: cam.FailureLog, sd: cam.SDCard,
			}, nil
		},
	},
	{
		name:     "dir-router",
		settings: dir.Settings{},
		summary:  "DIR-series router: mails its log on log full and on a schedule, port 25 only, no TLS, optional login",
		hostname: "dir-router",
		events:   dir.Events,
		decode:   decodeAs(dir.Defaults, nil),
		start: func(settings any, env device.Env) (runningDevice, error) {
			s := settings.(dir.Settings)
			r, err := dir.New(s, env, dir.Activity)
			if err != nil {
				return nil, err
			}
			return &running{
				name: "dir-router", fire: func(e string, _ time.Duration) { r.Trigger(e) },
				stop: r.Close, outs: r.Outcomes, failures: r.FailureLog,
			}, nil
		},
	},
	{
		name:     "dcs-camera",
		settings: dcs.Settings{},
		summary:  "DCS-series camera: SMTP server 1 and backup server 2, return address, port 25 only, no SSL, motion windows",
		hostname: "dcs-camera",
		events:   dcs.Events,
		decode:   decodeAs(dcs.Defaults, nil),
		network: func(settings any) (int, []netip.Addr) {
			return 0, settings.(dcs.Settings).DNSServers()
		},
		start: func(settings any, env device.Env) (runningDevice, error) {
			s := settings.(dcs.Settings)
			c, err := dcs.New(s, env)
			if err != nil {
				return nil, err
			}
			return &running{
				name: fmt.Sprintf("dcs-camera %q", s.CameraName), fire: c.Trigger,
				stop: c.Close, outs: c.Outcomes, failures: c.FailureLog,
			}, nil
		},
	},
	{
		name:     "bb-camera",
		settings: bb.Settings{},
		summary:  "BB-series camera: host, IPv4 or [IPv6] server, SSL option, 3 destinations, 44-character subject + time stamp",
		hostname: "bb-camera",
		events:   bb.Triggers,
		decode:   decodeAs(bb.Defaults, nil),
		start: func(settings any, env device.Env) (runningDevice, error) {
			s := settings.(bb.Settings)
			c, err := bb.New(s, env)
			if err != nil {
				return nil, err
			}
			return &running{
				name: fmt.Sprintf("bb-camera %q", s.CameraName), fire: func(e string, _ time.Duration) { c.Trigger(e) },
				stop: c.Close, outs: c.Outcomes, failures: c.FailureLog,
			}, nil
		},
	},
}

func lookupModel(name string) *model {
	for _, m := range models {
		if m.name == name {
			return m
		}
	}
	return nil
}

func modelNames() []string {
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.name
	}
	return names
}
