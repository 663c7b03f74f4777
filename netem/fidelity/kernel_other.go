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

// RunKernel cannot run off Linux.
func RunKernel(e Experiment, id int) Outcome { return Outcome{Err: Available()} }
