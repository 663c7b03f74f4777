package explore_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"alertsim/explore"
	"alertsim/sim/alert"
	"alertsim/sim/device"
)

// forgetful is a firmware whose log carries state from outside the run:
// how many times any camera of it was powered on in this process, as a
// cache or a global would. Two plays of one world give two records.
const forgetful = "x-test-global"

var poweredOn atomic.Int64

func init() {
	device.RegisterVariant("ptz-4g", device.Variant{
		Version: forgetful, Base: "5.2.0", Summary: "writes a count kept outside the run in its log",
		Start: func(s device.Settings, env device.Env, start func(device.Settings, device.Env) (device.Device, error)) (device.Device, error) {
			n := poweredOn.Add(1)
			d, err := start(s, env)
			if err == nil && env.Log != nil {
				env.Log(alert.Event{Time: env.Clock.Now(), Text: fmt.Sprintf("boot %d", n)})
			}
			return d, err
		},
	})
}

// TestDeterminismIsJudgedOnTwoPlays: the determinism invariant compares
// two plays of the case, not one play with itself: a firmware whose
// record depends on what ran before it in the process breaks it, and the
// same world on the shipped firmware does not.
func TestDeterminismIsJudgedOnTwoPlays(t *testing.T) {
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
	if rep := play("5.2.0"); rep.Broke(explore.InvDeterminism) {
		t.Fatalf("the shipped firmware: %v", rep.Violations)
	}
	rep := play(forgetful)
	if !rep.Broke(explore.InvDeterminism) {
		t.Fatalf("a record carrying a count from outside the run: %v, want the determinism invariant broken", rep.Violations)
	}
	for _, v := range rep.Violations {
		if v.Invariant == explore.InvDeterminism && !strings.Contains(v.Detail, "boot ") {
			t.Errorf("the difference found is %q, want the boot line's", v.Detail)
		}
	}
}
