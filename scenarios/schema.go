package scenarios

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"alertsim/sim/device"
)

// Schema returns the JSON Schema (draft 2020-12) of scenario files, for
// editors. It is generated from the types the loader decodes into, so it
// cannot drift from them: a key the loader knows is in it, a key it does
// not is refused (additionalProperties false), and each model's settings
// and events are checked under that model's name. scenarios/schema.json is
// its output; TestSchemaFileIsCurrent keeps it so.
//
// The schema checks shapes, names and formats; the loader checks the rest
// (values the device UI would refuse, addresses, cross-references) and
// says where.
func Schema() ([]byte, error) {
	g := &schemaGen{}
	root := g.object(reflect.TypeFor[Scenario]())
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://alertsim.example/scenarios/schema.json"
	root["title"] = "alertsim scenario"
	root["description"] = "A field report turned into a reproducible case: device, network, servers, triggers, expectations. See docs/SCENARIOS.md."

	// Each model: its settings, firmware versions and events.
	var perModel []any
	for _, m := range device.Models() {
		settings := g.object(reflect.TypeOf(m.Settings(m.DefaultFirmware())).Elem())
		dev := map[string]any{"settings": settings}
		if len(m.Firmwares) > 0 {
			dev["firmware"] = map[string]any{"enum": m.Firmwares}
		} else {
			dev["firmware"] = false
		}
		perModel = append(perModel, map[string]any{
			"if": map[string]any{
				"properties": map[string]any{"device": map[string]any{"properties": map[string]any{"model": map[string]any{"const": m.Name}}}},
			},
			"then": map[string]any{
				"properties": map[string]any{
					"device":   map[string]any{"properties": dev},
					"triggers": map[string]any{"items": map[string]any{"properties": map[string]any{"event": map[string]any{"enum": m.Events}}}},
				},
			},
		})
	}
	root["allOf"] = perModel
	b, err := json.MarshalIndent(root, "", "  ")
	return append(b, '\n'), err
}

type schemaGen struct{}

var (
	schemaerType = reflect.TypeFor[schemaer]()
	nodeType     = reflect.TypeFor[ast.Node]()
)

// object describes a struct by its yaml tags. Fields tagged yaml:"-" are
// not in files; fields tagged schema:"-" are decoded only to be refused
// with the device UI's reason, so editors flag them at once; fields tagged
// schema:"required" must be there.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || name == "" || f.Tag.Get("schema") == "-" {
			continue
		}
		props[name] = g.value(f.Type)
		if f.Tag.Get("schema") == "required" {
			required = append(required, name)
		}
	}
	obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		obj["required"] = required
	}
	return obj
}

func (g *schemaGen) value(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		return g.value(t.Elem())
	}
	if t.Implements(schemaerType) {
		return reflect.Zero(t).Interface().(schemaer).jsonSchema()
	}
	if t == nodeType {
		return map[string]any{"type": "object"} // a model's settings: see allOf
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.value(t.Elem())
	case reflect.Struct:
		return g.object(t)
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.value(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.value(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	}
	panic("schema: no JSON type for " + t.String())
}
