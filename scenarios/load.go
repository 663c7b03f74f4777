package scenarios

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
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
	if node == nil {
		return e // the file as a whole
	}
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
func Parse(path string, data []byte) (*Scenario, error) {
	l := &loader{path: path}
	data, err := checkShape(data)
	if err != nil {
		return nil, l.wrap(err)
	}
	var file *ast.File
	if err := l.yamlCall(nil, func() (err error) {
		file, err = parser.ParseBytes(data, 0)
		return err
	}); err != nil {
		return nil, err
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
	sc := &Scenario{Path: path}
	if _, ok := docs[0].Body.(*ast.MappingNode); !ok {
		return nil, l.at(docs[0].Body, "a scenario is a mapping of keys (seed, duration, device, ...)", "see docs/SCENARIOS.md")
	}
	if err := noAliases(docs[0].Body); err != nil {
		return nil, l.wrap(err)
	}
	if err := l.yamlCall(docs[0].Body, func() error { return yaml.NodeToValue(docs[0].Body, sc, yaml.Strict()) }); err != nil {
		return nil, err
	}
	sc.node = docs[0].Body
	if err := sc.check(l); err != nil {
		return nil, err
	}
	return sc, nil
}

// loader reports problems in the file at path.
type loader struct {
	path string
}

// yamlCall runs a call into the YAML library (which also runs our value
// types' decoders). The library is not ours: whatever it does with hostile
// input, a bad file must be an error, never a crash. A panic in our own
// checks is a bug, and crashes.
func (l *loader) yamlCall(at ast.Node, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			// The library's panic says nothing of where: point at the part
			// of the file it was reading.
			err = l.wrap(nodeError(at, fmt.Sprintf("cannot parse the scenario: %v", r), "check this part of the file for a YAML tag (!...) or an anchor where a value belongs"))
		}
	}()
	if err := f(); err != nil {
		return l.wrap(err)
	}
	return nil
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

// whole returns an error about the file as a whole: a key it lacks at
// the top level.
func (l *loader) whole(msg, hint string) error {
	return &Error{File: l.path, Msg: msg, Hint: hint}
}
