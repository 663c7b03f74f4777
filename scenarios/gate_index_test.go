package scenarios

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"alertsim/golden"
)

// The gate's HTML index (make gate): every case it played, pass or fail,
// linked to a report of the run. Package report imports this one, so the
// gate reaches it through hooks that report_test.go (package
// scenarios_test, in this test binary) sets.

var (
	indexFlag   = flag.String("index", "", "with -gate: write an HTML index of the cases played to this `file`, and beside it a report of each failing case")
	reportsFlag = flag.String("reports", "failed", "with -index: write a report of the `failed` cases, or of all of them")
)

// GateCell is a case of the gate as its index lists it (report.Cell,
// field by field).
type GateCell struct {
	Name                     string
	Matrix                   bool
	Model, Firmware, Profile string
	Presets                  []string
	OK                       bool
	Outcome, Problem         string
	Report                   string
	Files                    []string
}

// GateReport writes a run's HTML report, with verdicts the run does not
// hold (the golden record's); GateIndex writes the index. report_test.go
// sets them.
var (
	GateReport func(w io.Writer, res *Result, checks []Check) error
	GateIndex  func(w io.Writer, title string, cells []GateCell) error
)

// gateReports reports whether the gate writes reports, and of every case.
func gateReports() (on, all bool) {
	return *indexFlag != "" && GateReport != nil, *reportsFlag == "all"
}

// gateCell is the index's line for a case played from sc.
func gateCell(name string, matrix bool, sc *Scenario, res *Result, ok bool) GateCell {
	c := GateCell{Name: name, Matrix: matrix, Model: sc.Device.Model.Name, Firmware: string(sc.Device.Firmware), Profile: sc.Network.Profile.Name, OK: ok}
	for _, s := range sc.Servers {
		if s.Preset.Name != "" {
			c.Presets = append(c.Presets, s.Preset.Name)
		}
	}
	if res != nil {
		c.Outcome = res.Outcome()
	}
	return c
}

// maxReportSize is the most a report may weigh (issue 15: the largest
// library scenario's under 5 MB).
const maxReportSize = 5_000_000

// judgeReport writes the report of a case, with the comparison of its
// record with goldenPath, and judges it as the record is judged: none of
// the scenario's credentials in it, nor in the messages the servers
// captured; and no heavier than maxReportSize. It returns the report, and
// what failed first for the index (c may be nil).
func judgeReport(t *testing.T, c *GateCell, res *Result, goldenPath string, source []byte) []byte {
	t.Helper()
	var checks []Check
	problem := ""
	// Under make golden (-update) Compare would write the record again:
	// there is nothing to compare with.
	if !golden.Updating() {
		switch err := golden.Compare(goldenPath, res.Record); {
		case err == nil:
			checks = append(checks, Check{OK: true, Text: "golden record " + goldenPath + " matches"})
		case !errors.Is(err, fs.ErrNotExist):
			checks = append(checks, Check{Text: "golden record: " + err.Error()})
			problem = "the record differs from " + goldenPath
		}
	}
	for _, f := range res.Failed() {
		if problem == "" {
			problem = "expectation failed: " + f.Text
		}
	}
	if c != nil && c.Problem == "" {
		c.Problem = problem
	}
	var buf bytes.Buffer
	if err := GateReport(&buf, res, checks); err != nil {
		t.Errorf("the report: %v", err)
		return nil
	}
	secrets := secretsOf(t, source)
	noSecrets(t, "the report", buf.Bytes(), secrets)
	for _, m := range res.Captured {
		noSecrets(t, fmt.Sprintf("message %d as the server captured it", m.ID), m.Raw, secrets)
	}
	if buf.Len() > maxReportSize {
		t.Errorf("the report is %d bytes, over %d", buf.Len(), maxReportSize)
	}
	return buf.Bytes()
}

// checkReport judges the report of a case the gate does not write one of
// (judgeReport), where reports can be made (report_test.go is in the
// binary) and outside the race detector (a report is half a second of
// base64 and SVG under it, and checks no race): so make test judges the
// report of every library scenario and every cell of the matrix in the
// gate's passes.
func checkReport(t *testing.T, res *Result, goldenPath string, source []byte) {
	t.Helper()
	if GateReport == nil || raceDetector || *indexFlag != "" {
		return
	}
	judgeReport(t, nil, res, goldenPath, source)
}

// writeGateReport writes the report of a case beside the index, as
// name.html, and says so in c.
func writeGateReport(t *testing.T, c *GateCell, res *Result, goldenPath string, source []byte) {
	t.Helper()
	page := judgeReport(t, c, res, goldenPath, source)
	if page == nil {
		return
	}
	path := filepath.Join(filepath.Dir(*indexFlag), filepath.FromSlash(c.Name)+".html")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Error(err)
		return
	}
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Error(err)
		return
	}
	c.Report = c.Name + ".html"
}

// writeGateIndex writes the index of the cases played.
func writeGateIndex(t *testing.T, cells []GateCell, k, n int) {
	t.Helper()
	var buf bytes.Buffer
	title := "alertsim release gate"
	if n > 1 {
		title += fmt.Sprintf(", shard %d of %d", k, n)
	}
	if err := GateIndex(&buf, title, cells); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(*indexFlag), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*indexFlag, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, c := range cells {
		if !c.OK {
			failed++
		}
	}
	fmt.Printf("gate index: %s (%d cases, %d failed)\n", *indexFlag, len(cells), failed)
}

// indexRelative is path relative to the index's folder, with slashes.
func indexRelative(path string) string {
	rel, err := filepath.Rel(filepath.Dir(*indexFlag), path)
	if err != nil {
		return path
	}
	return strings.ReplaceAll(rel, string(filepath.Separator), "/")
}
