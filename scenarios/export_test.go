package scenarios

import "testing"

// The report's tests and make report's entry point (report_test.go) are
// in package scenarios_test: they import alertsim/report, which imports
// this package. They are in this package's test binary all the same, so
// these give them its helpers and its one play of each library scenario.

// CapturedResult is capturedResult: the play with Options.Capture.
func CapturedResult(t *testing.T, path string) *Result { return capturedResult(t, path) }

// SecretsOf is the records' credential check's list of secrets.
func SecretsOf(t *testing.T, source []byte) []string { return secretsOf(t, source) }

// ReplayFlags are make replay's -scenario and -seed.
func ReplayFlags() (scenario, seed string) { return *replayFlag, *seedFlag }

// RaceDetector is raceDetector.
const RaceDetector = raceDetector

// ReportScenarios are the library scenarios whose reports
// TestReportInBrowser opens: a black hole (folded runs of drops, a flat
// chart, no mail but the SD card's frame), a 4 MB burst over 4G (a long
// upload, big snapshots) and a greylisting retry (three sessions, refused
// replies). This process's first play of each keeps its packets
// (libraryResult), so that the test reuses it instead of playing them a
// fourth time in make test.
var ReportScenarios = []string{
	"network/ptz-4g-mtu1500-handshake-blackhole.yaml",
	"network/ptz-4g-weak-main-stream-burst-15-20s.yaml",
	"ptz/ptz-greylisted-retry-delivered.yaml",
}
