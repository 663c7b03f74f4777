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
//	alertsim explore [flags]     generate worlds from a seed, check the invariants, shrink what fails
//	alertsim merge FILE...       merge a CI matrix's JUnit files and explore results into one of each
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
	{"explore", "[flags]", "generate worlds from a seed, check the invariants, shrink what fails (make explore)", exploreCmd},
	{"merge", "FILE...", "merge a CI matrix's JUnit files and explore results into one of each", merge},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if isHelp(args[0]) {
		// "alertsim help send" is "alertsim send -h".
		if len(args) > 1 {
			return run([]string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		if len(args) > 1 && isHelp(args[1]) {
			return commandHelp(c, stdout, stderr)
		}
		return c.run(args[1:], stdout, stderr)
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

// isHelp reports whether an argument asks for help, in any of the ways
// people ask.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// commandHelp answers a request for a command's help: its own usage for
// the commands with flags (whose flag package reports -h as an error, exit
// 2: help asked for is no error), its line of the usage for the others.
func commandHelp(c command, stdout, stderr io.Writer) int {
	switch c.name {
	case "serve", "send", "explore", "merge":
		c.run([]string{"-h"}, stdout, stderr)
	default:
		fmt.Fprintf(stdout, "usage: alertsim %s %s\n\n%s.\n", c.name, c.args, c.summary)
	}
	return 0
}
