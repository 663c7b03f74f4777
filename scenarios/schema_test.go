package scenarios

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"alertsim/golden"
	"alertsim/sim/device"
)

// TestSchemaFileIsCurrent: scenarios/schema.json is what Schema generates
// from the loader's types (make golden rewrites it).
func TestSchemaFileIsCurrent(t *testing.T) {
	want, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "schema.json", want)
}

// compileSchema compiles scenarios/schema.json with a real JSON Schema
// validator, as an editor would.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("schema.json does not compile: %v", err)
	}
	return s
}

// asJSONValue reads a scenario file as the JSON value an editor's YAML
// support hands to the schema.
func asJSONValue(t *testing.T, src []byte) any {
	t.Helper()
	j, err := yaml.YAMLToJSON(src)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLibraryValidatesAgainstSchema: every scenario of the library, and
// every example of docs/SCENARIOS.md, is valid under the schema.
func TestLibraryValidatesAgainstSchema(t *testing.T) {
	s := compileSchema(t)
	for _, path := range library(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(asJSONValue(t, src)); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	for i, ex := range docExamples(t) {
		if err := s.Validate(asJSONValue(t, ex)); err != nil {
			t.Errorf("docs/SCENARIOS.md example %d: %v", i+1, err)
		}
	}
}

// TestSchemaRefusesWhatTheLoaderRefuses: the schema is not a rubber stamp;
// an editor flags the mistakes the loader would.
func TestSchemaRefusesWhatTheLoaderRefuses(t *testing.T) {
	s := compileSchema(t)
	base, err := os.ReadFile("ptz/ptz-gmail-465-motion.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to string }{
		{"misspelt key", "smtp_server:", "smtp_sever:"},
		{"unknown profile", "profile: 4g-good", "profile: 5g"},
		{"duration without a unit", "duration: 60s", "duration: 60"},
		{"unknown model", "model: ptz-4g", "model: ptz-5g"},
		{"unknown event", "event: motion", "event: earthquake"},
		{"port as text", "port: 465", "port: ssl"},
		{"unknown preset", "preset: gmail-like", "preset: yahoo-like"},
		{"firmware the model lacks", "model: ptz-4g", "model: ptz-4g\n  firmware: 9.9.9"},
	} {
		src := strings.Replace(string(base), tc.from, tc.to, 1)
		if src == string(base) {
			t.Fatalf("%s: %q not in the base file", tc.name, tc.from)
		}
		if err := s.Validate(asJSONValue(t, []byte(src))); err == nil {
			t.Errorf("%s: the schema accepts it", tc.name)
		}
		if _, err := Parse("case.yaml", []byte(src)); err == nil {
			t.Errorf("%s: the loader accepts it", tc.name)
		}
	}
}

// The schema must name the keys the loader knows; a spot check that the
// generator walked the settings of every model.
func TestSchemaNamesEveryModelsSettings(t *testing.T) {
	var doc struct {
		AllOf []struct {
			Then struct {
				Properties struct {
					Device struct {
						Properties struct {
							Settings struct {
								Properties map[string]json.RawMessage
							}
						}
					}
				}
			}
		}
	}
	b, _ := Schema()
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ptz-4g": "smtp_server", "dir-router": "smtp_server_address", "dcs-camera": "smtp_server_1", "bb-camera": "destination_addresses", "smtp-agent": "from_header", "mailer": "ssl_tls_encryption"}
	models := device.Models()
	if len(doc.AllOf) != len(models) {
		t.Fatalf("the schema has %d models, the registry %d", len(doc.AllOf), len(models))
	}
	for i, m := range doc.AllOf {
		key, ok := want[models[i].Name]
		if !ok {
			t.Errorf("model %s: no settings key to look for: add it to this test", models[i].Name)
			continue
		}
		if _, ok := m.Then.Properties.Device.Properties.Settings.Properties[key]; !ok {
			t.Errorf("model %s: settings lack %q", models[i].Name, key)
		}
	}
}
