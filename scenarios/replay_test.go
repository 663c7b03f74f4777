package scenarios

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"alertsim/golden"
	"alertsim/sim/imaging"
)

// Virtual time exists only inside a test (testing/synctest), so the
// command-line jobs run through this package's test binary: the Makefile
// builds it and runs TestDemo or TestReplay with these flags.
var (
	demoFlag   = flag.Bool("demo", false, "play the whole library and print a summary table (make demo)")
	replayFlag = flag.String("scenario", "", "play one scenario `file` and print its report (make replay)")
	seedFlag   = flag.String("seed", "", "with -scenario: play with this seed instead of the file's")
	pcapFlag   = flag.String("pcap", "", "with -scenario: write the run's packets to this pcapng `file` (it holds the scenario's credentials)")
)

// TestDemo plays the library and prints one row per scenario.
func TestDemo(t *testing.T) {
	if !*demoFlag {
		t.Skip("run by make demo")
	}
	playTable(t, library(t), "")
	hits, misses := imaging.CacheStats()
	fmt.Printf("Frame cache: %d hits, %d encodes (%.0f%% hits).\n", hits, misses, 100*float64(hits)/float64(max(hits+misses, 1)))
}

// playTable plays each scenario file and prints a table of them, named
// relative to base, with the library's judgement (golden record,
// expectations, messages, no credentials). It returns how many failed.
func playTable(t *testing.T, paths []string, base string) (failed int) {
	out := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(out, "SCENARIO\tDEVICE\tNETWORK\tOUTCOME\tATTEMPTS\tVIRTUAL\tWALL\tCHECK")
	var virtual, wall time.Duration
	passed := 0
	for _, path := range paths {
		name := strings.TrimSuffix(path, ".yaml")
		if base != "" {
			if rel, err := filepath.Rel(base, path); err == nil {
				name = strings.TrimSuffix(rel, ".yaml")
			}
		}
		sc, err := Load(path)
		if err != nil {
			failed++
			fmt.Fprintf(out, "%s\t-\t-\t%v\t\t\t\tFAIL\n", name, err)
			continue
		}
		var res *Result
		begin := time.Now()
		ok := t.Run(name, func(t *testing.T) { res = checkScenario(t, path, sc, Options{}) })
		took := time.Since(begin)
		check := "ok"
		if !ok {
			check = "FAIL"
			failed++
		} else {
			passed++
		}
		virtual += sc.Duration.D()
		wall += took
		outcome, attempts := "-", "-"
		if res != nil {
			outcome, attempts = res.Outcome(), strconv.Itoa(res.Attempts)
		}
		fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\t%v\t%v\t%s\n", name, sc.Device.Model, sc.Network.Profile,
			outcome, attempts, sc.Duration, took.Round(time.Millisecond), check)
	}
	out.Flush()
	fmt.Printf("\n%d scenarios: %d passed, %d failed. %v of virtual time in %v of wall time (%.0fx).\n",
		passed+failed, passed, failed, virtual, wall.Round(time.Millisecond), float64(virtual)/float64(max(wall, 1)))
	return failed
}

// detailFlag is make replay's DETAIL.
var detailFlag = flag.String("detail", "", "with -scenario: full shows every line of the network's trace (a record folds repeated ones)")

// TestReplay plays the scenario named by -scenario and prints its report:
// the record, why each attempt failed, then each expectation met or not.
// Given a folder, it plays every scenario under it and prints the demo's
// table. A failure ends the report with one line saying what failed and
// how to see more, and the binary exits 1 (without go test's own words:
// the line is the last thing a person reads).
func TestReplay(t *testing.T) {
	if *replayFlag == "" {
		t.Skip("run by make replay SCENARIO=path")
	}
	path := *replayFlag
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		files, err := scenarioFiles(path)
		if err != nil || len(files) == 0 {
			exitWith(fmt.Sprintf("replay: no scenario files (*.yaml) under %s", path))
		}
		if failed := playTable(t, files, path); failed > 0 {
			exitWith(fmt.Sprintf("replay: %d of %d scenarios under %s failed; to see one: make replay SCENARIO=<file>", failed, len(files), path))
		}
		return
	}
	sc, err := Load(path)
	if err != nil {
		fmt.Println(err)
		exitWith("replay: the scenario does not load; check it without playing: go run ./cmd/alertsim validate " + path)
	}
	opts := Options{Full: *detailFlag == "full"}
	if *detailFlag != "" && *detailFlag != "full" {
		exitWith(fmt.Sprintf("replay: DETAIL=%s: the only detail is full", *detailFlag))
	}
	if *seedFlag != "" {
		s, err := strconv.ParseUint(*seedFlag, 10, 64)
		if err != nil {
			exitWith(fmt.Sprintf("replay: SEED=%s: want a non-negative integer", *seedFlag))
		}
		opts.Seed = &s
	}
	opts.Capture = *pcapFlag != ""
	res := Run(t, sc, opts)
	if *pcapFlag != "" {
		if err := writeCaptureFile(res, *pcapFlag); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("capture: %s (%d packets). It holds the scenario's credentials: the AUTH exchanges, with the TLS secrets that decrypt them. Keep it where the passwords may be.\n\n",
			*pcapFlag, len(res.recording.packets))
	}
	os.Stdout.Write(res.Record)
	if why := Explain(res); len(why) > 0 {
		fmt.Println("\n## why each attempt failed")
		fmt.Println(strings.Join(why, "\n"))
	}

	fmt.Println("\n## expectations")
	var failures []string
	report := func(pass bool, what, format string, args ...any) {
		mark := "ok  "
		if !pass {
			mark = "FAIL"
			failures = append(failures, what)
		}
		fmt.Printf("%s %s\n", mark, fmt.Sprintf(format, args...))
	}
	for _, c := range res.Checks {
		report(c.OK, strings.SplitN(c.Text, ":", 2)[0], "%s", c.Text)
	}
	goldenPath := GoldenPath(path)
	switch {
	case opts.Seed != nil && *opts.Seed != sc.Seed:
		fmt.Printf("skip golden record: played with seed %d, the record is for seed %d\n", *opts.Seed, sc.Seed)
	case opts.Full:
		fmt.Println("skip golden record: DETAIL=full shows every line, a record folds repeated ones")
	default:
		switch err := golden.Compare(goldenPath, res.Record); {
		case err == nil:
			report(true, "", "golden record %s matches", goldenPath)
		case errors.Is(err, fs.ErrNotExist):
			fmt.Printf("skip golden record: none beside the scenario (%s)\n", goldenPath)
		default:
			report(false, "the golden record", "golden record: %v", err)
		}
	}
	if len(failures) > 0 {
		more := fmt.Sprintf("make replay SCENARIO=%s SEED=%d DETAIL=full", path, res.Seed)
		exitWith(fmt.Sprintf("replay: FAIL: %s (seed %d); every network line: %s", strings.Join(failures, ", "), res.Seed, more))
	}
}

// exitWith prints the last line of a failed replay and exits 1, so that
// go test adds nothing after it.
func exitWith(line string) {
	fmt.Println("\n" + line)
	os.Stdout.Sync()
	os.Exit(1)
}

// scenarioFiles returns the scenario files under dir, testdata excepted,
// in a stable order.
func scenarioFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".yaml") {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}
