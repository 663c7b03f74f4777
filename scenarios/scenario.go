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

	"alertsim/netem"
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
	DNS      *DNS      `yaml:"dns"`
	Servers  []Server  `yaml:"servers"`
	Triggers []Trigger `yaml:"triggers"`
	Expect   Expect    `yaml:"expect"`

	model    *model
	settings any // the model's settings type, validated
	// settingsDNS: Device.DNSServers came from the device's settings.
	settingsDNS bool
}

// Device is the device under test.
type Device struct {
	// Model is the device family and firmware profile ("ptz-4g").
	Model string `yaml:"model"`
	// Firmware is the firmware version, for models that have several
	// (default: the newest).
	Firmware Version `yaml:"firmware"`
	// Hostname is the device's network name (default: the model's).
	Hostname string `yaml:"hostname"`
	// Address is the device's IP address (default 192.0.2.10).
	Address string `yaml:"address"`
	// IPv6 is the device's IPv6 address, if it has one.
	IPv6 string `yaml:"ipv6"`
	// MTU is the device's interface MTU (default 1500).
	MTU int `yaml:"mtu"`
	// DNSServers are the DNS servers the device asks, in order. Without
	// them the device asks every server of the dns section in order; an
	// empty list is a device with no DNS configured.
	DNSServers *[]string `yaml:"dns_servers"`
	// Settings are the model's settings as its web UI names them.
	Settings ast.Node `yaml:"settings"`
}

// Network is the device's access network: a profile, any of whose figures
// can be overridden, and faults on a schedule.
type Network struct {
	// Profile names the link: lan, fiber, dsl, 4g-good, 4g-weak, 4g-edge,
	// satellite.
	Profile string    `yaml:"profile"`
	RTT     *Duration `yaml:"rtt"`
	Up      *Rate     `yaml:"up"`
	Down    *Rate     `yaml:"down"`
	Jitter  *Duration `yaml:"jitter"`
	Loss    *Loss     `yaml:"loss"`
	// PathMTU overrides the profile's; PMTUD is "working" (default) or
	// "blackhole".
	PathMTU  *int   `yaml:"path_mtu"`
	PMTUD    string `yaml:"pmtud"`
	MSSClamp int    `yaml:"mss_clamp"`
	// Queue bounds the downlink queue, in bytes.
	Queue          int       `yaml:"queue"`
	BlockedPorts   []int     `yaml:"blocked_ports"`
	NATIdleTimeout *Duration `yaml:"nat_idle_timeout"`
	Faults         []Fault   `yaml:"faults"`
}

// Loss is a Gilbert-Elliott loss model; see netem.Loss. Probabilities are
// fractions: 0.01 is 1%.
type Loss struct {
	Rate       float64 `yaml:"rate"`
	EnterBurst float64 `yaml:"enter_burst"`
	ExitBurst  float64 `yaml:"exit_burst"`
	BurstRate  float64 `yaml:"burst_rate"`
}

// Fault is a scheduled event on the device's link; see netem.Fault.
type Fault struct {
	// Kind is down, reset, stall, slow-close or cut.
	Kind  string   `yaml:"kind"`
	At    Duration `yaml:"at"`
	For   Duration `yaml:"for"`
	Delay Duration `yaml:"delay"`
	Bytes int64    `yaml:"bytes"`
}

// DNS is the name service of the scenario: DNS servers on the network,
// answering for every server's host name and for the extra records.
type DNS struct {
	Servers []DNSServer `yaml:"servers"`
	Records []Record    `yaml:"records"`
}

// DNSServer is a DNS server at an address, with its faults.
type DNSServer struct {
	// Name labels it in the timeline (default "dns-1", "dns-2", ...).
	Name    string     `yaml:"name"`
	Address string     `yaml:"address"`
	Faults  []DNSFault `yaml:"faults"`
}

// DNSFault is a misbehaviour of a DNS server; see netem.DNSFault.
type DNSFault struct {
	// Name is the name it applies to; empty for every name.
	Name string `yaml:"name"`
	// Kind is nxdomain, servfail, refused, no-answer, delay or
	// wrong-address.
	Kind    string   `yaml:"kind"`
	Delay   Duration `yaml:"delay"`
	Address string   `yaml:"address"`
}

// Record is an extra DNS record (A, AAAA, MX or CNAME).
type Record struct {
	Name    string `yaml:"name"`
	Type    string `yaml:"type"`
	Address string `yaml:"address"`
	Target  string `yaml:"target"`
	Pref    uint16 `yaml:"pref"`
}

// Server is a fake SMTP server of the scenario.
type Server struct {
	// Host is the server's DNS name; the device resolves it to Address.
	Host string `yaml:"host"`
	// Address defaults to 203.0.113.10, .11, ... in the order of servers.
	Address string `yaml:"address"`
	// Preset makes it answer like a kind of real server: gmail-like,
	// outlook-like, isp-relay, legacy-plain. Its ports are the default
	// listeners, and the keys below override its rules.
	Preset string `yaml:"preset"`
	// Listen lists the ports and how each speaks.
	Listen []Listener `yaml:"listen"`
	// Certificate is valid (default), self-signed, expired or wrong-name.
	Certificate string `yaml:"certificate"`
	// MinTLS refuses TLS handshakes older than this version ("1.2").
	MinTLS   string    `yaml:"min_tls"`
	Accounts []Account `yaml:"accounts"`
	// AuthRequired refuses MAIL before AUTH (default: the preset's, or
	// true when there are accounts).
	AuthRequired *bool `yaml:"auth_required"`
	// RequireTLS refuses AUTH and MAIL before STARTTLS.
	RequireTLS *bool `yaml:"require_tls"`
	// AllowPlainAuth offers AUTH without TLS.
	AllowPlainAuth *bool `yaml:"allow_plain_auth"`
	// SenderDomains are the only domains MAIL FROM may use.
	SenderDomains   []string `yaml:"sender_domains"`
	MaxMessageBytes *int64   `yaml:"max_message_bytes"`
	// Greylist refuses each new client, sender and recipient for this long.
	Greylist  *Duration  `yaml:"greylist"`
	RateLimit *RateLimit `yaml:"rate_limit"`
	// Tarpit holds back each reply.
	Tarpit *Duration `yaml:"tarpit"`
	// DisconnectAfter hangs up after this many bytes of message data.
	DisconnectAfter int64         `yaml:"disconnect_after"`
	Faults          []ServerFault `yaml:"faults"`
}

// Listener is one port of a server.
type Listener struct {
	Port int `yaml:"port"`
	// Mode is plain, starttls or implicit-tls.
	Mode string `yaml:"mode"`
}

// Account is a mailbox on a server.
type Account struct {
	Username            string   `yaml:"username"`
	Password            string   `yaml:"password"`
	AppPasswords        []string `yaml:"app_passwords"`
	RevokedAppPasswords []string `yaml:"revoked_app_passwords"`
	// TwoFactor refuses the account password: only app passwords work.
	TwoFactor bool `yaml:"two_factor"`
	// Senders are the addresses the account may send from.
	Senders []string `yaml:"senders"`
}

// RateLimit allows Messages messages in any window of Per.
type RateLimit struct {
	Messages int      `yaml:"messages"`
	Per      Duration `yaml:"per"`
}

// ServerFault replaces the server's reply at a stage of the dialogue.
type ServerFault struct {
	// Stage is connect, ehlo, starttls, auth, mail, rcpt or data.
	Stage string `yaml:"stage"`
	// Code, Enhanced and Text are the reply ("550", "5.1.1", "..."). A
	// connect fault without a code hangs up without a word.
	Code     int    `yaml:"code"`
	Enhanced string `yaml:"enhanced"`
	Text     string `yaml:"text"`
	// Recipient limits a rcpt fault to one address.
	Recipient string `yaml:"recipient"`
	// Times is how often it strikes (default: every time).
	Times int `yaml:"times"`
	// Hangup closes the connection after the reply.
	Hangup bool `yaml:"hangup"`
}

// Trigger is an event on the device at a point of the timeline.
type Trigger struct {
	At    Duration `yaml:"at"`
	Event string   `yaml:"event"`
	// For is how long the event lasts, for events that last (motion in a
	// DCS camera's window); zero is an instant.
	For Duration `yaml:"for"`
}

// Expect is what the run must show besides its golden record.
type Expect struct {
	// Delivered is the number of messages the servers must have accepted.
	Delivered *int `yaml:"delivered"`
	// Attempts is the number of delivery attempts the device must have
	// made, over all its mails.
	Attempts *int `yaml:"attempts"`
	// Failures are the classes of the device's failure log, in order
	// ("auth", "timeout"); an empty list is a clean log.
	Failures *[]string `yaml:"failures"`
	// DeliveredBy is the latest time, from the start, by which every
	// accepted message must have arrived.
	DeliveredBy *Duration `yaml:"delivered_by"`
}

// Version is a firmware version, taken as written: YAML would read 6.0 as
// the number 6.
type Version string

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (v *Version) UnmarshalYAML(node ast.Node) error {
	tk := node.GetToken()
	switch node.(type) {
	case *ast.StringNode, *ast.FloatNode, *ast.IntegerNode:
	default:
		return nodeError(node, fmt.Sprintf("%s is not a firmware version", strings.TrimSpace(node.String())), "write it as the device shows it: 5.2.0")
	}
	*v = Version(tk.Value)
	return nil
}

// Duration is a time.Duration written with a unit ("90s", "5m", "1h30m").
type Duration time.Duration

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler, so that a bad
// value is reported at its line and column.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	return scalar(node, "duration", durationHint, d, func(s string) (Duration, error) {
		v, err := time.ParseDuration(s)
		if err == nil && v < 0 {
			err = fmt.Errorf("negative")
		}
		return Duration(v), err
	})
}

const durationHint = "write a number with a unit: 500ms, 90s, 5m, 1h30m"

// Rate is a link rate written with a unit ("750kbit/s", "12Mbit/s").
type Rate netem.Bitrate

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (r *Rate) UnmarshalYAML(node ast.Node) error {
	return scalar(node, "rate", rateHint, r, func(s string) (Rate, error) {
		v, err := netem.ParseBitrate(s)
		return Rate(v), err
	})
}

const rateHint = "write a number with a unit: 750kbit/s, 1.6Mbit/s, 1Gbit/s"

// scalar decodes a string node with parse, reporting a bad value at its
// position as not being a what.
func scalar[T any](node ast.Node, what, hint string, into *T, parse func(string) (T, error)) error {
	s, ok := node.(*ast.StringNode)
	if !ok {
		return nodeError(node, fmt.Sprintf("%s is not a %s", strings.TrimSpace(node.String()), what), hint)
	}
	v, err := parse(s.Value)
	if err != nil {
		return nodeError(node, fmt.Sprintf("%q is not a %s", s.Value, what), hint)
	}
	*into = v
	return nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }
