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
	start func(settings any, env device.Env) (*runningDevice, error)
}

// runningDevice is a powered-on device model, as the runner drives it.
type runningDevice struct {
	// device is the model's own running type; each embeds device.Base.
	device interface {
		Close() error
		Outcomes() []alert.Outcome
		FailureLog() []alert.Failure
	}
	// name names it for the record (`ptz-4g 5.2.0 "Site A"`).
	name string
	// trigger fires an event that lasts d (zero for an instant).
	trigger func(event string, d time.Duration)
	// sd returns the device's stored evidence, for models that keep any.
	sd func() []ptz.SDFile
}

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
		start: func(settings any, env device.Env) (*runningDevice, error) {
			s := settings.(ptz.Settings)
			cam, err := ptz.New(s, env)
			if err != nil {
				return nil, err
			}
			fw, _ := ptz.LookupFirmware(s.Firmware)
			return &runningDevice{
				device: cam, name: fmt.Sprintf("ptz-4g %s %q", fw.Version, s.CameraName),
				trigger: func(e string, _ time.Duration) { cam.Trigger(ptz.Event(e)) }, sd: cam.SDCard,
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
		start: func(settings any, env device.Env) (*runningDevice, error) {
			s := settings.(dir.Settings)
			r, err := dir.New(s, env, dir.Activity)
			if err != nil {
				return nil, err
			}
			return &runningDevice{device: r, name: "dir-router", trigger: func(e string, _ time.Duration) { r.Trigger(e) }}, nil
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
		start: func(settings any, env device.Env) (*runningDevice, error) {
			s := settings.(dcs.Settings)
			c, err := dcs.New(s, env)
			if err != nil {
				return nil, err
			}
			return &runningDevice{device: c, name: fmt.Sprintf("dcs-camera %q", s.CameraName), trigger: c.Trigger}, nil
		},
	},
	{
		name:     "bb-camera",
		settings: bb.Settings{},
		summary:  "BB-series camera: host, IPv4 or [IPv6] server, SSL option, 3 destinations, 44-character subject + time stamp",
		hostname: "bb-camera",
		events:   bb.Triggers,
		decode:   decodeAs(bb.Defaults, nil),
		start: func(settings any, env device.Env) (*runningDevice, error) {
			s := settings.(bb.Settings)
			c, err := bb.New(s, env)
			if err != nil {
				return nil, err
			}
			return &runningDevice{device: c, name: fmt.Sprintf("bb-camera %q", s.CameraName), trigger: func(e string, _ time.Duration) { c.Trigger(e) }}, nil
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
