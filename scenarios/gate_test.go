package scenarios

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"

	"alertsim/golden"
)

var (
	gateFlag    = flag.Bool("gate", false, "play the library and the model x profile x preset matrix against their golden records (make gate)")
	shardFlag   = flag.String("shard", "1/1", "with -gate: play only shard `k/n` of the scenarios")
	summaryFlag = flag.String("summary", "", "with -gate: also write the summary table to this `file`")
)

// matrixGolden holds one line per matrix cell: its outcome and a digest of
// its record. A whole record per cell would be hundreds of files; the
// digest catches any change, and a failing cell is written out whole to
// build/gate/ to be replayed and read.
const matrixGolden = "matrix.golden"

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
	if golden.Updating() && n != 1 {
		t.Fatal("make golden rewrites the whole matrix: run it without a shard")
	}
	rows := map[string]*gateRow{}
	row := func(group string) *gateRow {
		if rows[group] == nil {
			rows[group] = &gateRow{}
		}
		return rows[group]
	}

	for _, path := range library(t) {
		name := strings.TrimSuffix(path, ".yaml")
		if !InShard(name, k, n) {
			continue
		}
		group := "?"
		ok := t.Run(name, func(t *testing.T) {
			sc, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			group = strings.TrimSpace(sc.Device.Model + " " + string(sc.Device.Firmware))
			checkScenario(t, path, sc)
		})
		if r := row(group); ok {
			r.libPass++
		} else {
			r.libFail++
		}
	}

	want, err := readMatrixGolden()
	if err != nil && !golden.Updating() {
		t.Fatal(err)
	}
	var got []string
	for _, c := range Matrix() {
		if !InShard(c.Name(), k, n) {
			continue
		}
		ok := t.Run(c.Name(), func(t *testing.T) {
			sc, err := c.Scenario()
			if err != nil {
				t.Fatal(err)
			}
			res := Run(t, sc, Options{})
			line := matrixLine(c, res)
			got = append(got, line)
			if golden.Updating() || want[c.Name()] == line {
				return
			}
			dir := filepath.Join("..", "build", "gate", filepath.Dir(c.Name()))
			base := filepath.Join(dir, filepath.Base(c.Name()))
			os.MkdirAll(dir, 0o755)
			os.WriteFile(base+".yaml", c.Source, 0o644)
			record := res.Record
			if why := Explain(res); len(why) > 0 {
				record = append(record, "\n## why each attempt failed\n"+strings.Join(why, "\n")+"\n"...)
			}
			os.WriteFile(base+".record", record, 0o644)
			t.Errorf("%s differs (-want +got):\n- %s\n+ %s\nThe cell and its record are in build/gate/%s.{yaml,record}; replay it with make replay SCENARIO=build/gate/%s.yaml. If the change is intended, run `make golden`.",
				matrixGolden, want[c.Name()], line, c.Name(), c.Name())
		})
		if r := row(c.Group()); ok {
			r.cellPass++
		} else {
			r.cellFail++
		}
	}
	if golden.Updating() {
		if err := os.WriteFile(matrixGolden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
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

// matrixLine is a cell's line in matrix.golden.
func matrixLine(c Cell, res *Result) string {
	return fmt.Sprintf("%s  %s  attempts %d  record %x", c.Name(), res.Outcome(), res.Attempts, sha256.Sum256(res.Record))
}

func readMatrixGolden() (map[string]string, error) {
	f, err := os.Open(matrixGolden)
	if err != nil {
		return nil, fmt.Errorf("no %s: run `make golden` to create it: %w", matrixGolden, err)
	}
	defer f.Close()
	lines := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, _, _ := strings.Cut(sc.Text(), "  ")
		lines[name] = sc.Text()
	}
	return lines, sc.Err()
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

// TestMatrixCellsLoad: every generated cell is a valid scenario, and the
// matrix golden file names exactly the cells there are.
func TestMatrixCellsLoad(t *testing.T) {
	cells := Matrix()
	if len(cells) < 100 {
		t.Errorf("the matrix has %d cells", len(cells))
	}
	want, err := readMatrixGolden()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		if _, err := c.Scenario(); err != nil {
			t.Error(err)
		}
		if _, ok := want[c.Name()]; !ok {
			t.Errorf("%s has no line in %s: run make golden", c.Name(), matrixGolden)
		}
		delete(want, c.Name())
	}
	for name := range want {
		t.Errorf("%s names %s, which the matrix no longer has: run make golden", matrixGolden, name)
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
