package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"alertsim/netem"
)

func profiles(args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: alertsim profiles")
		return 2
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PROFILE\tRTT\tDOWN\tUP\tSOURCE")
	for _, p := range netem.Profiles() {
		fmt.Fprintf(w, "%s\t%v\t%v\t%v\t%s\n", p.Name, p.RTT, p.Down, p.Up, p.Source)
	}
	w.Flush()
	return 0
}
