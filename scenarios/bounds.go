package scenarios

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// The YAML library has no limit of its own on how deeply a document nests,
// and its checks run late, in the decoder: a 200 KB file of nested brackets
// took it 24 s and 15 GB to refuse. So the loader looks at the bytes first,
// and refuses what no scenario needs, before the parser sees them.
const (
	// maxFileBytes bounds a scenario file: the library's are 1-3 KB, and
	// a day of triggers written out one by one is about 300 KB.
	maxFileBytes = 2 << 20
	// maxNesting bounds how deeply collections nest, in brackets or by
	// indentation: a scenario nests six deep at most (expect, messages,
	// a message, headers, a header, a pattern).
	maxNesting = 32
	// maxIndent bounds a line's indentation, in columns.
	maxIndent = 4 * maxNesting
)

// utf8BOM is the byte order mark some Windows editors put at the start of
// a UTF-8 file.
var utf8BOM = []byte("\xef\xbb\xbf")

// checkShape refuses, before parsing, a file too big, nested too deeply, or
// not in UTF-8. It returns the bytes to parse: a UTF-8 byte order mark is
// dropped, as every editor shows the file without it.
func checkShape(data []byte) ([]byte, error) {
	if len(data) > maxFileBytes {
		return nil, &posError{msg: fmt.Sprintf("the file is %d bytes; a scenario is at most %d", len(data), maxFileBytes), hint: "repeat a trigger with every: instead of writing each out"}
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe, 0, 0}) || bytes.HasPrefix(data, []byte{0, 0, 0xfe, 0xff}):
		return nil, &posError{msg: "the file is in UTF-32", hint: "save it as UTF-8"}
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return nil, &posError{msg: "the file is in UTF-16", hint: "save it as UTF-8"}
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if line, col, ok := tooDeep(data); !ok {
		return nil, &posError{line: line, col: col, msg: fmt.Sprintf("the file nests more than %d levels deep", maxNesting), hint: "a scenario nests a few levels at most; see docs/SCENARIOS.md"}
	}
	return data, nil
}

// tooDeep scans YAML source for nesting: flow collections ([ and {, outside
// quoted scalars and comments) and block indentation, with the sequence
// dashes that open a level on the same line ("- - - x"). It reports where
// the nesting passes maxNesting, and ok when it never does. It follows YAML
// just enough: a quote opens a quoted scalar only where a scalar can begin
// (after a space, a colon, a dash, an opening bracket or a comma), so that
// "Gmail's" stays plain text.
func tooDeep(data []byte) (line, col int, ok bool) {
	const (
		plain = iota
		single
		double
		comment
	)
	state := plain
	flow := 0
	line, col = 1, 0
	atLineStart, indent, dashes := true, 0, 0
	prev := byte('\n')
	// valueStart: the next character starts a value (after "key: ", "- ",
	// '[', '{', ',' or at a line's start), where a quote opens a quoted
	// scalar; inside a plain scalar a quote is just a character.
	valueStart := true
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '\n' {
			line, col = line+1, 0
			if state == comment {
				state = plain
			}
			atLineStart, indent, dashes, prev, valueStart = true, 0, 0, c, true
			continue
		}
		col++
		switch state {
		case comment:
			continue
		case double:
			switch c {
			case '\\':
				i++
				col++
			case '"':
				state = plain
			}
			prev = c
			continue
		case single:
			if c == '\'' {
				state = plain
			}
			prev = c
			continue
		}
		if atLineStart {
			switch {
			case c == ' ':
				indent++
				if indent > maxIndent {
					return line, col, false
				}
				continue
			case c == '-' && i+1 < len(data) && (data[i+1] == ' ' || data[i+1] == '\n'):
				dashes++
				if indent/2+dashes > maxNesting {
					return line, col, false
				}
				prev, valueStart = c, true
				continue
			}
			atLineStart = false
		}
		switch {
		case c == '#' && (prev == ' ' || prev == '\t' || prev == '\n'):
			state = comment
		case c == '"' && valueStart:
			state = double
		case c == '\'' && valueStart:
			state = single
		case c == '[' || c == '{':
			flow++
			if flow+indent/2+dashes > maxNesting {
				return line, col, false
			}
		case c == ']' || c == '}':
			flow = max(flow-1, 0)
		}
		switch {
		case c == ' ' || c == '\t':
		case c == '[' || c == '{' || c == ',':
			valueStart = true
		case c == ':' && (i+1 == len(data) || data[i+1] == ' ' || data[i+1] == '\n' || data[i+1] == '\r'):
			valueStart = true
		case state == double || state == single:
			// A quoted scalar began: the value has started.
			valueStart = false
		default:
			valueStart = false
		}
		prev = c
	}
	return 0, 0, true
}

// noAliases refuses YAML aliases (*name): expanded by the decoder, a few
// lines of them make gigabytes (the "billion laughs"), and no scenario
// needs one.
func noAliases(doc ast.Node) error {
	var found ast.Node
	ast.Walk(visitFunc(func(n ast.Node) bool {
		if _, ok := n.(*ast.AliasNode); ok && found == nil {
			found = n
		}
		return found == nil
	}), doc)
	if found != nil {
		return nodeError(found, "a YAML alias ("+strings.TrimSpace(found.String())+")", "scenario files take no anchors and aliases: write the value out")
	}
	return nil
}

type visitFunc func(ast.Node) bool

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if f(n) {
		return f
	}
	return nil
}
