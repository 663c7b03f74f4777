package fidelity

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

var (
	fidelity = flag.Bool("fidelity", false, "run the kernel reference rig (make fidelity: Linux, root)")
	only     = flag.String("only", "", "run only the experiments whose name contains this")
	cache    = flag.String("kernel-cache", "", "read the kernel's figures from this file if it exists, else write them there (for working on netem)")
)

// parallel is how many experiments the kernel rig runs at once, each in
// namespaces of its own. Six at once on two cores delayed the delay
// lines' packets by tens of milliseconds now and then; three do not.
const parallel = 3

// TestFidelity runs every experiment on this machine's kernel and on
// netem, prints the table and fails on each row whose figures differ by
// more than the tolerance.
func TestFidelity(t *testing.T) {
	if !*fidelity {
		t.Skip("the kernel reference rig runs with make fidelity")
	}
	if err := Available(); err != nil {
		t.Skip("make fidelity: " + err.Error() + "; skipped")
	}
	var exps []Experiment
	for _, e := range Experiments() {
		if *only == "" || contains(e.Name, *only) {
			exps = append(exps, e)
		}
	}
	kernel := kernelOutcomes(t, exps)
	rows := make([]Row, len(exps))
	for i, e := range exps {
		rows[i] = Judge(e, kernel[i], RunNetem(t, e))
	}
	fmt.Printf("\nnetem against Linux %s, %s\n\n%s\n", KernelRelease(), time.Now().UTC().Format("2006-01-02"), Table(rows))
	for _, r := range rows {
		if !r.OK {
			t.Errorf("%s: %s", r.Exp.Name, r.Why)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

type cached struct {
	Figures []float64
	Err     string
}

func kernelOutcomes(t *testing.T, exps []Experiment) []Outcome {
	out := make([]Outcome, len(exps))
	if *cache != "" {
		if b, err := os.ReadFile(*cache); err == nil {
			var m map[string]cached
			if json.Unmarshal(b, &m) == nil {
				all := true
				for i, e := range exps {
					c, ok := m[e.Name]
					if !ok {
						all = false
						break
					}
					out[i].Figures = c.Figures
					if c.Err != "" {
						out[i].Err = errors.New(c.Err)
					}
				}
				if all {
					return out
				}
			}
		}
	}
	RemoveStale()
	t.Cleanup(RemoveStale)
	// Every rig is built before any is measured and removed after all
	// are: making and removing namespaces is heavy kernel work that
	// would delay the packets of an experiment under way.
	rigs := make([]*Rig, len(exps))
	for i, e := range exps {
		var err error
		if rigs[i], err = Prepare(e, i); err != nil {
			out[i] = Outcome{Err: err}
		}
	}
	defer func() {
		for _, r := range rigs {
			if r != nil {
				r.Close()
			}
		}
	}()
	// The TLS experiments first, on their own: they time real handshakes
	// (key shares, signatures), which bulk transfers on two cores could
	// delay; then the rest, three at a time.
	run := func(quiet bool) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, parallel)
		for i, e := range exps {
			if rigs[i] == nil || (e.Kind == Blackhole || e.Kind == Handshake || e.Kind == Probing) != quiet {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				out[i] = rigs[i].Run()
			}()
		}
		wg.Wait()
	}
	run(true)
	run(false)
	if *cache != "" {
		m := map[string]cached{}
		for i, e := range exps {
			c := cached{Figures: out[i].Figures}
			if out[i].Err != nil {
				c.Err = out[i].Err.Error()
			}
			m[e.Name] = c
		}
		b, _ := json.MarshalIndent(m, "", "  ")
		os.WriteFile(*cache, b, 0o644)
	}
	return out
}
