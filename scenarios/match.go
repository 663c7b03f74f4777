package scenarios

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Match is what an expectation wants of a text (a header, the UI's words):
// the text itself, or {pattern: ...}, a regular expression (RE2, as Go's
// regexp reads it) that must match somewhere in it (anchor it with ^ and $
// for the whole).
type Match struct {
	Exact   string
	Pattern *regexp.Regexp
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (m *Match) UnmarshalYAML(node ast.Node) error {
	if s, ok := node.(*ast.StringNode); ok {
		*m = Match{Exact: s.Value}
		return nil
	}
	var p struct {
		Pattern *string `yaml:"pattern"`
	}
	if _, ok := node.(*ast.MappingNode); !ok {
		return nodeError(node, fmt.Sprintf("%s is neither a text nor a pattern", strings.TrimSpace(node.String())), `write the text ("Site A - Motion Detected"), or {pattern: "^Site A"}`)
	}
	if err := yaml.NodeToValue(node, &p, yaml.Strict()); err != nil {
		return err
	}
	if p.Pattern == nil {
		return nodeError(node, "a match needs a pattern", `{pattern: "^Site A"}`)
	}
	re, err := regexp.Compile(*p.Pattern)
	if err != nil {
		return nodeError(valueOf(node, "pattern"), fmt.Sprintf("%q is not a regular expression: %v", *p.Pattern, strings.TrimPrefix(err.Error(), "error parsing regexp: ")), "RE2 syntax, as Go's regexp package reads it")
	}
	*m = Match{Pattern: re}
	return nil
}

func (Match) jsonSchema() map[string]any {
	return map[string]any{"anyOf": []any{
		map[string]any{"type": "string"},
		map[string]any{"type": "object", "properties": map[string]any{"pattern": map[string]any{"type": "string"}}, "required": []string{"pattern"}, "additionalProperties": false},
	}}
}

// matches reports whether s is what the match wants.
func (m Match) matches(s string) bool {
	if m.Pattern != nil {
		return m.Pattern.MatchString(s)
	}
	return s == m.Exact
}

func (m Match) String() string {
	if m.Pattern != nil {
		return "/" + m.Pattern.String() + "/"
	}
	return fmt.Sprintf("%q", m.Exact)
}
