package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"alertsim/sim/device"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestListShowsTheLibrary(t *testing.T) {
	code, out, errs := runCmd("list", "../../scenarios")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "ptz/ptz-gmail-465-motion") || !strings.Contains(out, "ptz-4g") {
		t.Errorf("list output lacks the library's scenario:\n%s", out)
	}
	// Every registered model has a row, with the library's scenarios of it
	// counted.
	for _, m := range device.Models() {
		row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m.Name) + `\s.*\s([0-9]+)\s+` + regexp.QuoteMeta(m.Summary) + `$`).FindStringSubmatch(out)
		if row == nil || row[1] == "0" {
			t.Errorf("list shows no row with scenarios for model %s:\n%s", m.Name, out)
		}
	}
}

func TestValidateReportsFileAndLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("seed: 1\nduraton: 60s\n"), 0o644)
	code, _, errs := runCmd("validate", bad)
	if code != 1 || !strings.HasPrefix(errs, bad+":2:1: unknown field \"duraton\"") {
		t.Errorf("validate of a bad file: exit %d, stderr %q", code, errs)
	}
	code, out, _ := runCmd("validate", "../../scenarios/ptz/ptz-gmail-465-motion.yaml")
	if code != 0 || !strings.HasSuffix(out, ": ok\n") {
		t.Errorf("validate of a good file: exit %d, stdout %q", code, out)
	}
}

func TestUnknownCommandShowsUsage(t *testing.T) {
	code, _, errs := runCmd("frobnicate")
	if code != 2 || !strings.Contains(errs, "usage: alertsim") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestProfilesNameTheirSources(t *testing.T) {
	code, out, _ := runCmd("profiles")
	if code != 0 || !strings.Contains(out, "4g-weak") || !strings.Contains(out, "Lighthouse") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}
