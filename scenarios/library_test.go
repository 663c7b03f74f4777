package scenarios

import (
	"bytes"
	"image/jpeg"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"alertsim/golden"
	"alertsim/internal/mailcheck"
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

// TestScenarios plays every scenario of the library and judges it:
// its golden record, its expectations, its messages' form, and no
// credential in its record. With -gate, TestGate plays the library
// instead, so that make test plays each scenario no more than it needs.
func TestScenarios(t *testing.T) {
	if *gateFlag {
		t.Skip("-gate: TestGate plays the library")
	}
	for _, path := range library(t) {
		t.Run(strings.TrimSuffix(path, ".yaml"), func(t *testing.T) {
			judgeScenario(t, path, libraryResult(t, path))
		})
	}
}

// played holds the first play of each library scenario in this process,
// for the tests that only read a library scenario's result (why it
// failed, its SD card): they reuse it rather than play it again.
var played sync.Map // path -> *Result

// libraryResult returns the result of the library scenario at path: this
// process's first play of it, played now if no test has yet.
func libraryResult(t *testing.T, path string) *Result {
	t.Helper()
	if res, ok := played.Load(path); ok {
		return res.(*Result)
	}
	sc, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// Those whose reports are opened in a browser keep their packets,
	// for the report's charts (capturing changes nothing in the record).
	res := Run(t, sc, Options{Capture: slices.Contains(ReportScenarios, path)})
	played.Store(path, res)
	return res
}

// checkScenario plays the library scenario loaded from path afresh with
// opts and judges it; TestGate and make demo use it.
func checkScenario(t *testing.T, path string, sc *Scenario, opts Options) *Result {
	t.Helper()
	res := Run(t, sc, opts)
	played.LoadOrStore(path, res)
	judgeScenario(t, path, res)
	return res
}

// judgeScenario is the one judgement of a library scenario's run: the
// golden record, the expectations, the messages read back by the standard
// library and go-message (outside the race detector: see raceDetector),
// no credential of the scenario file in the record, and its HTML report
// (checkReport). It says how to replay a failure.
func judgeScenario(t *testing.T, path string, res *Result) {
	t.Helper()
	golden.Assert(t, GoldenPath(path), res.Record)
	for _, c := range res.Failed() {
		t.Errorf("expectation failed: %s (seed %d)", c.Text, res.Seed)
	}
	if !raceDetector {
		checkMessages(t, res)
	}
	source, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, "the record", res.Record, secretsOf(t, source))
	checkReport(t, res, GoldenPath(path), source)
	if t.Failed() {
		if !filepath.IsAbs(path) {
			path = filepath.Join("scenarios", path)
		}
		t.Logf("replay it: make replay SCENARIO=%s SEED=%d", path, res.Seed)
	}
}

// checkMessages reads every message a run captured with the standard
// library and go-message: CRLF line ends, no line over 998 characters,
// base64 in lines of 76, and JPEG attachments that decode.
func checkMessages(t *testing.T, res *Result) {
	t.Helper()
	for _, m := range res.Captured {
		if m.Raw == nil {
			continue // past what a run keeps of raw messages
		}
		parts, err := mailcheck.Check(m.Raw)
		if err != nil {
			t.Errorf("message %d: %v", m.ID, err)
		}
		for _, p := range parts {
			if p.ContentType != "image/jpeg" {
				continue
			}
			if _, err := jpeg.Decode(bytes.NewReader(p.Body)); err != nil {
				t.Errorf("message %d: %s does not decode: %v", m.ID, p.Filename, err)
			}
		}
	}
}
