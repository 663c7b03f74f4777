package scenarios

import (
	"runtime"
	"strings"
	"testing"
)

// nested are 200 KB files of nothing but nesting, each way YAML nests: the
// YAML library took 24 s and 15 GB to refuse the first.
func nested() map[string]string {
	const n = 100_000
	return map[string]string{
		"brackets":    "seed: 1\nx: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n",
		"braces":      "seed: 1\nx: " + strings.Repeat("{a: ", n/2) + "1" + strings.Repeat("}", n/2) + "\n",
		"dashes":      "seed: 1\nx:\n" + strings.Repeat("- ", n) + "1\n",
		"indentation": "seed: 1\n" + deepMapping(400),
		// A quote inside a plain scalar is a character, not the start of
		// a string that would hide the brackets after it.
		"brackets after a stray quote": "seed: 1\nname: a \"b\nx: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n",
	}
}

// TestQuotesInPlainValuesLoad: the nesting check reads quotes as YAML does:
// one in the middle of a plain value, or a quoted string holding brackets,
// is not nesting.
func TestQuotesInPlainValuesLoad(t *testing.T) {
	src := strings.Replace(valid, "seed: 1\n", "seed: 1\ndescription: the \"gate\" camera [north] {2}\nname: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n", 1)
	sc, err := Parse("quotes.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Description != `the "gate" camera [north] {2}` {
		t.Errorf("description %q", sc.Description)
	}
}

func deepMapping(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	return b.String()
}

// TestNestedFilesAreRefusedBeforeParsing: each nested file is refused with
// its line and column, and refusing it allocates well under 100 MB (the
// parser never sees it).
func TestNestedFilesAreRefusedBeforeParsing(t *testing.T) {
	for name, src := range nested() {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Parse("deep.yaml", []byte(src))
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "nests more than 32 levels deep") || !strings.HasPrefix(err.Error(), "deep.yaml:") {
				t.Fatalf("error %v, want the nesting refused at its line", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
				t.Errorf("refusing it allocated %d MB", alloc>>20)
			}
		})
	}
}

// BenchmarkParseNested: how long refusing the nested files takes.
func BenchmarkParseNested(b *testing.B) {
	files := nested()
	for b.Loop() {
		for _, src := range files {
			if _, err := Parse("deep.yaml", []byte(src)); err == nil {
				b.Fatal("accepted")
			}
		}
	}
}

// TestLoaderBounds: what the loader refuses, or takes, before and after
// parsing, with the line it is at.
func TestLoaderBounds(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       string // "" for a file that loads
	}{
		{"a byte order mark", "\xef\xbb\xbf" + valid, ""},
		{"UTF-16", "\xff\xfe" + valid, "bad.yaml: the file is in UTF-16 (save it as UTF-8)"},
		{"UTF-32", "\xff\xfe\x00\x00" + valid, "bad.yaml: the file is in UTF-32 (save it as UTF-8)"},
		{"too big", valid + "# " + strings.Repeat("x", maxFileBytes) + "\n", "bad.yaml: the file is"},
		{"an alias", strings.Replace(valid, "    sender_address: cam@gmail.com\n", "    sender_address: &me cam@gmail.com\n", 1) + "expect:\n  messages:\n    - {from: *me}\n",
			`bad.yaml:23:14: a YAML alias (*me)`},
		{"mtu 0", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  mtu: 0\n", 1), "bad.yaml:5:8: MTU 0 is outside 576-65535"},
		{"apostrophes and brackets in plain text", strings.Replace(valid, "seed: 1\n", "seed: 1\ndescription: Gmail's reply [534] isn't {what} the camera's log shows\n", 1), ""},
		{"a bracket in a quoted text", strings.Replace(valid, "seed: 1\n", "seed: 1\ndescription: \""+strings.Repeat("[", 40)+"\"\n", 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Fatalf("error %v, want it to start with %q", err, tc.want)
			}
		})
	}
}

// TestTimeAndExpectationKeys: the new keys refuse bad values at their line
// and turn dates into times since the start.
func TestTimeAndExpectationKeys(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       string
	}{
		{"a start without a zone", "start: 2009-06-18T17:30:00\n" + valid, `bad.yaml:1:8: "2009-06-18T17:30:00" is not a date and time with its zone`},
		{"a device clock that is neither", strings.Replace(valid, "  model: ptz-4g\n", "  model: ptz-4g\n  clock: yesterday\n", 1), `bad.yaml:5:10: "yesterday" is not a device clock`},
		{"a trigger before the start", "start: 2009-06-18T17:30:00+09:00\n" + strings.Replace(valid, "at: 5s", "at: 2009-06-18T17:29:00+09:00", 1), "bad.yaml:20:9: 2009-06-18T17:29:00+09:00 is before the start of the run"},
		{"a trigger centuries after the start", strings.Replace(valid, "at: 5s", "at: 2999-01-01T00:00:00Z", 1), "bad.yaml:19:9: 2999-01-01T00:00:00Z is too far after the start of the run"},
		{"count without every", strings.Replace(valid, "event: motion", "event: motion\n    count: 3", 1), "bad.yaml:21:12: count repeats a trigger every so often: add every"},
		{"too many triggers", strings.Replace(valid, "event: motion", "event: motion\n    every: 100us", 1), "bad.yaml:19:5: the triggers fire more than 100000 times in the run"},
		{"a bad pattern", valid + "expect:\n  messages:\n    - {subject: {pattern: \"(\"}}\n", `bad.yaml:23:27: "(" is not a regular expression`},
		{"a reply code that is none", valid + "expect:\n  replies:\n    - {code: 42}\n", "bad.yaml:23:14: 42 is not an SMTP reply code"},
		{"an enhanced code of another class", valid + "expect:\n  replies:\n    - {code: 534, enhanced: 4.7.9}\n", `bad.yaml:23:29: "4.7.9" is not an enhanced status code for a 534 reply`},
		{"an unknown outcome", valid + "expect:\n  mails:\n    - {outcome: lost}\n", `bad.yaml:23:17: unknown outcome "lost" (delivered or failed)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to start with %q", err, tc.want)
			}
		})
	}
	sc, err := Parse("ok.yaml", []byte("start: 2009-06-18T17:30:00+09:00\n"+strings.Replace(valid, "at: 5s", "at: 2009-06-18T17:30:20.5+09:00", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Triggers[0].At.D().String(); got != "20.5s" {
		t.Errorf("a trigger on 2009-06-18 at 17:30:20.5 of a run starting at 17:30:00 is at %s, want 20.5s", got)
	}
}
