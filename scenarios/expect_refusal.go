package scenarios

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// ExpectRefusal is the device's settings page refusing the settings, as a
// field report says "the page would not save it": the field it points at,
// if given, and its words, exactly or by a pattern.
type ExpectRefusal struct {
	located
	Field   string `yaml:"field"`
	Message *Match `yaml:"message" schema:"required"`
}

// UnmarshalYAML implements goccy/go-yaml's NodeUnmarshaler.
func (x *ExpectRefusal) UnmarshalYAML(node ast.Node) error {
	type plain ExpectRefusal
	return decodeSection(node, (*plain)(x), &x.located)
}

func (x *ExpectRefusal) judge(r *Result) Check {
	want := "the settings page refuses the settings"
	if x.Field != "" {
		want += " at " + x.Field
	}
	if x.Message != nil {
		want += ": " + x.Message.String()
	}
	got := r.Scenario.Device.refused
	switch {
	case got == nil:
		return Check{Text: want + "; it took them"}
	case x.Field != "" && got.Field != x.Field:
		return Check{Text: fmt.Sprintf("%s; it refused %s instead: %q", want, got.Field, got.Message)}
	case x.Message != nil && !x.Message.matches(got.Message):
		return Check{Text: fmt.Sprintf("%s; it said %q", want, got.Message)}
	}
	return Check{OK: true, Text: fmt.Sprintf("%s: %s: %q", want, got.Field, got.Message)}
}
