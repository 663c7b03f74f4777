// Package results is what an explore run leaves behind: a line of JSON
// per case, written by the worker as it goes (so that a worker that dies
// loses nothing it finished), and what the runner makes of those lines: a
// JUnit file with a test case per explored case, and a summary table.
// Shards of a CI matrix each leave theirs; Merge makes one of them all. It
// knows nothing of testing or of scenarios, so the command-line tool can
// use it.
package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// Case is what became of one explored case.
type Case struct {
	// Root is the run's seed, Index the case's number in it, Seed the
	// scenario's own seed (in its file).
	Root  uint64 `json:"root"`
	Index int    `json:"index"`
	Seed  uint64 `json:"seed"`
	// Model and Firmware name the device ("" for a model with one).
	Model    string `json:"model"`
	Firmware string `json:"firmware"`
	// Aimed says a pilot play placed its last faults.
	Aimed bool `json:"aimed,omitempty"`
	// Violations are the invariants it broke; none when it passed.
	Violations []Violation `json:"violations,omitempty"`
	// Shrunk is the file of the shrunk case, for a failed one, and
	// ShrunkFaults how many faults it has; Original the case as drawn.
	Shrunk       string `json:"shrunk,omitempty"`
	Original     string `json:"original,omitempty"`
	ShrunkFaults int    `json:"shrunk_faults,omitempty"`
	// Seconds is the wall time the case took (both plays, a pilot and a
	// shrinking included); Allocated the bytes its plays allocated.
	Seconds   float64 `json:"seconds"`
	Allocated uint64  `json:"allocated"`
	// Features are what its world showed (delivered, a class of
	// failure, a drop, a duplicate, ...), for the summary's coverage.
	Features []string `json:"features,omitempty"`
}

// Violation is an invariant broken, and what was seen.
type Violation struct {
	Invariant string `json:"invariant"`
	Detail    string `json:"detail"`
}

// Name is the case's name in JUnit and the test's output.
func (c Case) Name() string { return fmt.Sprintf("case-%06d", c.Index) }

// Device names the model and firmware.
func (c Case) Device() string { return strings.TrimSpace(c.Model + " " + c.Firmware) }

// Failed reports whether the case broke an invariant.
func (c Case) Failed() bool { return len(c.Violations) > 0 }

// Writer appends cases to a results file, one JSON line each, flushed
// line by line.
type Writer struct {
	f *os.File
}

// Create opens a results file for appending (a worker restarted after a
// crash goes on writing where it stopped).
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &Writer{f: f}, nil
}

// Write appends one case.
func (w *Writer) Write(c Case) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = w.f.Write(append(b, '\n'))
	return err
}

// Close closes the file.
func (w *Writer) Close() error { return w.f.Close() }

// Read reads a results file. A last line cut short (a worker killed
// mid-write: no newline after it) is left out; any other line that is not
// a case is an error.
func Read(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(data, []byte("\n"))
	var out []Case
	for i, l := range lines {
		if len(l) == 0 {
			continue
		}
		var c Case
		if err := json.Unmarshal(l, &c); err != nil {
			if i == len(lines)-1 {
				break // the last line, cut short
			}
			return nil, fmt.Errorf("%s:%d: not a case of explore's results: %v", path, i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Sort orders cases by run and index, as every output lists them.
func Sort(cs []Case) {
	slices.SortStableFunc(cs, func(a, b Case) int {
		if a.Root != b.Root {
			if a.Root < b.Root {
				return -1
			}
			return 1
		}
		return a.Index - b.Index
	})
}

// Check reports cases played twice and, given the run's size, the
// indexes no shard played: shards that overlapped or left a gap.
func Check(cs []Case, n int) (twice, missing []int) {
	seen := map[int]int{}
	for _, c := range cs {
		seen[c.Index]++
	}
	for i := range n {
		switch seen[i] {
		case 0:
			missing = append(missing, i)
		case 1:
		default:
			twice = append(twice, i)
		}
	}
	return twice, missing
}

// Summary writes the table of a run: per model and firmware, cases,
// failures and the invariants broken; then the coverage of what the worlds
// showed, and the throughput.
func Summary(w io.Writer, cs []Case, wall time.Duration) {
	type row struct {
		cases, failed int
		broke         map[string]int
		seconds       float64
	}
	rows := map[string]*row{}
	features := map[string]int{}
	total := &row{broke: map[string]int{}}
	for _, c := range cs {
		r := rows[c.Device()]
		if r == nil {
			r = &row{broke: map[string]int{}}
			rows[c.Device()] = r
		}
		for _, x := range []*row{r, total} {
			x.cases++
			x.seconds += c.Seconds
			if c.Failed() {
				x.failed++
			}
			seen := map[string]bool{}
			for _, v := range c.Violations {
				if !seen[v.Invariant] {
					x.broke[v.Invariant]++
					seen[v.Invariant] = true
				}
			}
		}
		for _, f := range c.Features {
			features[f]++
		}
	}
	broke := func(r *row) string {
		if len(r.broke) == 0 {
			return "-"
		}
		var s []string
		for _, k := range slices.Sorted(maps.Keys(r.broke)) {
			s = append(s, fmt.Sprintf("%s %d", k, r.broke[k]))
		}
		return strings.Join(s, ", ")
	}
	fmt.Fprintf(w, "%-24s %8s %8s  %s\n", "MODEL AND FIRMWARE", "CASES", "FAILED", "INVARIANTS BROKEN")
	for _, d := range slices.Sorted(maps.Keys(rows)) {
		r := rows[d]
		fmt.Fprintf(w, "%-24s %8d %8d  %s\n", d, r.cases, r.failed, broke(r))
	}
	fmt.Fprintf(w, "%-24s %8d %8d  %s\n", "total", total.cases, total.failed, broke(total))
	if len(features) > 0 {
		fmt.Fprintf(w, "\nwhat the worlds showed (cases):")
		for i, f := range slices.Sorted(maps.Keys(features)) {
			sep := ", "
			if i == 0 {
				sep = " "
			}
			fmt.Fprintf(w, "%s%s %d", sep, f, features[f])
		}
		fmt.Fprintln(w)
	}
	if wall > 0 && total.cases > 0 {
		fmt.Fprintf(w, "\n%d cases in %v of wall time: %.0f a minute (%.1f ms of a worker per case)\n",
			total.cases, wall.Round(time.Second), float64(total.cases)/wall.Minutes(), 1000*total.seconds/float64(total.cases))
	}
	shown := 0
	for _, c := range cs {
		if c.Failed() {
			if shown++; shown > 20 {
				fmt.Fprintf(w, "\n... and %d more failed cases (the JUnit file lists them all)\n", total.failed-20)
				break
			}
			fmt.Fprintf(w, "\nFAIL %s (seed %d, %s): %s: %s\n", c.Name(), c.Seed, c.Device(), c.Violations[0].Invariant, c.Violations[0].Detail)
			if c.Shrunk != "" {
				fmt.Fprintf(w, "  shrunk to %d fault%s: make replay SCENARIO=%s\n", c.ShrunkFaults, plural(c.ShrunkFaults), c.Shrunk)
			}
		}
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
