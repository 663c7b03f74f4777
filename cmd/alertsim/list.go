package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"alertsim/scenarios"
	"alertsim/sim/device"
)

func list(args []string, stdout, stderr io.Writer) int {
	dir := "scenarios"
	switch len(args) {
	case 0:
	case 1:
		dir = args[0]
	default:
		fmt.Fprintln(stderr, "usage: alertsim list [DIR]")
		return 2
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		if len(args) == 0 {
			fmt.Fprintf(stderr, "alertsim list: there is no scenarios folder here (%s): run it at the top of the repository, or name the folder: alertsim list DIR\n", dir)
		} else {
			fmt.Fprintf(stderr, "alertsim list: %s is not a folder of scenarios\n", dir)
		}
		return 1
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "SCENARIO\tDEVICE\tNETWORK\tDESCRIPTION")
	status := 0
	found := 0
	perModel := map[string]int{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return nil
		}
		found++
		sc, err := scenarios.Load(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
			return nil
		}
		perModel[sc.Device.Model.Name]++
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", strings.TrimSuffix(rel, ".yaml"), sc.Device.Model, sc.Network.Profile, sc.Description)
		return nil
	})
	w.Flush()

	// The models a scenario can name, from the registry, with how many of
	// the listed scenarios play each.
	fmt.Fprintln(stdout)
	w = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "MODEL\tFIRMWARE\tEVENTS\tKEEPS\tSCENARIOS\tSUMMARY")
	for _, m := range device.Models() {
		fw := "-"
		if len(m.Firmwares) > 0 {
			fw = strings.Join(m.Firmwares, ", ")
		}
		keeps := m.Evidence
		if keeps == "" {
			keeps = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", m.Name, fw, strings.Join(m.Events, ", "), keeps, perModel[m.Name], m.Summary)
	}
	w.Flush()
	if err != nil {
		fmt.Fprintf(stderr, "alertsim list: %v\n", err)
		return 1
	}
	if found == 0 {
		fmt.Fprintf(stderr, "alertsim list: no scenario files (*.yaml) under %s\n", dir)
		return 1
	}
	return status
}
