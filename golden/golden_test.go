package golden

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *Record {
	return &Record{
		Header:  []Field{{"scenario", "sample"}, {"seed", "1"}},
		Outcome: []string{"alert 1 (motion): delivered after 1 attempt"},
		Timeline: []Entry{
			{At: 5 * time.Second, Source: "camera", Seq: 1, Text: "motion detected"},
			{At: 5 * time.Second, Source: "camera", Seq: 2, Text: "connect 203.0.113.25:465"},
			{At: 5*time.Second + 35*time.Millisecond, Source: "net", Seq: 1, Text: "established"},
			{At: 5*time.Second + 35*time.Millisecond, Source: "camera", Seq: 3, Text: "connected"},
			{At: 5*time.Second + 70*time.Millisecond, Source: "smtp.example.com #1", Seq: 1, Text: "S: 220 ready"},
		},
	}
}

func TestRenderOrdersTimelineByStableKey(t *testing.T) {
	want := sample().Render()
	for range 20 {
		r := sample()
		rand.Shuffle(len(r.Timeline), func(i, j int) { r.Timeline[i], r.Timeline[j] = r.Timeline[j], r.Timeline[i] })
		if got := r.Render(); string(got) != string(want) {
			t.Fatalf("shuffled entries render differently:\n%s", Diff(string(want), string(got)))
		}
	}
	if !strings.Contains(string(want), "00:00:05.035  camera               connected\n") {
		t.Errorf("timeline line not as expected:\n%s", want)
	}
}

func TestCompareReportsAOneByteChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sample.golden")
	got := sample().Render()
	changed := []byte(strings.Replace(string(got), "connected", "connectes", 1))
	if err := os.WriteFile(path, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	err := Compare(path, got)
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
	if msg := err.Error(); !strings.Contains(msg, "(-want +got)") || !strings.Contains(msg, "make golden") {
		t.Errorf("error does not say how to read the diff or fix it:\n%s", msg)
	}

	// The same bytes compare equal; a missing file says how to create it.
	os.WriteFile(path, got, 0o644)
	if err := Compare(path, got); err != nil {
		t.Errorf("Compare of identical bytes: %v", err)
	}
	if err := Compare(path+".missing", got); err == nil || !strings.Contains(err.Error(), "make golden") {
		t.Errorf("Compare with no golden file: %v", err)
	}
}

func TestCompareNoticesTrailingNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	os.WriteFile(path, []byte("a\nb\n"), 0o644)
	if err := Compare(path, []byte("a\nb")); err == nil {
		t.Fatal("a missing final newline compared equal")
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                    "00:00:00.000",
		1500 * time.Microsecond:              "00:00:00.001",
		61*time.Second + 20*time.Millisecond: "00:01:01.020",
		49 * time.Hour:                       "49:00:00.000",
	} {
		if got := Clock(d); got != want {
			t.Errorf("Clock(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestRenderIndentsMultiLineEntries(t *testing.T) {
	r := &Record{Timeline: []Entry{{At: time.Second, Source: "cam", Text: "failed: 534 first line\n second line"}}}
	want := "00:00:01.000  cam  failed: 534 first line\n                    second line\n"
	if got := string(r.Render()); !strings.Contains(got, want) {
		t.Errorf("multi-line entry rendered as:\n%s\nwant:\n%s", got, want)
	}
}
