// Command alertsim works with the scenario library and the network
// profiles outside a test run.
//
// Usage:
//
//	alertsim list [DIR]          list the scenarios under DIR (default ./scenarios)
//	alertsim validate FILE...    check scenario files, reporting problems as file:line:col
//	alertsim profiles            list the network profiles and where their figures come from
//	alertsim serve [flags]       a fake SMTP server on real sockets, for a device on the bench
//	alertsim send SETTINGS.yaml  one alert through a real server, with the device's pipeline
//
// Playing scenarios needs virtual time, which only exists inside a test
// binary: use `make demo` and `make replay SCENARIO=file`.
package main

import (
	"fmt"
	"io"
	"os"
)

type command struct {
	name, args, summary string
	run                 func(args []string, stdout, stderr io.Writer) int
}

var commands = []command{
	{"list", "[DIR]", "list the scenarios under DIR (default ./scenarios)", list},
	{"validate", "FILE...", "check scenario files, reporting problems as file:line:col", validate},
	{"profiles", "", "list the network profiles and where their figures come from", profiles},
	{"serve", "[flags]", "a fake SMTP server on real sockets, for a device on the bench", serve},
	{"send", "SETTINGS", "one alert through a real server, with the device's pipeline", send},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "alertsim: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: alertsim COMMAND [ARGS]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %-8s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nTo play scenarios: make demo, or make replay SCENARIO=file.yaml [SEED=n].")
}
