package scenarios

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// BenchmarkLibrary plays the whole library as make demo does, in a fresh
// process each time (virtual time needs testing/synctest, which a
// benchmark cannot enter, and a fresh process starts with an empty frame
// cache). It reports the library's virtual time over its wall time, and
// the frame cache's hit rate over two passes of the library, the way a
// test run replays it (the records, then the determinism check).
func BenchmarkLibrary(b *testing.B) {
	summary := regexp.MustCompile(`\(([0-9]+)x\)\.`)
	cache := regexp.MustCompile(`Frame cache: [0-9]+ hits, [0-9]+ encodes \(([0-9]+)% hits\)`)
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDemo$", "-test.count=2", "-demo")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("make demo's run failed: %v\n%s", err, out)
		}
		ratios := summary.FindAllSubmatch(out, -1)
		hits := cache.FindAllSubmatch(out, -1)
		if len(ratios) != 2 || len(hits) != 2 {
			b.Fatalf("no summary in the demo's output:\n%s", out)
		}
		first, _ := strconv.ParseFloat(string(ratios[0][1]), 64)
		rate, _ := strconv.ParseFloat(string(hits[1][1]), 64)
		b.ReportMetric(first, "virtual/wall")
		b.ReportMetric(rate, "%frame-cache-hits")
	}
}
