package scenarios

import (
	"os"
	"regexp"
	"testing"
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
