package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"alertsim/explore/results"
	"alertsim/sim/device"
)

// runnerOnce builds the scenario runner once for this package's tests.
var runnerOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "alertsim-runner-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "scenarios.test")
	out, err := exec.Command("go", "test", "-c", "-o", bin, "../../scenarios").CombinedOutput()
	if err != nil {
		return "", &exec.Error{Name: "go test -c ../../scenarios: " + string(out), Err: err}
	}
	return bin, nil
})

func runner(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the scenario runner")
	}
	bin, err := runnerOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestExploreShardsMergeIntoOne: two shards of a run, two workers each,
// play every case of it once; their JUnit files and results merge into one
// JUnit file with a test case per case, and one summary that says so.
func TestExploreShardsMergeIntoOne(t *testing.T) {
	bin := runner(t)
	dir := t.TempDir()
	var files []string
	for _, shard := range []string{"1/2", "2/2"} {
		tag := strings.ReplaceAll(shard, "/", "-of-")
		junit, sum := filepath.Join(dir, "explore-"+tag+".xml"), filepath.Join(dir, "summary-"+tag+".txt")
		code, out, errs := runCmd("explore", "-runner", bin, "-n", "24", "-seed", "3", "-shard", shard, "-jobs", "2",
			"-out", filepath.Join(dir, "explore"), "-junit", junit, "-summary", sum)
		if code != 0 {
			t.Fatalf("explore -shard %s: exit %d\n%s\n%s", shard, code, out, errs)
		}
		files = append(files, junit, strings.TrimSuffix(junit, ".xml")+".jsonl")
	}
	merged := filepath.Join(dir, "merged.xml")
	code, out, errs := runCmd(append([]string{"merge", "-n", "24", "-junit", merged, "-summary", filepath.Join(dir, "merged.txt")}, files...)...)
	if code != 0 {
		t.Fatalf("merge: exit %d\n%s\n%s", code, out, errs)
	}
	s, err := results.ReadJUnit(merged)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, suite := range s.Suites {
		for _, c := range suite.Cases {
			names[c.Name] = true
		}
	}
	if s.Tests != 24 || len(names) != 24 {
		t.Errorf("merged JUnit: %d tests, %d distinct, want the run's 24 cases", s.Tests, len(names))
	}
	if !strings.Contains(out, "the shards played each of the run's 24 cases once") {
		t.Errorf("merge's summary:\n%s", out)
	}
}

// TestExploreGoesOnAfterACrash: a firmware that panics kills the runner
// in each case; explore names each case as a crash, keeps its file for
// make replay, starts the runner again after it, and fails.
func TestExploreGoesOnAfterACrash(t *testing.T) {
	bin := runner(t)
	dir := t.TempDir()
	code, out, errs := runCmd("explore", "-runner", bin, "-n", "3", "-model", "ptz-4g", "-firmware", "x-test-panic", "-jobs", "1",
		"-out", filepath.Join(dir, "explore"), "-junit", filepath.Join(dir, "j.xml"), "-summary", filepath.Join(dir, "s.txt"))
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errs)
	}
	if got := strings.Count(errs, "died in case"); got != 3 {
		t.Errorf("%d crashes reported, want 3:\n%s", got, errs)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "explore", "crash-case-*.yaml"))
	if len(kept) != 3 {
		t.Errorf("%d crashed cases kept, want 3", len(kept))
	}
	if !strings.Contains(out, "crash 3") {
		t.Errorf("the summary does not count three crashes:\n%s", out)
	}
	// Each crash's record ends with the end of the runner's output, the
	// panic's message among it.
	cs, err := results.Read(filepath.Join(dir, "j.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Errorf("%d cases recorded, want 3", len(cs))
	}
	for _, c := range cs {
		if len(c.Violations) != 1 || !strings.Contains(c.Violations[0].Detail, "the end of the output:\n") || !strings.Contains(c.Violations[0].Detail, "x-test-panic: triggered") {
			t.Errorf("case %d's record: %+v", c.Index, c.Violations)
		}
	}
}

// TestExploreSaysHowWithoutARunner: without the runner, explore says how
// to build it, and runs nothing.
func TestExploreSaysHowWithoutARunner(t *testing.T) {
	code, _, errs := runCmd("explore", "-runner", filepath.Join(t.TempDir(), "none"))
	if code != 2 || !strings.Contains(errs, "make runner") || !strings.Contains(errs, "make explore") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

// TestShippedRegistryHasNoVariant: the command, as shipped, knows no
// firmware variant (the planted defects and the tests' own are registered
// by test binaries only), and does not link the package that plants them.
func TestShippedRegistryHasNoVariant(t *testing.T) {
	for _, m := range device.Models() {
		if vs := m.Variants(); len(vs) > 0 {
			t.Errorf("%s has variants %+v in the shipped registry", m.Name, vs)
		}
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "alertsim/explore/planted" {
			t.Errorf("alertsim links %s", p)
		}
	}
}

// TestExploreRefusesWhatItCannotPlay: a model or firmware the runner does
// not know ends the run with exit 2 and the runner's own words (the
// models or firmwares it has), never as a run whose cases all passed.
func TestExploreRefusesWhatItCannotPlay(t *testing.T) {
	bin := runner(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-model", "toaster"}, `no model "toaster" (models: bb-camera`},
		{[]string{"-model", "ptz-4g", "-firmware", "9.9"}, `has no firmware "9.9" (firmwares: 5.2.0, 4.1.8)`},
	} {
		dir := t.TempDir()
		code, out, errs := runCmd(append([]string{"explore", "-runner", bin, "-n", "4", "-jobs", "2", "-out", filepath.Join(dir, "explore"),
			"-junit", filepath.Join(dir, "j.xml"), "-summary", filepath.Join(dir, "s.txt")}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "played 0 of its 2 cases") {
			t.Errorf("explore %v: exit %d, want 2 saying %q\nstdout: %s\nstderr: %s", tc.args, code, tc.want, out, errs)
		}
	}
}

// TestMergeChecksTheRunWithNoResults: merge -n with results that hold no
// case says every case is missing and fails; a negative size is refused.
func TestMergeChecksTheRunWithNoResults(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "explore-1-of-2.jsonl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"merge", "-junit", filepath.Join(dir, "m.xml"), "-summary", filepath.Join(dir, "m.txt")}
	code, out, errs := runCmd(append(append(args, "-n", "5"), empty)...)
	if code != 1 || !strings.Contains(out, "5 by none (0, 1, 2, 3, 4)") {
		t.Errorf("merge -n 5 of no case: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if code, _, errs := runCmd(append(append(args, "-n", "-3"), empty)...); code != 2 || !strings.Contains(errs, "-n -3") {
		t.Errorf("merge -n -3: exit %d, stderr %s", code, errs)
	}
}
