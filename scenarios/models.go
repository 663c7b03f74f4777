package scenarios

import (
	"crypto/x509"
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"alertsim/sim/alert"
	"alertsim/sim/ptz"
)

// model is a device family a scenario can name.
type model struct {
	name     string
	summary  string
	hostname string   // default network name
	events   []string // what triggers may fire
	// decode reads the settings node into the model's settings, over its
	// factory defaults, and validates them.
	decode func(node ast.Node) (any, error)
	// start powers the device on.
	start func(settings any, env deviceEnv) (device, error)
}

// deviceEnv is what the runner plugs a device into.
type deviceEnv struct {
	hostname string
	seed     uint64
	dial     alert.DialFunc
	resolver alert.Resolver
	roots    *x509.CertPool
	log      func(alert.Event)
}

// device is a running device model, as the runner drives it.
type device interface {
	trigger(event string)
	// close powers it off and waits for its goroutines.
	close()
	outcomes() []outcome
	failureLog() []alert.Failure
	// describe names it for the record ("ptz-4g "Site A"").
	describe() string
}

// outcome is what became of one alert.
type outcome struct {
	alert     int
	event     string
	attempts  int
	delivered bool
	class     alert.Class
}

var models = []*model{
	{
		name:     "ptz-4g",
		summary:  "4G PTZ camera: SSL 465 / STARTTLS 587, app passwords, snapshot by e-mail",
		hostname: "ptz-camera",
		events:   []string{string(ptz.EventMotion)},
		decode: func(node ast.Node) (any, error) {
			s := ptz.Defaults()
			if err := decodeSettings(node, &s); err != nil {
				return nil, err
			}
			return s, s.Validate()
		},
		start: func(settings any, env deviceEnv) (device, error) {
			s := settings.(ptz.Settings)
			cam, err := ptz.New(s, ptz.Env{
				Hostname: env.hostname, Seed: env.seed, Dial: env.dial,
				Resolver: env.resolver, RootCAs: env.roots, Log: env.log,
			})
			if err != nil {
				return nil, err
			}
			return &ptzDevice{cam: cam, name: s.CameraName}, nil
		},
	},
}

func decodeSettings(node ast.Node, into any) error {
	if node == nil {
		return nil
	}
	return yaml.NodeToValue(node, into, yaml.Strict())
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

type ptzDevice struct {
	cam  *ptz.Camera
	name string
}

func (d *ptzDevice) trigger(event string) { d.cam.Trigger(ptz.Event(event)) }
func (d *ptzDevice) close()               { d.cam.Close() }
func (d *ptzDevice) describe() string     { return fmt.Sprintf("ptz-4g %q", d.name) }
func (d *ptzDevice) failureLog() []alert.Failure {
	return d.cam.FailureLog()
}
func (d *ptzDevice) outcomes() []outcome {
	var out []outcome
	for _, o := range d.cam.Outcomes() {
		out = append(out, outcome{alert: o.Alert, event: string(o.Event), attempts: o.Attempts, delivered: o.Delivered, class: o.Class})
	}
	return out
}
