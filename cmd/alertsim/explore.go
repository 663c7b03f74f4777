package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"alertsim/explore"
	"alertsim/explore/results"
	"alertsim/scenarios"
)

// explore runs the scenario runner's TestExplore in parallel workers,
// picks up after a worker that died (a panic on a run's goroutine takes
// the whole process), and makes one JUnit file and one summary of them
// all. Virtual time exists only in a test binary, so the worlds are
// played by the runner (make runner builds it), as make replay plays a
// file: this command is its supervisor.
func exploreCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 1000, "how many cases the run has, over all its shards")
	seed := fs.Uint64("seed", 1, "the run's seed: every case derives from it, so the same seed explores the same worlds")
	model := fs.String("model", "", "only this device model")
	firmware := fs.String("firmware", "", "only this firmware (a shipped one, or a planted variant x-planted-...)")
	shard := fs.String("shard", "1/1", "play only shard `k/n` of the run (a CI matrix: shards together play every case once)")
	jobs := fs.Int("jobs", runtime.NumCPU(), "parallel workers")
	out := fs.String("out", "build/explore", "the `folder` for failing cases (shrunk, ready for make replay) and the workers' files")
	junit := fs.String("junit", "", "the JUnit `file` (default build/explore-K-of-N.xml); the cases' results go beside it, as .jsonl, for alertsim merge")
	summary := fs.String("summary", "", "the summary `file` (default build/explore-summary-K-of-N.txt)")
	runner := fs.String("runner", "build/scenarios.test", "the scenario runner, the scenarios package's test binary (make runner)")
	check := fs.String("check", "", "instead: play this scenario `file` twice and judge it by the invariants")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: alertsim explore [flags]\n\nGenerate worlds from a seed, play each twice in virtual time and check the invariants every\nfirmware must keep; shrink a failing world to a small scenario file. Run from the repository.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	k, shards, err := scenarios.ParseShard(*shard)
	if err != nil {
		fmt.Fprintf(stderr, "alertsim explore: -shard: %v\n", err)
		return 2
	}
	if *n < 1 || *jobs < 1 {
		fmt.Fprintln(stderr, "alertsim explore: -n and -jobs must be at least 1")
		return 2
	}
	bin, err := filepath.Abs(*runner)
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		fmt.Fprintf(stderr, "alertsim explore: no scenario runner at %s.\nWorlds play in virtual time, which exists only in a test binary: build it with\n  make runner        (go test -c -o build/scenarios.test ./scenarios)\nthen run this again, or run make explore, which does both.\n", *runner)
		return 2
	}
	dir, err := runnerDir(bin)
	if err != nil {
		fmt.Fprintf(stderr, "alertsim explore: %v\n", err)
		return 2
	}
	outDir, err := filepath.Abs(*out)
	if err == nil {
		err = os.MkdirAll(outDir, 0o755)
	}
	if err != nil {
		fmt.Fprintf(stderr, "alertsim explore: %v\n", err)
		return 2
	}
	if *check != "" {
		path, _ := filepath.Abs(*check)
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(stderr, "alertsim explore: -check: %v\n", err)
			return 2
		}
		cmd := exec.Command(bin, "-test.run", "^TestExplore$", "-explore.check", path)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
		if err := cmd.Run(); err != nil {
			return 1
		}
		return 0
	}

	tag := fmt.Sprintf("%d-of-%d", k, shards)
	if *junit == "" {
		*junit = filepath.Join("build", "explore-"+tag+".xml")
	}
	if *summary == "" {
		*summary = filepath.Join("build", "explore-summary-"+tag+".txt")
	}
	job := func(m int) worker {
		return worker{
			bin: bin, dir: dir, out: outDir, m: m, j: *jobs,
			results: filepath.Join(outDir, fmt.Sprintf("results-%s-job-%d-of-%d.jsonl", tag, m, *jobs)),
			// A worker may play for long; a case that hangs still ends it
			// (the timeout panics), and is kept as a crash.
			args: []string{"-test.run", "^TestExplore$", "-test.timeout", "2h", "-explore", "-explore.n", fmt.Sprint(*n), "-explore.seed", fmt.Sprint(*seed),
				"-explore.model", *model, "-explore.firmware", *firmware, "-shard", *shard, "-explore.out", outDir},
		}
	}
	fmt.Fprintf(stdout, "exploring %d cases of seed %d (shard %s, %d workers); failing cases go to %s\n", *n, *seed, *shard, *jobs, *out)
	begin := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, *jobs+1)
	for m := 1; m <= *jobs; m++ {
		w := job(m)
		os.Remove(w.results) // a run from the start
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[m] = w.run(stderr)
		}()
	}
	wg.Wait()
	wall := time.Since(begin)
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(stderr, "alertsim explore: %v\n", err)
			return 2
		}
	}

	var cs []results.Case
	for m := 1; m <= *jobs; m++ {
		w := job(m)
		got, err := results.Read(w.results)
		if err != nil && !os.IsNotExist(err) {
			fmt.Fprintf(stderr, "alertsim explore: %v\n", err)
			return 2
		}
		// A worker that ended before its part was played (a model or
		// firmware it does not know, a results file it could not write)
		// must not pass for one whose cases all passed.
		if missing := w.unplayed(got, *n, k, shards); len(missing) > 0 {
			fmt.Fprintf(stderr, "alertsim explore: worker %d/%d played %d of its %d cases (none of %s); the end of its output (%s):\n%s\n",
				m, *jobs, len(got), len(got)+len(missing), head(missing), w.log(), w.tail())
			return 2
		}
		cs = append(cs, got...)
	}
	results.Sort(cs)
	if code := writeOutputs(cs, *junit, *summary, wall, stdout, stderr, fmt.Sprintf("alertsim/explore seed %d shard %s", *seed, *shard)); code != 0 {
		return code
	}
	// The shard's cases beside its JUnit file, for a merge of the CI
	// matrix's shards.
	all := strings.TrimSuffix(*junit, filepath.Ext(*junit)) + ".jsonl"
	if err := concatResults(all, cs); err != nil {
		fmt.Fprintf(stderr, "alertsim explore: %v\n", err)
		return 2
	}
	for _, c := range cs {
		if c.Failed() {
			return 1
		}
	}
	return 0
}

// runnerDir is where the runner runs: the scenarios folder of the
// repository, as make replay runs it. The repository is the one the
// current directory is in, else the one the runner is in (make runner puts
// it in build/).
func runnerDir(bin string) (string, error) {
	wd, _ := os.Getwd()
	for _, from := range []string{wd, filepath.Dir(bin)} {
		for d := from; d != ""; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				if _, err := os.Stat(filepath.Join(d, "scenarios")); err == nil {
					return filepath.Join(d, "scenarios"), nil
				}
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("run it from the alertsim repository: neither here (%s) nor where the runner is (%s) is one", wd, bin)
}

// worker is one part of the shard, played by one runner process.
type worker struct {
	bin, dir, out, results string
	m, j                   int
	args                   []string
}

// log is the file the worker's runner writes its output to.
func (w worker) log() string {
	return filepath.Join(w.out, fmt.Sprintf("worker-%d-of-%d.log", w.m, w.j))
}

// tail is the end of the worker's output.
func (w worker) tail() string {
	b, _ := os.ReadFile(w.log())
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// unplayed lists the cases of the worker's part of shard k of n that its
// results do not hold.
func (w worker) unplayed(got []results.Case, n, k, shards int) []int {
	have := map[int]bool{}
	for _, c := range got {
		have[c.Index] = true
	}
	var missing []int
	for i := range n {
		if explore.InShard(i, k, shards) && explore.InShard(i/shards, w.m, w.j) && !have[i] {
			missing = append(missing, i)
		}
	}
	return missing
}

// maxRestarts bounds how often a worker is started again after it died.
const maxRestarts = 50

// run plays the worker's part of the shard, starting it again after each
// case that killed it: that case is recorded as a crash, its file kept.
func (w worker) run(stderr io.Writer) error {
	from := 0
	for restart := 0; ; restart++ {
		log := w.log()
		f, err := os.Create(log)
		if err != nil {
			return err
		}
		args := append(append([]string{}, w.args...), "-explore.job", fmt.Sprintf("%d/%d", w.m, w.j), "-explore.results", w.results, "-explore.from", fmt.Sprint(from))
		cmd := exec.Command(w.bin, args...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = w.dir, f, f
		err = cmd.Run()
		f.Close()
		var exit *exec.ExitError
		if err == nil || errors.As(err, &exit) && exit.ExitCode() == 1 {
			return nil // done; a case that failed is in the results
		}
		// The process died in a case: name it, keep it, go on after it.
		current := filepath.Join(w.out, fmt.Sprintf("current-%s-%d-of-%d.yaml", shardTag(w.args), w.m, w.j))
		src, rerr := os.ReadFile(current)
		if rerr != nil || restart >= maxRestarts {
			return fmt.Errorf("worker %d/%d died (%v) and left no case behind; its output: %s", w.m, w.j, err, log)
		}
		var index int
		var root uint64
		fmt.Sscanf(strings.TrimPrefix(string(src), "# "), "Explored case %d of seed %d", &index, &root)
		kept := filepath.Join(w.out, fmt.Sprintf("crash-case-%d-of-seed-%d.yaml", index, root))
		os.WriteFile(kept, src, 0o644)
		c := results.Case{Root: root, Index: index, Shrunk: kept, Violations: []results.Violation{{Invariant: "crash",
			Detail: fmt.Sprintf("the process died playing it (%v); its file: %s; the end of the output:\n%s", err, kept, w.tail())}}}
		if rw, err := results.Create(w.results); err == nil {
			rw.Write(c)
			rw.Close()
		}
		fmt.Fprintf(stderr, "worker %d/%d died in case %d (kept as %s); going on after it\n", w.m, w.j, index, kept)
		from = index + 1
	}
}

// shardTag is the shard of a worker's arguments, as the runner names its
// files ("2-of-4").
func shardTag(args []string) string {
	for i, a := range args {
		if a == "-shard" && i+1 < len(args) {
			return strings.ReplaceAll(args[i+1], "/", "-of-")
		}
	}
	return "1-of-1"
}

// writeOutputs writes the JUnit file and the summary of cases and prints
// the summary.
func writeOutputs(cs []results.Case, junit, summary string, wall time.Duration, stdout, stderr io.Writer, name string) int {
	var b strings.Builder
	results.Summary(&b, cs, wall)
	fmt.Fprintf(&b, "\nJUnit: %s\n", junit)
	suites := results.Merge("alertsim", results.Suites{Suites: []results.Suite{results.JUnit(name, cs)}})
	if err := writeJUnitAndSummary(junit, suites, summary, b.String()); err != nil {
		fmt.Fprintf(stderr, "alertsim explore: %v\n", err)
		return 2
	}
	io.WriteString(stdout, b.String())
	return 0
}

// writeJUnitAndSummary writes suites to the JUnit file junit and text to
// the file summary, making their folders: what explore and merge leave
// for CI.
func writeJUnitAndSummary(junit string, suites results.Suites, summary, text string) error {
	for _, p := range []string{junit, summary} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
	}
	f, err := os.Create(junit)
	if err != nil {
		return err
	}
	err = results.WriteJUnit(f, suites)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.WriteFile(summary, []byte(text), 0o644)
}

func concatResults(path string, cs []results.Case) error {
	os.Remove(path)
	w, err := results.Create(path)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := w.Write(c); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}
