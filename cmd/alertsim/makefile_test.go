package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestMakeReplayPlaysTheFilesSeed: make replay and make report pass -seed
// only when SEED is given, so that a file explore wrote (its seed in the
// file) replays as it was found; explore's own defaults stay its own.
func TestMakeReplayPlaysTheFilesSeed(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make here")
	}
	dryRun := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("make", append([]string{"-n", "-C", "../.."}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	for _, target := range []string{"replay", "report"} {
		if out := dryRun(target, "SCENARIO=case.yaml"); strings.Contains(out, "-seed") {
			t.Errorf("make %s without SEED passes a seed:\n%s", target, out)
		}
		if out := dryRun(target, "SCENARIO=case.yaml", "SEED=7"); !strings.Contains(out, "-seed 7") {
			t.Errorf("make %s SEED=7 does not pass -seed 7:\n%s", target, out)
		}
	}
	if out := dryRun("explore"); !strings.Contains(out, "-n 1000 -seed 1 ") {
		t.Errorf("make explore does not default to N=1000 SEED=1:\n%s", out)
	}
}
