package explore

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"alertsim/scenarios"
)

// InShard reports whether case i belongs to shard k of n (counting from
// 1): i mod n. A runner's parallel workers split a shard the same way,
// over i/n, so that the shards of a CI matrix do not depend on how many
// workers each runner has: together they play every case once.
func InShard(i, k, n int) bool { return i%n == k-1 }

// WriteFailure writes a failing case to dir: the shrunk world, named by
// the invariant it breaks and its seed, headed by what it breaks and how
// to replay it, and the world as drawn beside it (.original.yaml). It
// returns both paths as a person in the repository's root would type
// them.
func WriteFailure(dir string, c *Case, sh *Shrunk) (shrunk, original string, err error) {
	base := filepath.Join(dir, fmt.Sprintf("%s-%d", sh.Violation.Invariant, c.Spec.Seed))
	shrunk, original = base+".yaml", base+".original.yaml"
	device := strings.TrimSpace(c.Spec.Device.Model + " " + c.Spec.Device.Firmware)
	var h strings.Builder
	fmt.Fprintf(&h, "Found by make explore: case %d of seed %d, %s.\n", c.Index, c.Root, device)
	fmt.Fprintf(&h, "It breaks the invariant %s:\n  %s\n", sh.Violation.Invariant, sh.Violation.Detail)
	fmt.Fprintf(&h, "Shrunk in %d plays from %d faults and %d triggers to %d and %d.\n",
		sh.Plays, c.Spec.Faults(), len(c.Spec.Triggers), sh.Spec.Faults(), len(sh.Spec.Triggers))
	fmt.Fprintf(&h, "\nReplay it:        make replay SCENARIO=%s\n", shown(shrunk))
	fmt.Fprintf(&h, "Judge it again:   make explore CHECK=%s\n", shown(shrunk))
	fmt.Fprintf(&h, "As drawn:         %s\n", shown(original))
	h.WriteString("Once fixed, keep it: copy it under scenarios/<theme>/, name it after the case, then make golden.")
	spec := sh.Spec.clone()
	spec.Description = fmt.Sprintf("explore found: %s (shrunk from case %d of seed %d)", sh.Violation.Invariant, c.Index, c.Root)
	if err := os.WriteFile(shrunk, spec.Source(h.String()), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(original, c.Source, 0o644); err != nil {
		return "", "", err
	}
	return shown(shrunk), shown(original), nil
}

// shown is a path as typed from the repository's root: the test binary
// runs in scenarios/, so a relative path loses its "../".
func shown(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	if rel, ok := strings.CutPrefix(filepath.ToSlash(path), "../"); ok {
		return rel
	}
	return filepath.ToSlash(filepath.Join("scenarios", path))
}

// Features says what a run's world showed, for the summary's coverage:
// mails delivered and failed by class, drops, copies, mail held at the
// end, TLS, settings refused. Nil for a run that did not finish.
func Features(res *scenarios.Result) []string {
	if res == nil {
		return nil
	}
	set := map[string]bool{}
	for _, o := range res.Mails {
		if o.Delivered {
			set["delivered"] = true
			if o.Attempts > 1 {
				set["delivered on a retry"] = true
			}
		} else {
			set["failed "+string(o.Class)] = true
		}
	}
	for _, l := range res.Log {
		if dropLine.MatchString(l.Text) {
			set["queue full"] = true
		}
	}
	if len(res.Unsent) > 0 {
		set["held at the end"] = true
	}
	if strings.Contains(string(res.Record), " is a copy of message ") {
		set["250 lost, sent again"] = true
	}
	for _, m := range res.Captured {
		if m.TLS != nil {
			set["tls"] = true
		}
	}
	if res.Scenario.Device.ModelSettings() == nil {
		set["settings refused"] = true
	}
	return slices.Sorted(func(yield func(string) bool) {
		for k := range set {
			if !yield(k) {
				return
			}
		}
	})
}
