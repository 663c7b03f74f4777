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

// TestDocsDescribeEveryModel: docs/SCENARIOS.md names every registered
// model, its firmware versions, its events and every key of its settings,
// so that a model added to the registry without its documentation fails
// here.
func TestDocsDescribeEveryModel(t *testing.T) {
	doc, err := os.ReadFile("../docs/SCENARIOS.md")
	if err != nil {
		t.Fatal(err)
	}
	// Names are written in code spans; fenced blocks would pair their
	// backticks wrongly.
	doc = regexp.MustCompile("(?s)```.*?```").ReplaceAll(doc, nil)
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllSubmatch(doc, -1) {
		documented[string(m[1])] = true
	}
	for _, m := range device.Models() {
		want := []string{m.Name}
		want = append(want, m.Firmwares...)
		want = append(want, m.Events...)
		settings := reflect.TypeOf(m.Settings(m.DefaultFirmware())).Elem()
		for f := range settings.Fields() {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if f.IsExported() && key != "" && key != "-" && f.Tag.Get("schema") != "-" {
				want = append(want, key)
			}
		}
		for _, w := range want {
			if !documented[w] {
				t.Errorf("docs/SCENARIOS.md does not name `%s` of the %s", w, m.Name)
			}
		}
	}
}
