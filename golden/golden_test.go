package golden

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = "# a record\n00:00:05.000  camera  motion detected\n00:00:05.035  camera  connected\n"

func TestCompareReportsAOneByteChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sample.golden")
	changed := strings.Replace(sample, "connected", "connectes", 1)
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Compare(path, []byte(sample))
	var m *MismatchError
	if !errors.As(err, &m) {
		t.Fatalf("Compare of a changed record = %v, want a MismatchError", err)
	}
	// go-cmp varies its output's spacing on purpose (non-breaking spaces
	// at random): compare words, not layout.
	diff := strings.Join(strings.Fields(strings.ReplaceAll(m.Diff, "\u00a0", " ")), " ")
	for _, want := range []string{`- "00:00:05.035 camera connectes",`, `+ "00:00:05.035 camera connected",`} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, m.Diff)
		}
	}
	for _, l := range strings.Split(strings.ReplaceAll(m.Diff, "\u00a0", " "), "\n") {
		if l = strings.TrimSpace(l); (strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+")) && strings.Contains(l, "motion detected") {
			t.Errorf("diff marks a line that did not change: %s", l)
		}
	}
	if msg := err.Error(); !strings.Contains(msg, "(-want +got)") || !strings.Contains(msg, "make golden") {
		t.Errorf("error does not say how to read the diff or fix it:\n%s", msg)
	}

	// The same bytes compare equal; a missing file says how to create it.
	os.WriteFile(path, []byte(sample), 0o644)
	if err := Compare(path, []byte(sample)); err != nil {
		t.Errorf("Compare of identical bytes: %v", err)
	}
	if err := Compare(path+".missing", []byte(sample)); err == nil || !strings.Contains(err.Error(), "make golden") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Compare with no golden file: %v", err)
	}
}

func TestCompareNoticesTrailingNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	os.WriteFile(path, []byte("a\nb\n"), 0o644)
	err := Compare(path, []byte("a\nb"))
	var m *MismatchError
	if !errors.As(err, &m) || m.Diff == "" {
		t.Fatalf("a missing final newline: %v", err)
	}
}

// fakeTB records what Assert reports.
type fakeTB struct{ errors []string }

func (*fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, format)
}

func TestAssertFailsOnlyOnADifference(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	os.WriteFile(path, []byte(sample), 0o644)
	var tb fakeTB
	Assert(&tb, path, []byte(sample))
	if len(tb.errors) != 0 {
		t.Errorf("Assert of identical bytes reported %v", tb.errors)
	}
	Assert(&tb, path, []byte(sample+"more\n"))
	if len(tb.errors) != 1 {
		t.Errorf("Assert of different bytes reported %d errors, want 1", len(tb.errors))
	}
}
