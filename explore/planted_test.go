package explore_test

import (
	"flag"
	"strings"
	"testing"

	"alertsim/explore"
	"alertsim/explore/planted"
	"alertsim/sim/device"
)

var plantedFlag = flag.Bool("planted", false, "run TestPlantedDefectsAreFound (make test runs it, outside the race detector)")

// TestPlantedDefectsAreFound: each of the three planted firmware variants
// is found within 2,000 explored cases of its firmware, breaking the
// invariant its defect is about, and shrunk to a scenario of at most
// three faults that breaks it still and loads as a file.
func TestPlantedDefectsAreFound(t *testing.T) {
	if !*plantedFlag {
		t.Skip("run with -planted (make test does, without the race detector)")
	}
	for _, tc := range []struct {
		firmware, invariant string
	}{
		{planted.Queue, explore.InvSilentLoss},
		{planted.Reuse, explore.InvRetrySchedule},
		{planted.Auth, explore.InvCredentials},
	} {
		t.Run(tc.firmware, func(t *testing.T) {
			for i := range 2000 {
				c, err := explore.NewCase(t, 1, i, explore.Filter{Model: "ptz-4g", Firmware: tc.firmware})
				if err != nil {
					t.Fatal(err)
				}
				rep := explore.Play(t, c.Spec, c.Scenario, c.Source)
				if !rep.Broke(tc.invariant) {
					continue
				}
				var detail string
				for _, v := range rep.Violations {
					if v.Invariant == tc.invariant {
						detail = v.Detail
					}
				}
				sh := explore.Shrink(t, c.Spec, tc.invariant, detail, 400)
				src := sh.Spec.Source("shrunk by TestPlantedDefectsAreFound")
				if _, _, err := explore.Load(sh.Spec, ""); err != nil {
					t.Fatalf("the shrunk case does not load: %v\n%s", err, src)
				}
				if n := sh.Spec.Faults(); n > 3 {
					t.Errorf("shrunk to %d faults, want at most 3:\n%s", n, src)
				}
				t.Logf("found in case %d (%d cases played), broke %s: %s\nshrunk in %d plays from %d faults and %d triggers to %d and %d; it breaks: %s\n%s",
					i, i+1, tc.invariant, detail, sh.Plays, c.Spec.Faults(), len(c.Spec.Triggers), sh.Spec.Faults(), len(sh.Spec.Triggers), sh.Violation.Detail, src)
				return
			}
			t.Errorf("%s not found in 2000 cases", tc.firmware)
		})
	}
}

// TestShippedFirmwareHasNoDefectOfTheseKinds: the shipped 5.2.0, in the
// very worlds where each planted variant was caught first, breaks no
// invariant: what the test above finds is the defect, not the world.
func TestShippedFirmwareHasNoDefectOfTheseKinds(t *testing.T) {
	if !*plantedFlag {
		t.Skip("run with -planted")
	}
	for i := range 30 {
		c, err := explore.NewCase(t, 1, i, explore.Filter{Model: "ptz-4g", Firmware: planted.Queue})
		if err != nil {
			t.Fatal(err)
		}
		c.Spec.Device.Firmware = "5.2.0"
		sc, src, err := explore.Load(c.Spec, "")
		if err != nil {
			t.Fatal(err)
		}
		if rep := explore.Play(t, c.Spec, sc, src); rep.Failed() {
			t.Errorf("case %d on the shipped firmware: %v", i, rep.Violations)
		}
	}
}

// TestVariantsAreNotShipped: the variants are known only once this test
// binary has registered them, and never as a shipped firmware.
func TestVariantsAreNotShipped(t *testing.T) {
	m, _ := device.Lookup("ptz-4g")
	for _, v := range []string{planted.Queue, planted.Reuse, planted.Auth} {
		if _, ok := m.Variant(v); !ok {
			t.Errorf("%s is not registered", v)
		}
		for _, fw := range m.Firmwares {
			if fw == v || strings.HasPrefix(fw, "x-") {
				t.Errorf("%s is listed among the shipped firmwares %v", fw, m.Firmwares)
			}
		}
	}
}
