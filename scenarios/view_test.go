package scenarios

import (
	"slices"
	"strings"
	"testing"
)

// TestViewOfARun: what a report reads of a run is the record's: the
// timeline has the record's lines in its order (a line of text each, the
// first of a multi-line one), the header its header, and every server
// session is a source of the timeline under the name the record gives
// it, and the other way round.
func TestViewOfARun(t *testing.T) {
	res := libraryResult(t, "ptz/ptz-greylisted-retry-delivered.yaml")
	record := string(res.Record)
	tl := record[strings.Index(record, "## timeline\n")+len("## timeline\n") : strings.Index(record, "\n## messages")]
	var firsts []string
	for _, l := range strings.Split(strings.TrimRight(tl, "\n"), "\n") {
		if !strings.HasPrefix(l, " ") {
			firsts = append(firsts, l)
		}
	}
	entries := res.Timeline()
	if len(entries) != len(firsts) {
		t.Fatalf("%d timeline entries, the record has %d lines", len(entries), len(firsts))
	}
	for i, e := range entries {
		first, _, _ := strings.Cut(e.Text, "\n")
		if l := firsts[i]; !strings.HasPrefix(l, Clock(e.At)) || !strings.HasSuffix(l, first) || !strings.Contains(l, "  "+e.Source+" ") {
			t.Errorf("entry %d is %v %q %q; the record's line %q", i, e.At, e.Source, e.Text, l)
		}
	}
	for _, f := range res.Header() {
		if !strings.Contains(record, f.Name+":") || !strings.Contains(record, f.Value) {
			t.Errorf("header field %s: %s is not the record's", f.Name, f.Value)
		}
	}
	var sources []string
	for _, e := range entries {
		if e.Rank == RankServer && !slices.Contains(sources, e.Source) {
			sources = append(sources, e.Source)
		}
	}
	var sessions []string
	for _, s := range res.Sessions {
		sessions = append(sessions, s.Source)
		if len(s.Transcript) == 0 {
			t.Errorf("session %s has no transcript", s.Source)
		}
	}
	if len(sessions) != 3 || !slices.Equal(sessions, sources) {
		t.Errorf("sessions %q, the timeline's %q", sessions, sources)
	}
	// TestScenarios's play of it kept its packets, for the report's
	// browser test (with -gate, TestGate's play comes first, without).
	if res.Packets() == nil && !*gateFlag {
		t.Error("a scenario the report's browser test opens was played without its packets")
	}
}
