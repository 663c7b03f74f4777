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
	fmt.Fprintln(w, "PROFILE\tRTT\tDOWN\tUP\tPATH MTU\tBUFFER\tLOSS\tSOURCE")
	for _, p := range netem.Profiles() {
		mtu := "-"
		if p.PathMTU > 0 {
			mtu = fmt.Sprint(p.PathMTU)
		}
		fmt.Fprintf(w, "%s\t%v\t%v\t%v\t%s\t%v\t%v\t%s\n", p.Name, p.RTT, p.Down, p.Up, mtu, p.Buffer, p.Loss, p.Source)
	}
	w.Flush()
	return 0
}
