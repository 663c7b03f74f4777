package scenarios

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
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
	out := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(out, "SCENARIO\tDEVICE\tNETWORK\tOUTCOME\tATTEMPTS\tVIRTUAL\tWALL\tCHECK")
	var virtual, wall time.Duration
	var passed, failed int
	for _, path := range library(t) {
		name := strings.TrimSuffix(path, ".yaml")
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
	hits, misses := imaging.CacheStats()
	fmt.Printf("Frame cache: %d hits, %d encodes (%.0f%% hits).\n", hits, misses, 100*float64(hits)/float64(max(hits+misses, 1)))
}

// TestReplay plays the scenario named by -scenario and prints its report:
// the record, then each expectation met or not. It fails, and the binary
// exits 1, when an expectation fails.
func TestReplay(t *testing.T) {
	if *replayFlag == "" {
		t.Skip("run by make replay SCENARIO=path")
	}
	path := *replayFlag
	sc, err := Load(path)
	if err != nil {
		fmt.Println(err)
		t.FailNow()
	}
	var opts Options
	if *seedFlag != "" {
		s, err := strconv.ParseUint(*seedFlag, 10, 64)
		if err != nil {
			t.Fatalf("-seed %q: want a non-negative integer", *seedFlag)
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
	ok := true
	report := func(pass bool, format string, args ...any) {
		mark := "ok  "
		if !pass {
			mark, ok = "FAIL", false
		}
		fmt.Printf("%s %s\n", mark, fmt.Sprintf(format, args...))
	}
	for _, c := range res.Checks {
		report(c.OK, "%s", c.Text)
	}
	goldenPath := GoldenPath(path)
	if opts.Seed != nil && *opts.Seed != sc.Seed {
		fmt.Printf("skip golden record: played with seed %d, the record is for seed %d\n", *opts.Seed, sc.Seed)
	} else {
		switch err := golden.Compare(goldenPath, res.Record); {
		case err == nil:
			report(true, "golden record %s matches", goldenPath)
		case errors.Is(err, fs.ErrNotExist):
			fmt.Printf("skip golden record: none beside the scenario (%s)\n", goldenPath)
		default:
			report(false, "golden record: %v", err)
		}
	}
	if !ok {
		fmt.Printf("\nreplay: expectations failed (seed %d)\n", res.Seed)
		t.Fail()
	}
}
