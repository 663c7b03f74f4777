//go:build !linux

package fidelity

import "errors"

// Available says why the kernel rig cannot run here.
func Available() error {
	return errors.New("the kernel rig needs Linux (network namespaces, veth, tbf, TUN)")
}

// KernelRelease is unknown off Linux.
func KernelRelease() string { return "unknown" }

// RemoveStale has nothing to remove off Linux.
func RemoveStale() {}

// Rig is an experiment's namespaces; there are none off Linux.
type Rig struct{}

// Prepare cannot build namespaces off Linux.
func Prepare(e Experiment, id int) (*Rig, error) { return nil, Available() }

// Run does nothing off Linux.
func (g *Rig) Run() Outcome { return Outcome{Err: Available()} }

// Close does nothing off Linux.
func (g *Rig) Close() {}
