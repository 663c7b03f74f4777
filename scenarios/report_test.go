package scenarios_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"alertsim/golden"
	"alertsim/report"
	"alertsim/scenarios"
)

var reportFlag = flag.String("report", "", "with -scenario: write the run's HTML report to this `file` (make report)")

// The gate (package scenarios' TestGate) writes its index and reports
// through these: it cannot import package report, which imports it.
func init() {
	scenarios.GateReport = func(w io.Writer, res *scenarios.Result, checks []scenarios.Check) error {
		return report.Write(w, res, report.Options{Checks: checks})
	}
	scenarios.GateIndex = func(w io.Writer, title string, cells []scenarios.GateCell) error {
		out := make([]report.Cell, len(cells))
		for i, c := range cells {
			out[i] = report.Cell(c)
		}
		return report.WriteIndex(w, title, out)
	}
}

// TestReport plays the scenario named by -scenario with its packets and
// writes its HTML report to -report: make report's entry point. It fails
// when the run does not meet its expectations or its golden record, as
// make replay does, after writing the report that shows why.
func TestReport(t *testing.T) {
	path, seed := scenarios.ReplayFlags()
	if path == "" || *reportFlag == "" {
		t.Skip("run by make report SCENARIO=path")
	}
	sc, err := scenarios.Load(path)
	if err != nil {
		fmt.Println(err)
		t.FailNow()
	}
	opts := scenarios.Options{Capture: true}
	if seed != "" {
		s, err := strconv.ParseUint(seed, 10, 64)
		if err != nil {
			t.Fatalf("-seed %q: want a non-negative integer", seed)
		}
		opts.Seed = &s
	}
	res := scenarios.Run(t, sc, opts)
	var checks []scenarios.Check
	if c, ok := goldenCheck(path, sc, res); ok {
		checks = append(checks, c)
	}
	var buf bytes.Buffer
	begin := time.Now()
	if err := report.Write(&buf, res, report.Options{Checks: checks}); err != nil {
		t.Fatal(err)
	}
	took := time.Since(begin)
	source, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scenarios.SecretsOf(t, source) {
		if bytes.Contains(buf.Bytes(), []byte(s)) {
			t.Fatalf("the report holds a credential of %s: not written", path)
		}
	}
	if err := os.WriteFile(*reportFlag, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("report: %s (%d bytes, written in %v)\n", *reportFlag, buf.Len(), took.Round(time.Millisecond))
	ok := true
	for _, c := range append(res.Checks, checks...) {
		if !c.OK {
			ok = false
		}
	}
	fmt.Printf("outcome: %s\n", res.Outcome())
	if !ok {
		fmt.Printf("expectations failed (seed %d): the report says which\n", res.Seed)
		t.Fail()
	}
}

// goldenCheck compares the run with the golden record beside the
// scenario, when there is one and the run has the file's seed. The check
// names the record by its file name alone, so that the report is the same
// bytes wherever the scenario lies.
func goldenCheck(path string, sc *scenarios.Scenario, res *scenarios.Result) (scenarios.Check, bool) {
	if res.Seed != sc.Seed || golden.Updating() {
		return scenarios.Check{}, false
	}
	gp := scenarios.GoldenPath(path)
	shown := filepath.Base(gp)
	var mismatch *golden.MismatchError
	switch err := golden.Compare(gp, res.Record); {
	case err == nil:
		return scenarios.Check{OK: true, Text: "golden record " + shown + " matches"}, true
	case errors.Is(err, fs.ErrNotExist):
		return scenarios.Check{}, false
	case errors.As(err, &mismatch):
		mismatch.Path = shown
		return scenarios.Check{Text: "golden record: " + mismatch.Error()}, true
	default:
		return scenarios.Check{Text: "golden record: " + err.Error()}, true
	}
}

// TestReportIsTheSameEveryRun: the same scenario gives the same report,
// byte for byte, played twice (and written twice from one play). The
// scenario has a chart of a lossy upload, a snapshot and a STARTTLS
// session.
func TestReportIsTheSameEveryRun(t *testing.T) {
	sc, err := scenarios.Load("testdata/captured.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var pages [3]bytes.Buffer
	first := scenarios.Run(t, sc, scenarios.Options{Capture: true})
	for i, res := range []*scenarios.Result{first, scenarios.Run(t, sc, scenarios.Options{Capture: true}), first} {
		if err := report.Write(&pages[i], res, report.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{`<figure class="conn"`, `<img class="snap" id="img-1" src="data:image/jpeg;base64,`, `class="ev k-retx"`} {
		if !bytes.Contains(pages[0].Bytes(), []byte(want)) {
			t.Errorf("the report has no %s", want)
		}
	}
	if !bytes.Equal(pages[0].Bytes(), pages[1].Bytes()) {
		t.Errorf("two plays of %s: reports of %d and %d bytes, not the same", sc.Path, pages[0].Len(), pages[1].Len())
	}
	if !bytes.Equal(pages[0].Bytes(), pages[2].Bytes()) {
		t.Errorf("one play of %s written twice: not the same", sc.Path)
	}
}
