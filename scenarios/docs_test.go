package scenarios

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"alertsim/sim/device"
)

// TestDocExamplesLoad checks that every complete scenario shown in
// docs/SCENARIOS.md (a yaml block with a seed) loads and plays, so that a
// newcomer copying it gets a working file.
func TestDocExamplesLoad(t *testing.T) {
	examples := docExamples(t)
	for i, ex := range examples {
		n := i + 1
		sc, err := Parse("docs/SCENARIOS.md example", ex)
		if err != nil {
			t.Errorf("example %d: %v", n, err)
			continue
		}
		res := Run(t, sc, Options{})
		for _, c := range res.Failed() {
			t.Errorf("example %d: expectation failed: %s", n, c.Text)
		}
	}
}

// docExamples returns every complete scenario shown in docs/SCENARIOS.md:
// a yaml block with a seed.
func docExamples(t *testing.T) [][]byte {
	t.Helper()
	doc, err := os.ReadFile("../docs/SCENARIOS.md")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, b := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1) {
		if regexp.MustCompile(`(?m)^seed:`).Match(b[1]) {
			out = append(out, b[1])
		}
	}
	if len(out) == 0 {
		t.Fatal("docs/SCENARIOS.md shows no complete scenario")
	}
	return out
}

// TestDocsDescribeEveryModel: docs/SCENARIOS.md has a section for every
// registered model ("Settings of `name`", up to the next model's or the
// next heading) that names each key of its settings and each of its
// events, and names its firmware versions; a model added to the registry
// without its documentation fails here, even if its keys are another
// model's.
func TestDocsDescribeEveryModel(t *testing.T) {
	raw, err := os.ReadFile("../docs/SCENARIOS.md")
	if err != nil {
		t.Fatal(err)
	}
	// Names are written in code spans; fenced blocks would pair their
	// backticks wrongly.
	doc := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(string(raw), "")
	spans := func(text string) map[string]bool {
		out := map[string]bool{}
		for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(text, -1) {
			out[m[1]] = true
		}
		return out
	}
	everywhere := spans(doc)
	for _, m := range device.Models() {
		head := "Settings of `" + m.Name + "`"
		i := strings.Index(doc, head)
		if i < 0 {
			t.Errorf("docs/SCENARIOS.md has no section %q", head)
			continue
		}
		section := doc[i+len(head):]
		if j := strings.Index(section, "Settings of `"); j >= 0 {
			section = section[:j]
		}
		if j := strings.Index(section, "\n#"); j >= 0 {
			section = section[:j]
		}
		own := spans(section)
		var keys []string
		settings := reflect.TypeOf(m.Settings(m.DefaultFirmware())).Elem()
		for f := range settings.Fields() {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if f.IsExported() && key != "" && key != "-" && f.Tag.Get("schema") != "-" {
				keys = append(keys, key)
			}
		}
		for _, w := range append(keys, m.Events...) {
			if !own[w] {
				t.Errorf("the %s's section of docs/SCENARIOS.md does not name `%s`", m.Name, w)
			}
		}
		for _, fw := range m.Firmwares {
			if !everywhere[fw] {
				t.Errorf("docs/SCENARIOS.md does not name the %s's firmware `%s`", m.Name, fw)
			}
		}
	}
}
