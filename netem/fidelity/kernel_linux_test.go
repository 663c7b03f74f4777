package fidelity

import "testing"

// TestRigPID: a namespace of the rig names the run that made it, so a
// stale one can be told from one a live run still uses.
func TestRigPID(t *testing.T) {
	for name, want := range map[string]int{"alertsim-fid4242-3d": 4242, "alertsim-fid17-0s": 17, "other-ns": 0, "alertsim-fidx-1d": 0, "alertsim-fid12": 0} {
		got, ok := rigPID(name)
		if got != want || ok != (want != 0) {
			t.Errorf("rigPID(%q) = %d, %v; want %d", name, got, ok, want)
		}
	}
}
