package golden

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// update is the -update flag of every test binary that uses this package,
// as in gotest.tools/golden: `go test ./scenarios -update` (make golden)
// rewrites the golden files instead of comparing with them.
var update = flag.Bool("update", false, "rewrite golden files with the current output instead of comparing")

// Updating reports whether -update was given.
func Updating() bool { return *update }

// MismatchError is a record that differs from its golden file.
type MismatchError struct {
	Path string
	// Diff is the line diff, "(-want +got)".
	Diff string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s differs from this run (-want +got):\n%s\nIf the change is intended, run `make golden` and review the diff before committing.", e.Path, e.Diff)
}

// Compare checks got against the golden file at path, or rewrites the file
// when -update is set. A missing file is an error that says how to create
// it and matches fs.ErrNotExist.
func Compare(path string, got []byte) error {
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no golden record at %s: run `make golden` to create it, then review it: %w", path, fs.ErrNotExist)
	}
	if err != nil {
		return err
	}
	if string(want) == string(got) {
		return nil
	}
	return &MismatchError{Path: path, Diff: Diff(string(want), string(got))}
}

// Diff returns a line diff of two texts, "(-want +got)".
// Equal texts have no diff.
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	// Lines compare as wholes (a slice of strings, not one string): a
	// changed line shows as - and + rather than as a character diff inside
	// it.
	d := cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n"))
	if d == "" {
		// Same lines: the difference is in the last line's ending.
		d = fmt.Sprintf("-%q\n+%q\n", want[max(len(want)-40, 0):], got[max(len(got)-40, 0):])
	}
	return d
}

// TB is the part of testing.TB that Assert uses.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Assert fails t when got differs from the golden file at path.
func Assert(t TB, path string, got []byte) {
	t.Helper()
	if err := Compare(path, got); err != nil {
		t.Errorf("%v", err)
	}
}
