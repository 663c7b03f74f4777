package explore_test

import (
	"testing"

	"alertsim/explore"
	"alertsim/sim/device"
)

// leaky is a firmware that leaves a goroutine behind: it starts one, in
// the run's bubble, that waits for ever.
const leaky = "x-test-leak"

func init() {
	device.RegisterVariant("ptz-4g", device.Variant{
		Version: leaky, Base: "5.2.0", Summary: "leaves a goroutine blocked when it is switched off",
		Start: func(s device.Settings, env device.Env, start func(device.Settings, device.Env) (device.Device, error)) (device.Device, error) {
			never := make(chan struct{})
			go func() { <-never }()
			return start(s, env)
		},
	})
}

// TestLeakAndMemoryAreReported: a firmware that leaves a goroutine
// blocked breaks the leak invariant (synctest's deadlock, caught), and a
// case over the memory bound breaks that one; the same world on the
// shipped firmware within the bound breaks neither.
func TestLeakAndMemoryAreReported(t *testing.T) {
	spec, _, _, _, err := explore.Draw(1, 0, explore.Filter{Model: "ptz-4g", Firmware: "5.2.0"})
	if err != nil {
		t.Fatal(err)
	}
	play := func(firmware string) *explore.Report {
		s := *spec
		s.Device.Firmware = firmware
		sc, src, err := explore.Load(&s, "")
		if err != nil {
			t.Fatal(err)
		}
		return explore.Play(t, &s, sc, src)
	}
	if rep := play("5.2.0"); rep.Broke(explore.InvLeak) || rep.Broke(explore.InvMemory) {
		t.Fatalf("the shipped firmware: %v", rep.Violations)
	}
	if rep := play(leaky); !rep.Broke(explore.InvLeak) {
		t.Errorf("a goroutine left blocked: %v, want the leak invariant broken", rep.Violations)
	}
	defer func(was uint64) { explore.MaxAllocated = was }(explore.MaxAllocated)
	explore.MaxAllocated = 1 << 10
	if rep := play("5.2.0"); !rep.Broke(explore.InvMemory) {
		t.Errorf("a case over a 1 KB bound: %v, want the memory invariant broken", rep.Violations)
	}
}
