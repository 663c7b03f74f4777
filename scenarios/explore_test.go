package scenarios_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"alertsim/explore"
	"alertsim/explore/planted"
	"alertsim/explore/results"
	"alertsim/scenarios"
	"alertsim/sim/device"
)

// Explore runs in this package's test binary, beside the gate and
// replay, for the same reason: virtual time exists only in a test. The
// binary also holds the planted firmware variants (package planted), so
// that make replay plays a shrunk case of one as it plays any file; the
// gate, the schema and the docs read Model.Firmwares, which never lists
// them.
var (
	exploreFlag     = flag.Bool("explore", false, "generate worlds, play each twice and judge it by the invariants (make explore)")
	exploreN        = flag.Int("explore.n", 1000, "with -explore: how many cases the run has, over all its shards")
	exploreSeed     = flag.Uint64("explore.seed", 1, "with -explore: the run's `seed`, which every case derives from")
	exploreModel    = flag.String("explore.model", "", "with -explore: only this model")
	exploreFirmware = flag.String("explore.firmware", "", "with -explore: only this firmware (a shipped one, or a planted variant)")
	exploreJob      = flag.String("explore.job", "1/1", "with -explore: play only part `m/j` of the shard (the runner's parallel workers)")
	exploreFrom     = flag.Int("explore.from", 0, "with -explore: skip the cases before this `index` (a worker started again after a crash)")
	exploreOut      = flag.String("explore.out", "../build/explore", "with -explore: the `folder` where failing cases are written, shrunk")
	exploreResults  = flag.String("explore.results", "", "with -explore: append a JSON line per case to this `file`")
	exploreShrink   = flag.Int("explore.shrink", 400, "with -explore: the most plays a failing case's shrinking may take")
	exploreCheck    = flag.String("explore.check", "", "play this scenario `file` twice and judge it by explore's invariants")
)

// TestExplore plays the cases of the run that fall in this shard and
// this worker's part of it, each a subtest (so that a JUnit report has a
// case per explored case): the world drawn, played twice, judged; a
// failing one shrunk and written to the out folder with the invariant it
// breaks, ready for make replay.
func TestExplore(t *testing.T) {
	if *exploreCheck != "" {
		checkFile(t, *exploreCheck)
		return
	}
	if !*exploreFlag {
		t.Skip("run by make explore")
	}
	k, n, err := scenarios.ParseShard(flag.Lookup("shard").Value.String())
	if err != nil {
		t.Fatal(err)
	}
	m, j, err := scenarios.ParseShard(*exploreJob)
	if err != nil {
		t.Fatalf("-explore.job: %v", err)
	}
	if err := os.MkdirAll(*exploreOut, 0o755); err != nil {
		t.Fatal(err)
	}
	var w *results.Writer
	if *exploreResults != "" {
		if w, err = results.Create(*exploreResults); err != nil {
			t.Fatal(err)
		}
		defer w.Close()
	}
	// The case about to be played, so that a crash of the process (a
	// panic on one of the run's goroutines, which no test can catch)
	// leaves it behind for the runner to name and replay.
	current := filepath.Join(*exploreOut, fmt.Sprintf("current-%s-%d-of-%d.yaml", strings.ReplaceAll(flag.Lookup("shard").Value.String(), "/", "-of-"), m, j))
	f := explore.Filter{Model: *exploreModel, Firmware: *exploreFirmware}
	// A model or firmware the registry does not know would fail every
	// case the same way: said once, before any is played.
	if _, err := explore.Generate(*exploreSeed, 0, f); err != nil {
		fmt.Printf("\n%v\n", err)
		os.Stdout.Sync()
		os.Exit(1)
	}
	// A file left by an earlier run must not be taken for this one's.
	os.Remove(current)
	var cs []results.Case
	begin := time.Now()
	for i := *exploreFrom; i < *exploreN; i++ {
		if !explore.InShard(i, k, n) || !explore.InShard(i/n, m, j) {
			continue
		}
		c := exploreCase(t, *exploreSeed, i, f, current)
		cs = append(cs, c)
		if w != nil {
			if err := w.Write(c); err != nil {
				t.Fatal(err)
			}
		}
	}
	os.Remove(current)
	// A worker of make explore leaves its results to the runner, which
	// sums up all its workers; played alone, it sums up itself.
	if w == nil {
		var b strings.Builder
		results.Summary(&b, cs, time.Since(begin))
		fmt.Print(b.String())
		if path := flag.Lookup("summary").Value.String(); path != "" {
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Error(err)
			}
		}
	}
}

// exploreCase plays one case in a subtest of its own and says what became
// of it.
func exploreCase(t *testing.T, root uint64, i int, f explore.Filter, current string) results.Case {
	out := results.Case{Root: root, Index: i}
	begin := time.Now()
	setup := func(t *testing.T, err error) {
		out.Violations = append(out.Violations, results.Violation{Invariant: invSetup, Detail: err.Error()})
		t.Error(err)
	}
	passed := t.Run(out.Name(), func(t *testing.T) {
		c, err := explore.DrawCase(root, i, f)
		if err != nil {
			setup(t, err)
			return
		}
		// Written before the pilot plays it, and again once aimed.
		os.WriteFile(current, c.Source, 0o644)
		if err := c.Aim(t); err != nil {
			setup(t, fmt.Errorf("the pilot play: %w", err))
			return
		}
		out.Seed, out.Model, out.Firmware, out.Aimed = c.Spec.Seed, c.Spec.Device.Model, c.Spec.Device.Firmware, c.Aimed
		os.WriteFile(current, c.Source, 0o644)
		rep := explore.Play(t, c.Spec, c.Scenario, c.Source)
		out.Allocated = rep.Allocated
		out.Features = explore.Features(rep.Result)
		if !rep.Failed() {
			return
		}
		for _, v := range rep.Violations {
			out.Violations = append(out.Violations, results.Violation{Invariant: v.Invariant, Detail: v.Detail})
		}
		first := rep.Violations[0]
		sh := explore.Shrink(t, c.Spec, first.Invariant, first.Detail, *exploreShrink)
		out.Shrunk, out.Original, err = explore.WriteFailure(*exploreOut, c, sh)
		if err != nil {
			t.Error(err)
		}
		out.ShrunkFaults = sh.Spec.Faults()
		t.Errorf("%s (seed %d, case %d of run %d)\nshrunk in %d plays to %d fault%s and %d trigger%s: make replay SCENARIO=%s\nthe case as drawn: %s",
			first, c.Spec.Seed, i, root, sh.Plays, out.ShrunkFaults, plural(out.ShrunkFaults), len(sh.Spec.Triggers), plural(len(sh.Spec.Triggers)), out.Shrunk, out.Original)
	})
	// A case the test ended otherwise (a run that could not be set up:
	// t.Fatal inside the play) is no pass.
	if !passed && len(out.Violations) == 0 {
		out.Violations = append(out.Violations, results.Violation{Invariant: invSetup, Detail: "the case could not be played; the worker's log says why"})
	}
	out.Seconds = time.Since(begin).Seconds()
	return out
}

// invSetup names a case that could not be played at all: not an invariant
// of the firmware, but never a pass.
const invSetup = "setup"

// checkFile plays a scenario file twice and judges it by the invariants:
// make explore CHECK=file, for a shrunk case after a fix, or any file.
func checkFile(t *testing.T, path string) {
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep := explore.Play(t, nil, sc, src)
	for _, v := range rep.Violations {
		t.Errorf("%s", v)
	}
	if !rep.Failed() {
		fmt.Printf("%s keeps every invariant (played twice, seed %d)\n", path, sc.Seed)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// panicky is a firmware whose Trigger panics: a panic on a run's own
// goroutine ends the test process, whatever recovers what, so it is the
// explore runner (alertsim explore) that names the case, keeps it and
// goes on after it. cmd/alertsim's TestExploreGoesOnAfterACrash plays it.
const panicky = "x-test-panic"

func init() {
	device.RegisterVariant("ptz-4g", device.Variant{
		Version: panicky, Base: "5.2.0", Summary: "panics when triggered",
		Start: func(s device.Settings, env device.Env, start func(device.Settings, device.Env) (device.Device, error)) (device.Device, error) {
			d, err := start(s, env)
			return panics{d}, err
		},
	})
}

type panics struct{ device.Device }

func (panics) Trigger(string, time.Duration) { panic("x-test-panic: triggered") }

// The planted variants are registered by importing their package, for
// make replay to play a shrunk case of one.
var _ = planted.Queue
