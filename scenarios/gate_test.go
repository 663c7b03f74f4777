package scenarios

import (
	"bytes"

	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"alertsim/fakesmtp"
	"alertsim/golden"
)

var (
	gateFlag    = flag.Bool("gate", false, "play the library and the model x profile x preset matrix against their golden records (make gate)")
	shardFlag   = flag.String("shard", "1/1", "with -gate: play only shard `k/n` of the scenarios")
	summaryFlag = flag.String("summary", "", "with -gate: also write the summary table to this `file`")
)

// gateRow counts one row of the summary: a model and firmware.
type gateRow struct {
	libPass, libFail, cellPass, cellFail int
}

// TestGate is the release gate: the library and the generated matrix,
// each scenario a subtest (so that gotestsum's JUnit report has a case per
// scenario), then a summary of passes and failures per model and firmware.
func TestGate(t *testing.T) {
	if !*gateFlag {
		t.Skip("run by make gate")
	}
	k, n, err := ParseShard(*shardFlag)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]*gateRow{}
	row := func(group string) *gateRow {
		if rows[group] == nil {
			rows[group] = &gateRow{}
		}
		return rows[group]
	}

	// The library, then the matrix; each case says which summary row it
	// counts in once it has run, and how the index lists it.
	type gateCase struct {
		name string
		cell bool
		run  func(t *testing.T) (group string, index GateCell)
	}
	reports, allReports := gateReports()
	var cases []gateCase
	for _, path := range library(t) {
		name := strings.TrimSuffix(path, ".yaml")
		cases = append(cases, gateCase{name: name, run: func(t *testing.T) (string, GateCell) {
			sc, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			res := checkScenario(t, path, sc, Options{Capture: reports && allReports})
			index := gateCell(name, false, sc, res, !t.Failed())
			if reports && (allReports || t.Failed()) {
				res = capturedAgain(t, sc, res) // its packets, for the report's charts
				source, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				writeGateReport(t, &index, res, GoldenPath(path), source)
			}
			return strings.TrimSpace(sc.Device.Model.Name + " " + string(sc.Device.Firmware)), index
		}})
	}
	for _, c := range Matrix() {
		cases = append(cases, gateCase{name: c.Name(), cell: true, run: func(t *testing.T) (string, GateCell) {
			return c.Group(), checkCell(t, c)
		}})
	}
	shuffleGate(t, len(cases), func(i, j int) { cases[i], cases[j] = cases[j], cases[i] })

	var index []GateCell
	for _, gc := range cases {
		if !InShard(gc.name, k, n) {
			continue
		}
		group, ran := "?", false
		cell := GateCell{Name: gc.name, Matrix: gc.cell}
		ok := t.Run(gc.name, func(t *testing.T) {
			ran = true
			group, cell = gc.run(t)
		})
		if !ran {
			continue // filtered out by -run
		}
		cell.OK = ok
		index = append(index, cell)
		switch r := row(group); {
		case gc.cell && ok:
			r.cellPass++
		case gc.cell:
			r.cellFail++
		case ok:
			r.libPass++
		default:
			r.libFail++
		}
	}
	if reports {
		writeGateIndex(t, index, k, n)
	}

	var buf bytes.Buffer
	out := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintf(out, "MODEL AND FIRMWARE\tLIBRARY PASS\tLIBRARY FAIL\tMATRIX PASS\tMATRIX FAIL\t\n")
	var total gateRow
	groups := make([]string, 0, len(rows))
	for g := range rows {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for _, g := range groups {
		r := rows[g]
		fmt.Fprintf(out, "%s\t%d\t%d\t%d\t%d\t\n", g, r.libPass, r.libFail, r.cellPass, r.cellFail)
		total.libPass += r.libPass
		total.libFail += r.libFail
		total.cellPass += r.cellPass
		total.cellFail += r.cellFail
	}
	fmt.Fprintf(out, "total (shard %d/%d)\t%d\t%d\t%d\t%d\t\n", k, n, total.libPass, total.libFail, total.cellPass, total.cellFail)
	out.Flush()
	os.Stdout.Write(buf.Bytes())
	if *summaryFlag != "" {
		os.WriteFile(*summaryFlag, buf.Bytes(), 0o644)
	}
}

// checkCell plays a cell of the matrix and judges it like a library
// scenario: its golden record, its messages, no credential in its record.
// A failing cell is written out to build/gate/ with the record it should
// have had, the one it has and its packets, and with -index its report
// beside the index (every cell's with -reports all). It returns the
// cell's line of the index.
func checkCell(t *testing.T, c Cell) GateCell {
	t.Helper()
	sc, err := c.Scenario()
	if err != nil {
		t.Fatal(err)
	}
	reports, allReports := gateReports()
	res := Run(t, sc, Options{Capture: reports && allReports})
	if !raceDetector {
		checkMessages(t, res)
	}
	noSecrets(t, "the record", res.Record, secretsOf(t, c.Source))
	checkReport(t, res, c.GoldenPath(), c.Source)
	err = golden.Compare(c.GoldenPath(), res.Record)
	index := gateCell(c.Name(), true, sc, res, err == nil && !t.Failed())
	if err == nil {
		if reports && (allReports || t.Failed()) {
			writeGateReport(t, &index, capturedAgain(t, sc, res), c.GoldenPath(), c.Source)
		}
		return index
	}
	base := filepath.Join("..", "build", "gate", c.Name())
	os.MkdirAll(filepath.Dir(base), 0o755)
	os.WriteFile(base+".yaml", c.Source, 0o644)
	if want, err := os.ReadFile(c.GoldenPath()); err == nil {
		os.WriteFile(base+".golden", want, 0o644)
	}
	record := res.Record
	if why := Explain(res); len(why) > 0 {
		record = append(record, "\n## why each attempt failed\n"+strings.Join(why, "\n")+"\n"...)
	}
	os.WriteFile(base+".record", record, 0o644)
	// And what the network carried, for Wireshark: played again, since a
	// capture costs memory every passing cell would pay for.
	captured := capturedAgain(t, sc, res)
	if err := writeCaptureFile(captured, base+".pcapng"); err != nil {
		t.Log(err)
	}
	if reports {
		for _, ext := range []string{".yaml", ".golden", ".record", ".pcapng"} {
			if abs, err := filepath.Abs(base + ext); err == nil {
				index.Files = append(index.Files, indexRelative(abs))
			}
		}
		writeGateReport(t, &index, captured, c.GoldenPath(), c.Source)
	}
	t.Errorf("%v\nThe cell, its golden record, this run's and its packets are in build/gate/%s.{yaml,golden,record,pcapng}; replay it with make replay SCENARIO=build/gate/%s.yaml.",
		err, c.Name(), c.Name())
	return index
}

// capturedAgain is res if it was played with its packets, else the same
// scenario played again with them.
func capturedAgain(t *testing.T, sc *Scenario, res *Result) *Result {
	t.Helper()
	if res.recording != nil {
		return res
	}
	return Run(t, sc, Options{Capture: true})
}

// shuffleGate puts the gate's cases in a random order when the test binary
// shuffles (-shuffle=on, or -shuffle=N to repeat an order): go test
// shuffles top-level tests only, and a record that depends on which
// scenarios ran before it in the process (a cache, a global) shows only
// when the order within the gate changes. make test plays the gate twice
// in one process this way.
func shuffleGate(t *testing.T, n int, swap func(i, j int)) {
	f := flag.Lookup("test.shuffle")
	if f == nil || f.Value.String() == "off" {
		return
	}
	s, err := strconv.ParseInt(f.Value.String(), 10, 64)
	if err != nil {
		s = time.Now().UnixNano()
	}
	t.Logf("gate order shuffled with seed %d (to repeat it: -shuffle=%d)", s, s)
	rand.New(rand.NewPCG(uint64(s), 0)).Shuffle(n, swap)
}

// TestShardsCoverEverything: for any shard count, the shards together
// play every scenario of the library and the matrix exactly once.
func TestShardsCoverEverything(t *testing.T) {
	var names []string
	for _, path := range library(t) {
		names = append(names, strings.TrimSuffix(path, ".yaml"))
	}
	for _, c := range Matrix() {
		names = append(names, c.Name())
	}
	if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
		t.Fatal("two scenarios share a name")
	}
	for _, n := range []int{1, 2, 4, 7} {
		seen := map[string]int{}
		sizes := make([]int, n)
		for k := 1; k <= n; k++ {
			for _, name := range names {
				if InShard(name, k, n) {
					seen[name]++
					sizes[k-1]++
				}
			}
		}
		for _, name := range names {
			if seen[name] != 1 {
				t.Errorf("%d shards: %s is played %d times", n, name, seen[name])
			}
		}
		t.Logf("%d shards: %v scenarios each", n, sizes)
	}
}

// TestMatrixCellsLoad: every generated cell is a valid scenario with a
// golden record, and no golden record under matrix/ belongs to a cell the
// matrix no longer has.
func TestMatrixCellsLoad(t *testing.T) {
	cells := Matrix()
	if len(cells) < 100 {
		t.Errorf("the matrix has %d cells", len(cells))
	}
	for _, p := range fakesmtp.PresetNames() {
		if _, ok := matrixAccounts[p]; !ok {
			t.Errorf("preset %s has no installer's account in matrixAccounts", p)
		}
		if _, ok := matrixHosts[p]; !ok {
			t.Errorf("preset %s has no host in matrixHosts", p)
		}
	}
	want := map[string]bool{}
	for _, c := range cells {
		if _, err := c.Scenario(); err != nil {
			t.Error(err)
		}
		want[c.GoldenPath()] = true
		if _, err := os.Stat(c.GoldenPath()); err != nil {
			t.Errorf("%s has no golden record (%v): run make golden", c.Name(), err)
		}
	}
	err := filepath.WalkDir("matrix", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !want[filepath.ToSlash(path)] {
			t.Errorf("%s belongs to no cell of the matrix: remove it (make golden does not)", path)
		}
		return err
	})
	if err != nil && !golden.Updating() {
		t.Error(err)
	}
}

func TestParseShard(t *testing.T) {
	for _, bad := range []string{"", "0/4", "5/4", "1/0", "a/b", "1-4"} {
		if _, _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	if k, n, err := ParseShard("2/4"); err != nil || k != 2 || n != 4 {
		t.Errorf("ParseShard(2/4) = %d, %d, %v", k, n, err)
	}
}
