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
	doc, err := os.ReadFile("../docs/SCENARIOS.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1)
	n := 0
	for _, b := range blocks {
		if !regexp.MustCompile(`(?m)^seed:`).Match(b[1]) {
			continue
		}
		n++
		sc, err := Parse("docs/SCENARIOS.md example", b[1])
		if err != nil {
			t.Errorf("example %d: %v", n, err)
			continue
		}
		res := Run(t, sc, Options{})
		for _, c := range res.Failed() {
			t.Errorf("example %d: expectation failed: %s", n, c.Text)
		}
	}
	if n == 0 {
		t.Fatal("docs/SCENARIOS.md shows no complete scenario")
	}
}
