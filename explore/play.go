package explore

import (
	"errors"
	"fmt"
	"runtime/metrics"
	"strings"
	"testing"

	"alertsim/internal/seed"
	"alertsim/scenarios"
)

// The memory invariant's bounds. What a case keeps is bounded by the run
// itself (scenarios' keep.go, the frame caches' 192 MB): MaxLive bounds
// the heap live after a case, as of the last collection, which a leak
// from case to case, or a run keeping what it should not, drives up.
// MaxAllocated bounds what a case's two plays allocate on the way: a
// short world allocates a few MB, a storm of 4 MP bursts over a weak
// link about a GB; a runaway (a retry loop without a wait, a record
// growing without end) goes past it.
var (
	MaxLive      uint64 = 1 << 30
	MaxAllocated uint64 = 8 << 30
)

// Report is what explore made of one case.
type Report struct {
	Spec   *Spec
	Source []byte
	// Violations are the invariants the case broke, none when it passed.
	Violations []Violation
	// Result is the first play's, when it finished.
	Result *scenarios.Result
	// Allocated is what the two plays allocated, in bytes.
	Allocated uint64
	// Plays counts the plays (two, or one when the first did not finish).
	Plays int
}

// Failed reports whether the case broke an invariant.
func (r *Report) Failed() bool { return len(r.Violations) > 0 }

// Broke reports whether the case broke the invariant called inv.
func (r *Report) Broke(inv string) bool {
	for _, v := range r.Violations {
		if v.Invariant == inv {
			return true
		}
	}
	return false
}

// Load writes the spec as source and loads it as the scenario loader
// loads a file. A setting the settings page refuses comes back as a
// *ui.FieldError in the page's words (wrapped in the loader's error).
func Load(spec *Spec, comment string) (*scenarios.Scenario, []byte, error) {
	src := spec.Source(comment)
	sc, err := scenarios.Parse(spec.Name+".yaml", src)
	return sc, src, err
}

// Refused reports whether a load error is the settings page refusing the
// settings, rather than a spec the loader cannot read (a bug of the
// generator).
func Refused(err error) bool {
	var se *scenarios.Error
	return errors.As(err, &se) && strings.Contains(se.Msg, " setting ")
}

// Play plays a loaded case twice in virtual time and judges it: the
// invariants of Check on the first play, the same record from both, no
// panic or goroutine left behind, and what it allocated. A case whose
// setup fails (scenarios.Run calls t.Fatal) ends t.
func Play(t *testing.T, spec *Spec, sc *scenarios.Scenario, src []byte) *Report {
	t.Helper()
	rep := &Report{Spec: spec, Source: src}
	before := allocated()
	first, v := playOnce(t, sc)
	rep.Plays++
	if v != nil {
		rep.Violations = append(rep.Violations, *v)
		rep.Allocated = allocated() - before
		return rep
	}
	rep.Result = first
	second, v := playOnce(t, sc)
	rep.Plays++
	rep.Allocated = allocated() - before
	if v != nil {
		rep.Violations = append(rep.Violations, *v)
	} else if d := firstDifference(first.Record, second.Record); d != "" {
		rep.Violations = append(rep.Violations, Violation{InvDeterminism, "two plays of the seed gave different records: " + d})
	}
	rep.Violations = append(rep.Violations, Check(first)...)
	if rep.Allocated > MaxAllocated {
		rep.Violations = append(rep.Violations, Violation{InvMemory, fmt.Sprintf("the two plays allocated %d MB, over the %d MB a case may", rep.Allocated>>20, MaxAllocated>>20)})
	}
	if live := metric("/gc/heap/live:bytes"); live > MaxLive {
		rep.Violations = append(rep.Violations, Violation{InvMemory, fmt.Sprintf("%d MB live after the case, over the %d MB a process of explored cases may hold", live>>20, MaxLive>>20)})
	}
	return rep
}

// playOnce plays the scenario, turning a panic of the run's own goroutine
// into a violation: synctest's deadlock panic when goroutines remain
// blocked after the run closed everything (a leak), any other panic a
// crash. A panic on another goroutine ends the process; the runner writes
// each case out before it plays it (see the explore test), so that case
// is named.
func playOnce(t *testing.T, sc *scenarios.Scenario) (res *scenarios.Result, v *Violation) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		msg := fmt.Sprint(r)
		if strings.Contains(msg, "deadlock") {
			v = &Violation{InvLeak, "goroutines remain blocked after the run closed the device, the servers and the network: " + msg}
		} else {
			v = &Violation{InvCrash, "panic: " + msg}
		}
	}()
	return scenarios.Run(t, sc, scenarios.Options{}), nil
}

// allocated is the bytes the process has allocated so far, read without
// stopping the world (runtime/metrics, not ReadMemStats).
func allocated() uint64 { return metric("/gc/heap/allocs:bytes") }

func metric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// firstDifference describes where two records first differ, "" when they
// are the same.
func firstDifference(a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range max(len(la), len(lb)) {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d is %q in one, %q in the other", i+1, x, y)
		}
	}
	return "they differ in their line ends"
}

// Draw returns case index of the run from root, loaded: a world whose
// settings the settings page refuses is drawn again (a new world of the
// same index), up to a bound; refusals counts how many were.
func Draw(root uint64, index int, f Filter) (spec *Spec, sc *scenarios.Scenario, src []byte, refusals int, err error) {
	for attempt := range 50 {
		spec, err = Generate(root, index*1000+attempt, f)
		if err != nil {
			return nil, nil, nil, refusals, err
		}
		sc, src, err = Load(spec, header(root, index))
		if err == nil {
			return spec, sc, src, refusals, nil
		}
		if !Refused(err) {
			return nil, nil, nil, refusals, fmt.Errorf("explore: case %d of seed %d does not load (a bug of the generator): %w", index, root, err)
		}
		refusals++
	}
	return nil, nil, nil, refusals, fmt.Errorf("explore: case %d of seed %d: the settings page refused 50 worlds in a row; last: %w", index, root, err)
}

// Case is one explored case, ready to play.
type Case struct {
	// Root is the run's seed; Index the case's number in the run.
	Root     uint64
	Index    int
	Spec     *Spec
	Scenario *scenarios.Scenario
	Source   []byte
	// Refusals counts the worlds the settings page refused before this
	// one; Aimed says a pilot play placed its last faults.
	Refusals int
	Aimed    bool
}

// NewCase draws case index of the run from root (see DrawCase) and aims
// it (see Aim).
func NewCase(t *testing.T, root uint64, index int, f Filter) (*Case, error) {
	t.Helper()
	c, err := DrawCase(root, index, f)
	if err != nil {
		return nil, err
	}
	return c, c.Aim(t)
}

// DrawCase draws case index of the run from root, loaded (see Draw).
func DrawCase(root uint64, index int, f Filter) (*Case, error) {
	spec, sc, src, refusals, err := Draw(root, index, f)
	if err != nil {
		return nil, err
	}
	return &Case{Root: root, Index: index, Spec: spec, Scenario: sc, Source: src, Refusals: refusals}, nil
}

// Aim, for half the cases, aims faults at the world (see aim.go): the
// world as drawn is played once, in t, as a pilot, and given faults at the
// instants it showed. A pilot that breaks an invariant of its own leaves
// the case as drawn, which breaks it too.
func (c *Case) Aim(t *testing.T) error {
	t.Helper()
	r := seed.Rand(c.Spec.Seed, "explore aim")
	if !chance(r, 0.5) {
		return nil
	}
	pilot, v := playOnce(t, c.Scenario)
	if v != nil {
		return nil
	}
	aimed := aim(r, c.Spec, pilot)
	if aimed == nil {
		return nil
	}
	sc, src, err := Load(aimed, header(c.Root, c.Index))
	if err != nil {
		return fmt.Errorf("explore: case %d of seed %d, aimed, does not load (a bug of the generator): %w", c.Index, c.Root, err)
	}
	c.Spec, c.Scenario, c.Source, c.Aimed = aimed, sc, src, true
	return nil
}

// header is the comment a case's file begins with.
func header(root uint64, index int) string {
	return fmt.Sprintf("Explored case %d of seed %d (make explore SEED=%d).", index, root, root)
}
