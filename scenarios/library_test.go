package scenarios

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"alertsim/golden"
)

// library returns every scenario file under this directory, testdata
// excepted, in a stable order.
func library(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".yaml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("the scenario library is empty")
	}
	return files
}

// TestScenarios plays every scenario of the library and compares its
// record with the golden file beside it.
func TestScenarios(t *testing.T) {
	for _, path := range library(t) {
		t.Run(strings.TrimSuffix(path, ".yaml"), func(t *testing.T) {
			sc, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			checkScenario(t, path, sc)
		})
	}
}

// checkScenario plays the library scenario loaded from path and checks it
// against its golden record and its expectations, saying how to replay it
// when it fails. TestScenarios, TestGate and make demo all judge a
// scenario this way.
func checkScenario(t *testing.T, path string, sc *Scenario) *Result {
	t.Helper()
	res := Run(t, sc, Options{})
	golden.Assert(t, GoldenPath(path), res.Record)
	for _, c := range res.Failed() {
		t.Errorf("expectation failed: %s (seed %d)", c.Text, res.Seed)
	}
	if t.Failed() {
		t.Logf("replay it: make replay SCENARIO=scenarios/%s SEED=%d", path, res.Seed)
	}
	return res
}

// eachScenario runs fn as a subtest for every scenario of the library,
// loaded.
func eachScenario(t *testing.T, fn func(t *testing.T, path string, sc *Scenario)) {
	for _, path := range library(t) {
		t.Run(path, func(t *testing.T) {
			sc, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, path, sc)
		})
	}
}
