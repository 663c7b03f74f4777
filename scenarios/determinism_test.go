package scenarios

import (
	"testing"

	"alertsim/golden"
)

// TestRecordsAreDeterministic plays every scenario twice in one process:
// the records must be byte-identical. (Across processes, -count, -shuffle,
// -race and GOMAXPROCS=1 are covered by comparing with the golden files.)
func TestRecordsAreDeterministic(t *testing.T) {
	if raceDetector {
		t.Skip("replays the library: run without -race (make test does)")
	}
	eachScenario(t, func(t *testing.T, path string, sc *Scenario) {
		first := Run(t, sc, Options{}).Record
		second := Run(t, sc, Options{}).Record
		if string(first) != string(second) {
			t.Errorf("two runs of %s (seed %d) differ (-first +second):\n%s", path, sc.Seed, golden.Diff(string(first), string(second)))
		}
	})
}
