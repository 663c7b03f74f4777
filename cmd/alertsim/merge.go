package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"alertsim/explore/results"
)

// merge puts the results of a CI matrix's shards together: their JUnit
// files into one (the gate's and explore's), explore's case lines into
// one summary, and checks that the shards played every case of the run
// once.
func merge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	junit := fs.String("junit", "build/junit-merged.xml", "the merged JUnit `file`")
	summary := fs.String("summary", "build/summary-merged.txt", "the merged summary `file`")
	n := fs.Int("n", 0, "the explore run's size: check that the shards played each of its cases once (0: no check)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: alertsim merge [flags] FILE...\n\nMerge JUnit files (*.xml) into one, and explore's results (*.jsonl, written by alertsim explore\nbeside its JUnit file) into one summary: what a CI matrix's shards leave behind.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	if *n < 0 {
		fmt.Fprintf(stderr, "alertsim merge: -n %d: the run's size is a number of cases, 0 for no check\n", *n)
		return 2
	}
	var suites []results.Suites
	var cs []results.Case
	for _, path := range fs.Args() {
		switch filepath.Ext(path) {
		case ".xml":
			s, err := results.ReadJUnit(path)
			if err != nil {
				fmt.Fprintf(stderr, "alertsim merge: %v\n", err)
				return 2
			}
			suites = append(suites, s)
		case ".jsonl":
			got, err := results.Read(path)
			if err != nil {
				fmt.Fprintf(stderr, "alertsim merge: %v\n", err)
				return 2
			}
			cs = append(cs, got...)
		default:
			fmt.Fprintf(stderr, "alertsim merge: %s: a JUnit file (.xml) or explore's results (.jsonl)?\n", path)
			return 2
		}
	}
	merged := results.Merge("alertsim", suites...)
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s %8s %8s %8s\n", "SUITE", "TESTS", "FAILED", "ERRORS")
	for _, s := range merged.Suites {
		fmt.Fprintf(&b, "%-40s %8d %8d %8d\n", s.Name, s.Tests, s.Failures, s.Errors)
	}
	fmt.Fprintf(&b, "%-40s %8d %8d %8d\n", "total", merged.Tests, merged.Failures, merged.Errors)
	status := 0
	if merged.Failures+merged.Errors > 0 {
		status = 1
	}
	if len(cs) > 0 {
		results.Sort(cs)
		b.WriteString("\n")
		results.Summary(&b, cs, 0)
	}
	// Checked even when no results were read: then every case is missing.
	if *n > 0 {
		twice, missing := results.Check(cs, *n)
		switch {
		case len(twice) > 0 || len(missing) > 0:
			fmt.Fprintf(&b, "\nthe shards did not play each case once: %d played twice (%s), %d by none (%s)\n", len(twice), head(twice), len(missing), head(missing))
			status = 1
		default:
			fmt.Fprintf(&b, "\nthe shards played each of the run's %d cases once\n", *n)
		}
	}
	if err := writeJUnitAndSummary(*junit, merged, *summary, b.String()); err != nil {
		fmt.Fprintf(stderr, "alertsim merge: %v\n", err)
		return 2
	}
	io.WriteString(stdout, b.String())
	fmt.Fprintf(stdout, "\nmerged JUnit: %s (%d test cases); summary: %s\n", *junit, merged.Tests, *summary)
	return status
}

// head lists the first few of a list of case indexes.
func head(is []int) string {
	var s []string
	for i, v := range is {
		if i == 8 {
			s = append(s, "...")
			break
		}
		s = append(s, fmt.Sprint(v))
	}
	return strings.Join(s, ", ")
}
