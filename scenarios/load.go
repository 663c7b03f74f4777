package scenarios

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"alertsim/netem"
	"alertsim/sim/ui"
)

// Error is a problem in a scenario file, at a line and column.
type Error struct {
	File      string
	Line, Col int // 0 when the problem is the file as a whole
	Msg       string
	// Hint says how to fix it, when there is something to say.
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": " + e.Msg)
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// posError is an error located in the file being decoded; the loader adds
// the file name.
type posError struct {
	line, col int
	msg, hint string
}

func (e *posError) Error() string { return e.msg }

func nodeError(node ast.Node, msg, hint string) error {
	e := &posError{msg: msg, hint: hint}
	// A mapping's own token is its first colon; people look for the key.
	switch n := node.(type) {
	case *ast.MappingNode:
		if len(n.Values) > 0 {
			node = n.Values[0].Key
		}
	case *ast.MappingValueNode:
		node = n.Key
	}
	if tk := node.GetToken(); tk != nil {
		e.line, e.col = tk.Position.Line, tk.Position.Column
	}
	return e
}

// Load reads and checks the scenario file at path.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read the scenario: %v", err)}
	}
	return Parse(path, data)
}

// Parse checks a scenario read from path. Every problem is an *Error with
// the line and column it is at.
func Parse(path string, data []byte) (sc *Scenario, err error) {
	defer func() {
		// The YAML library is not ours; whatever it does with hostile
		// input, a bad file must be an error, never a crash.
		if r := recover(); r != nil {
			sc, err = nil, &Error{File: path, Msg: fmt.Sprintf("cannot parse the scenario: %v", r)}
		}
	}()
	l := &loader{path: path}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, l.wrap(err)
	}
	var docs []*ast.DocumentNode
	for _, d := range file.Docs {
		if d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch {
	case len(docs) == 0:
		return nil, &Error{File: path, Msg: "the file is empty", Hint: "see docs/SCENARIOS.md for the format"}
	case len(docs) > 1:
		return nil, l.at(docs[1].Body, "a file holds one scenario; this is a second YAML document", "split it into two files")
	}
	l.file = file
	sc = &Scenario{Path: path}
	if _, ok := docs[0].Body.(*ast.MappingNode); !ok {
		return nil, l.at(docs[0].Body, "a scenario is a mapping of keys (seed, duration, device, ...)", "see docs/SCENARIOS.md")
	}
	if err := yaml.NodeToValue(docs[0].Body, sc, yaml.Strict()); err != nil {
		return nil, l.wrap(err)
	}
	if err := l.check(sc); err != nil {
		return nil, err
	}
	return sc, nil
}

type loader struct {
	path string
	file *ast.File
}

// wrap turns a YAML library error or a posError into an *Error.
func (l *loader) wrap(err error) error {
	var pe *posError
	if errors.As(err, &pe) {
		return &Error{File: l.path, Line: pe.line, Col: pe.col, Msg: pe.msg, Hint: pe.hint}
	}
	var ye yaml.Error
	if errors.As(err, &ye) {
		e := &Error{File: l.path, Msg: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil {
			e.Line, e.Col = tk.Position.Line, tk.Position.Column
		}
		switch {
		case strings.HasPrefix(e.Msg, "unknown field"):
			e.Hint = "check the spelling; docs/SCENARIOS.md lists every key"
		case strings.Contains(e.Msg, "'\t'"):
			e.Msg, e.Hint = "a tab character", "YAML indents with spaces, not tabs"
		}
		return e
	}
	return &Error{File: l.path, Msg: err.Error()}
}

// at returns an error located at node.
func (l *loader) at(node ast.Node, msg, hint string) error {
	return l.wrap(nodeError(node, msg, hint))
}

// atPath returns an error located at the node the YAML path names
// ("$.servers[0].listen[1].mode"), or at the nearest parent that exists.
func (l *loader) atPath(path, msg, hint string) error {
	for p := path; p != ""; p = parentPath(p) {
		yp, err := yaml.PathString(p)
		if err != nil {
			continue
		}
		if node, err := yp.FilterFile(l.file); err == nil && node != nil {
			// A mapping value points at its key's line, where people look.
			return l.at(node, msg, hint)
		}
	}
	return &Error{File: l.path, Msg: msg, Hint: hint}
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 1 {
		return ""
	}
	return p[:i]
}

// check validates what decoding alone cannot.
func (l *loader) check(sc *Scenario) error {
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(sc.Path), filepath.Ext(sc.Path))
	}
	if sc.Duration <= 0 {
		return l.atPath("$.duration", "the scenario needs a duration greater than zero", durationHint)
	}

	m := lookupModel(sc.Device.Model)
	if m == nil {
		return l.atPath("$.device.model", fmt.Sprintf("unknown device model %q", sc.Device.Model), "models: "+strings.Join(modelNames(), ", "))
	}
	sc.model = m
	if sc.Device.Hostname == "" {
		sc.Device.Hostname = m.hostname
	}
	if sc.Device.Address == "" {
		sc.Device.Address = "192.0.2.10"
	}
	if _, err := netip.ParseAddr(sc.Device.Address); err != nil {
		return l.atPath("$.device.address", fmt.Sprintf("%q is not an IP address", sc.Device.Address), "")
	}
	settings, err := m.decode(sc.Device.Settings)
	if err != nil {
		var fe *ui.FieldError
		if errors.As(err, &fe) {
			return l.atPath("$.device.settings."+fe.Field, fmt.Sprintf("%s setting %s: %s", m.name, fe.Field, fe.Message), "")
		}
		return l.wrap(err)
	}
	sc.settings = settings

	if sc.Network.Profile == "" {
		return l.atPath("$.network", "the network needs a profile", "profiles: "+strings.Join(netem.ProfileNames(), ", "))
	}
	if _, ok := netem.LookupProfile(sc.Network.Profile); !ok {
		return l.atPath("$.network.profile", fmt.Sprintf("unknown network profile %q", sc.Network.Profile), "profiles: "+strings.Join(netem.ProfileNames(), ", "))
	}

	seenHost := map[string]bool{}
	for i := range sc.Servers {
		s := &sc.Servers[i]
		at := fmt.Sprintf("$.servers[%d]", i)
		if s.Host == "" {
			return l.atPath(at, "a server needs a host name", "")
		}
		if seenHost[s.Host] {
			return l.atPath(at+".host", fmt.Sprintf("server %s is defined twice", s.Host), "")
		}
		seenHost[s.Host] = true
		if s.Address == "" {
			s.Address = netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i)}).String()
		}
		if _, err := netip.ParseAddr(s.Address); err != nil {
			return l.atPath(at+".address", fmt.Sprintf("%q is not an IP address", s.Address), "")
		}
		if len(s.Listen) == 0 {
			return l.atPath(at, fmt.Sprintf("server %s listens on no port", s.Host), "add listen: [{port: 465, mode: implicit-tls}]")
		}
		for j, ln := range s.Listen {
			if ln.Port < 1 || ln.Port > 65535 {
				return l.atPath(fmt.Sprintf("%s.listen[%d].port", at, j), fmt.Sprintf("port %d is outside 1-65535", ln.Port), "")
			}
			if _, ok := modes[ln.Mode]; !ok {
				return l.atPath(fmt.Sprintf("%s.listen[%d].mode", at, j), fmt.Sprintf("unknown listener mode %q", ln.Mode), "modes: plain, starttls, implicit-tls")
			}
		}
	}

	for i, tr := range sc.Triggers {
		at := fmt.Sprintf("$.triggers[%d]", i)
		if !slices.Contains(m.events, tr.Event) {
			return l.atPath(at+".event", fmt.Sprintf("the %s does not know the event %q", m.name, tr.Event), "events: "+strings.Join(m.events, ", "))
		}
		if tr.At > sc.Duration {
			return l.atPath(at+".at", fmt.Sprintf("trigger at %v is after the end of the run (%v)", tr.At, sc.Duration), "lengthen duration or move the trigger")
		}
	}
	if d := sc.Expect.Delivered; d != nil && *d < 0 {
		return l.atPath("$.expect.delivered", "delivered cannot be negative", "")
	}
	return nil
}
