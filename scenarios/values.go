package scenarios

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"alertsim/netem"
)

// The value types of a scenario file. Each decodes itself from its YAML
// node and refuses a bad value there, at its line and column, so that what
// the loader hands the runner is typed and needs no parsing again. Each also
// describes itself for the JSON Schema (schemaOf), so that a new key needs
// no change to the schema generator.

// schemaer is a value type that says what its JSON Schema is.
type schemaer interface{ jsonSchema() map[string]any }

// Duration is a time.Duration written with a unit ("90s", "5m", "1h30m").
type Duration time.Duration

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	return scalar(node, "a duration", durationHint, d, func(s string) (Duration, error) {
		v, err := time.ParseDuration(s)
		if err == nil && v < 0 {
			err = fmt.Errorf("negative")
		}
		return Duration(v), err
	})
}

func (Duration) jsonSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`}
}

const durationHint = "write a number with a unit: 500ms, 90s, 5m, 1h30m"

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// Rate is a link rate written with a unit ("750kbit/s", "12Mbit/s").
type Rate netem.Bitrate

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (r *Rate) UnmarshalYAML(node ast.Node) error {
	return scalar(node, "a rate", rateHint, r, func(s string) (Rate, error) {
		v, err := netem.ParseBitrate(s)
		return Rate(v), err
	})
}

func (Rate) jsonSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": `^[0-9]+(\.[0-9]+)? ?([kMG]?bit/s|[kKmMgG]?bps)$`}
}

const rateHint = "write a number with a unit: 750kbit/s, 1.6Mbit/s, 1Gbit/s"

// Version is a firmware version, taken as written: YAML would read 6.0 as
// the number 6.
type Version string

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (v *Version) UnmarshalYAML(node ast.Node) error {
	switch node.(type) {
	case *ast.StringNode, *ast.FloatNode, *ast.IntegerNode:
	default:
		return nodeError(node, fmt.Sprintf("%s is not a firmware version", strings.TrimSpace(node.String())), "write it as the device shows it: 5.2.0")
	}
	*v = Version(node.GetToken().Value)
	return nil
}

func (Version) jsonSchema() map[string]any { return map[string]any{"type": "string"} }

// Addr is an IP address.
type Addr struct{ netip.Addr }

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (a *Addr) UnmarshalYAML(node ast.Node) error {
	if err := scalar(node, "an IP address", "", a, func(s string) (Addr, error) {
		v, err := netip.ParseAddr(s)
		if err == nil && v.Zone() != "" {
			err = fmt.Errorf("zone")
		}
		return Addr{v}, err
	}); err != nil {
		return err
	}
	if a.Is4In6() {
		// The IPv4 address to the network: two spellings of one host.
		return nodeError(node, fmt.Sprintf("%s is an IPv4-mapped IPv6 address", a.Addr), "write it as "+a.Unmap().String())
	}
	return nil
}

func (Addr) jsonSchema() map[string]any {
	return map[string]any{"type": "string", "anyOf": []any{map[string]any{"format": "ipv4"}, map[string]any{"format": "ipv6"}}}
}

// unicast reports whether a host may have the address: not unspecified,
// multicast, broadcast, loopback or link-local, which no device reaches a
// mail or DNS server at.
func (a Addr) unicast() bool { return a.IsGlobalUnicast() }

// Hostname is a DNS name: a host name or a domain, letters, digits,
// hyphens and underscores (SRV-style labels) in labels of at most 63,
// joined by dots. What no
// name may hold (control characters, spaces) is refused before it reaches
// a record or an EHLO.
type Hostname string

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (h *Hostname) UnmarshalYAML(node ast.Node) error {
	return scalar(node, "a host name", "letters, digits, hyphens and underscores, in labels joined by dots: smtp.example.com", h, func(s string) (Hostname, error) {
		if !validHostname(s) {
			return "", fmt.Errorf("invalid")
		}
		return Hostname(s), nil
	})
}

func (Hostname) jsonSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": `^([A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?$`}
}

func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || strings.ContainsFunc(label, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) {
			return false
		}
	}
	return true
}

// Port is a TCP or UDP port, 1-65535.
type Port uint16

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (p *Port) UnmarshalYAML(node ast.Node) error {
	if _, ok := node.(*ast.IntegerNode); !ok {
		return nodeError(node, fmt.Sprintf("%s is not a port", strings.TrimSpace(node.String())), "a number from 1 to 65535")
	}
	v, err := strconv.ParseInt(node.GetToken().Value, 10, 64)
	if err != nil || v < 1 || v > 65535 {
		return nodeError(node, fmt.Sprintf("port %s is outside 1-65535", node.GetToken().Value), "")
	}
	*p = Port(v)
	return nil
}

func (Port) jsonSchema() map[string]any {
	return map[string]any{"type": "integer", "minimum": 1, "maximum": 65535}
}

// label is a name shown in the timeline or a record's header: printable,
// one line.
type label string

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (l *label) UnmarshalYAML(node ast.Node) error {
	return scalar(node, "a name", "printable characters on one line", l, func(s string) (label, error) {
		if strings.ContainsFunc(s, unicode.IsControl) {
			return "", fmt.Errorf("control character")
		}
		return label(s), nil
	})
}

func (label) jsonSchema() map[string]any { return map[string]any{"type": "string"} }

// mailbox is an address as SMTP carries it in MAIL FROM or RCPT TO: no
// control characters or spaces, which would end or split the command.
type mailbox string

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (m *mailbox) UnmarshalYAML(node ast.Node) error {
	return scalar(node, "an e-mail address", "name@example.com", m, func(s string) (mailbox, error) {
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
			return "", fmt.Errorf("invalid")
		}
		return mailbox(s), nil
	})
}

func (mailbox) jsonSchema() map[string]any { return map[string]any{"type": "string"} }

// replyText is the text of an SMTP reply: printable, its lines joined by
// line feeds (each becomes a line of a multi-line reply).
type replyText string

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (t *replyText) UnmarshalYAML(node ast.Node) error {
	return scalar(node, "a reply text", "printable characters; a line feed starts the next line of the reply", t, func(s string) (replyText, error) {
		if strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) {
			return "", fmt.Errorf("control character")
		}
		return replyText(s), nil
	})
}

func (replyText) jsonSchema() map[string]any { return map[string]any{"type": "string"} }

// scalar decodes a string node with parse, reporting a bad value at its
// position as not being what ("a duration").
func scalar[T any](node ast.Node, what, hint string, into *T, parse func(string) (T, error)) error {
	s, ok := node.(*ast.StringNode)
	if !ok {
		return nodeError(node, fmt.Sprintf("%s is not %s", strings.TrimSpace(node.String()), what), hint)
	}
	v, err := parse(s.Value)
	if err != nil {
		return nodeError(node, fmt.Sprintf("%q is not %s", s.Value, what), hint)
	}
	*into = v
	return nil
}

// named is one name of an enumerated value and what it stands for.
type named[T comparable] struct {
	name string
	v    T
}

// names is the table of an enumerated value, in the order its names are
// listed to users.
type names[T comparable] []named[T]

func (ns names[T]) list() []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.name
	}
	return out
}

// listed is the hint for an unknown name: "modes: plain, starttls".
func (ns names[T]) listed(plural string) string { return plural + ": " + strings.Join(ns.list(), ", ") }

func (ns names[T]) nameOf(v T) string {
	for _, n := range ns {
		if n.v == v {
			return n.name
		}
	}
	return fmt.Sprint(v)
}

func (ns names[T]) schema() map[string]any { return map[string]any{"enum": ns.list()} }

// decode reads a name of the table from node into v; an unknown name is
// refused at the value: `unknown what "x" (hint)`.
func (ns names[T]) decode(node ast.Node, what, hint string, v *T) error {
	s, ok := node.(*ast.StringNode)
	word := strings.TrimSpace(node.String())
	if ok {
		word = s.Value
		for _, n := range ns {
			if n.name == s.Value {
				*v = n.v
				return nil
			}
		}
	}
	return nodeError(node, fmt.Sprintf("unknown %s %q", what, word), hint)
}

// located is embedded by the sections checked after decoding, so that a
// check points at the line of the key it concerns. Each such section's
// UnmarshalYAML decodes its plain fields and records its node.
type located struct{ node ast.Node }

// decodeSection decodes node strictly into plain (the section's fields)
// and records it in loc.
func decodeSection(node ast.Node, plain any, loc *located) error {
	if err := yaml.NodeToValue(node, plain, yaml.Strict()); err != nil {
		return err
	}
	loc.node = node
	return nil
}

// adopt gives a section written as null (which the YAML library never
// hands to UnmarshalYAML) the node it was written at, so that an error
// about it still has a line.
func (l *located) adopt(n ast.Node) {
	if l.node == nil {
		l.node = n
	}
}

// key returns the value node of the section's key name, or the section's
// own node when the key is absent (an error about a missing key points at
// the section).
func (l located) key(name string) ast.Node {
	if v := valueOf(l.node, name); v != nil {
		return v
	}
	return l.node
}

// has reports whether the section sets the key.
func (l located) has(name string) bool { return valueOf(l.node, name) != nil }

// valueOf returns the value node of key name in a mapping, or nil.
func valueOf(node ast.Node, name string) ast.Node {
	var values []*ast.MappingValueNode
	switch n := node.(type) {
	case *ast.MappingNode:
		values = n.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{n}
	}
	i := slices.IndexFunc(values, func(v *ast.MappingValueNode) bool { return v.Key.String() == name })
	if i < 0 {
		return nil
	}
	return values[i].Value
}

// item returns the node of element i of the sequence at key name, or the
// key's node.
func (l located) item(name string, i int) ast.Node {
	if s, ok := l.key(name).(*ast.SequenceNode); ok && i < len(s.Values) {
		return s.Values[i]
	}
	return l.key(name)
}

// Kernel is the Linux a device runs, by name, where its TCP differs:
// linux-6.5 (6.5 and later: the first five SYN timeouts are 1 s) or
// linux-4.19 (before 6.5: doubling from the first).
type Kernel struct {
	name string
	k    netem.Kernel
}

var kernelNames = names[netem.Kernel]{
	{"linux-6.5", netem.Kernel{}},
	{"linux-4.19", netem.Kernel{ExponentialSYN: true}},
}

// defaultKernel is the kernel of a model that names none.
const defaultKernel = "linux-6.5"

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (k *Kernel) UnmarshalYAML(node ast.Node) error {
	if err := kernelNames.decode(node, "kernel", kernelNames.listed("kernels")+" (linux-6.5 stands for every Linux from 6.5 on, linux-4.19 for those before)", &k.k); err != nil {
		return err
	}
	k.name = kernelNames.nameOf(k.k)
	return nil
}

// set chooses the kernel called name ("" for the default).
func (k *Kernel) set(name string) error {
	if name == "" {
		name = defaultKernel
	}
	for _, n := range kernelNames {
		if n.name == name {
			k.name, k.k = n.name, n.v
			return nil
		}
	}
	return fmt.Errorf("the model names an unknown kernel %q", name)
}

func (Kernel) jsonSchema() map[string]any { return kernelNames.schema() }

func (k Kernel) String() string { return k.name }
