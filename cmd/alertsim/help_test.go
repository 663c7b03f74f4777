package main

import (
	"strings"
	"testing"
)

// TestHelpExitsZeroEverywhere: -h, --help and help answer with usage and
// exit 0, for the tool and for each command; help asked for is no error.
func TestHelpExitsZeroEverywhere(t *testing.T) {
	var asks [][]string
	for _, h := range []string{"-h", "-help", "--help", "help"} {
		asks = append(asks, []string{h})
		for _, c := range commands {
			asks = append(asks, []string{c.name, h})
		}
	}
	for _, c := range commands {
		asks = append(asks, []string{"help", c.name})
	}
	for _, args := range asks {
		code, out, errs := runCmd(args...)
		if code != 0 || !strings.Contains(out+errs, "usage: alertsim") {
			t.Errorf("alertsim %s: exit %d, output %q", strings.Join(args, " "), code, out+errs)
		}
	}
}

// TestListOutsideTheRepository: without a scenarios folder, list says so
// and how to name one, and prints no empty table.
func TestListOutsideTheRepository(t *testing.T) {
	t.Chdir(t.TempDir())
	code, out, errs := runCmd("list")
	if code != 1 || out != "" || !strings.Contains(errs, "there is no scenarios folder here") || !strings.Contains(errs, "alertsim list DIR") {
		t.Errorf("list outside the repository: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
