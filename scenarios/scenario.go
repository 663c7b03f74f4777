// Package scenarios is the scenario format, its loader, the runner that
// plays a scenario in virtual time, and the scenario library (the *.yaml
// files in the folders below this one, each with its golden record beside
// it). docs/SCENARIOS.md teaches the format.
package scenarios

import (
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Scenario is one scenario file: a field report turned into a reproducible
// case.
type Scenario struct {
	// Path is the file the scenario was loaded from.
	Path string `yaml:"-"`
	// Name defaults to the file name without ".yaml".
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Seed is the root of every random choice in the run.
	Seed uint64 `yaml:"seed"`
	// Duration is how much virtual time the run covers.
	Duration Duration  `yaml:"duration"`
	Device   Device    `yaml:"device"`
	Network  Network   `yaml:"network"`
	Servers  []Server  `yaml:"servers"`
	Triggers []Trigger `yaml:"triggers"`
	Expect   Expect    `yaml:"expect"`

	model    *model
	settings any // the model's settings type, validated
}

// Device is the device under test.
type Device struct {
	// Model is the device family and firmware profile ("ptz-4g").
	Model string `yaml:"model"`
	// Hostname is the device's network name (default: the model's).
	Hostname string `yaml:"hostname"`
	// Address is the device's IP address (default 192.0.2.10).
	Address string `yaml:"address"`
	// Settings are the model's settings as its web UI names them.
	Settings ast.Node `yaml:"settings"`
}

// Network is the device's access network.
type Network struct {
	// Profile names the link: lan, fiber, dsl, 4g-good, 4g-weak, 4g-edge,
	// satellite.
	Profile string `yaml:"profile"`
}

// Server is a fake SMTP server of the scenario.
type Server struct {
	// Host is the server's DNS name; the device resolves it to Address.
	Host string `yaml:"host"`
	// Address defaults to 203.0.113.10, .11, ... in the order of servers.
	Address string `yaml:"address"`
	// Listen lists the ports and how each speaks.
	Listen   []Listener `yaml:"listen"`
	Accounts []Account  `yaml:"accounts"`
	// AuthRequired refuses MAIL before AUTH (default true when there are
	// accounts).
	AuthRequired *bool `yaml:"auth_required"`
}

// Listener is one port of a server.
type Listener struct {
	Port int `yaml:"port"`
	// Mode is plain, starttls or implicit-tls.
	Mode string `yaml:"mode"`
}

// Account is a mailbox on a server.
type Account struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// Trigger is an event on the device at a point of the timeline.
type Trigger struct {
	At    Duration `yaml:"at"`
	Event string   `yaml:"event"`
}

// Expect is what the run must show besides its golden record.
type Expect struct {
	// Delivered is the number of messages the servers must have accepted.
	Delivered *int `yaml:"delivered"`
}

// Duration is a time.Duration written with a unit ("90s", "5m", "1h30m").
type Duration time.Duration

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler, so that a bad
// value is reported at its line and column.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	s, ok := node.(*ast.StringNode)
	if !ok {
		return nodeError(node, fmt.Sprintf("%s is not a duration", strings.TrimSpace(node.String())), durationHint)
	}
	v, err := time.ParseDuration(s.Value)
	if err != nil || v < 0 {
		return nodeError(node, fmt.Sprintf("%q is not a duration", s.Value), durationHint)
	}
	*d = Duration(v)
	return nil
}

const durationHint = "write a number with a unit: 500ms, 90s, 5m, 1h30m"

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }
