package main

import (
	"fmt"
	"io"

	"alertsim/scenarios"
)

func validate(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: alertsim validate FILE...")
		return 2
	}
	status := 0
	for _, path := range args {
		if _, err := scenarios.Load(path); err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", path)
	}
	return status
}
