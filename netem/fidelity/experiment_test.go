package fidelity

import (
	"errors"
	"strings"
	"testing"
)

// TestJudge: a netem figure passes within 5% or 50 ms of the kernel's,
// whichever is larger, and the verdict says which figure failed and why.
func TestJudge(t *testing.T) {
	e := Experiment{Name: "x"}
	for _, tc := range []struct {
		kernel, netem []float64
		ok            bool
	}{
		{[]float64{10}, []float64{10.49}, true},  // 5% of 10 s is 0.5 s
		{[]float64{10}, []float64{10.51}, false}, // just over
		{[]float64{0.2}, []float64{0.249}, true}, // 50 ms is more than 5% of 0.2 s
		{[]float64{0.2}, []float64{0.26}, false},
		{[]float64{1, 2}, []float64{1}, false}, // a figure missing
	} {
		r := Judge(e, Outcome{Figures: tc.kernel}, Outcome{Figures: tc.netem})
		if r.OK != tc.ok {
			t.Errorf("kernel %v, netem %v: ok %v, want %v (%s)", tc.kernel, tc.netem, r.OK, tc.ok, r.Why)
		}
	}
	r := Judge(e, Outcome{Figures: []float64{1, 2}}, Outcome{Figures: []float64{1, 3}})
	if !strings.HasPrefix(r.Why, "figure 2: netem 3.000 s, kernel 2.000 s") {
		t.Errorf("verdict %q does not say which figure", r.Why)
	}
	failed := Judge(e, Outcome{Err: errors.New("no namespaces")}, Outcome{Figures: []float64{1}})
	if failed.OK || !strings.Contains(failed.Why, "no namespaces") {
		t.Errorf("a kernel error passed: %+v", failed)
	}
	if table := Table([]Row{failed}); !strings.Contains(table, "| x | error | 1.000 | - | FAIL: kernel: no namespaces |") {
		t.Errorf("table:\n%s", table)
	}
}
