package explore_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"alertsim/explore"
	"alertsim/scenarios"
	"alertsim/sim/device"
)

// TestWorldsAreAFunctionOfTheSeed: the same run seed and case index give
// the same file, byte for byte; another index another world; and every
// world drawn loads as a file does, the settings page refusing few.
func TestWorldsAreAFunctionOfTheSeed(t *testing.T) {
	refused, worlds := 0, 300
	seen := map[string]bool{}
	for i := range worlds {
		a, _, srcA, n, err := explore.Draw(7, i, explore.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		_, _, srcB, _, err := explore.Draw(7, i, explore.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(srcA, srcB) {
			t.Fatalf("case %d drawn twice gives two files:\n%s\n---\n%s", i, srcA, srcB)
		}
		if seen[string(srcA)] {
			t.Errorf("case %d (%s) is a world drawn before", i, a.Name)
		}
		seen[string(srcA)] = true
		refused += n
	}
	// A refusal costs a draw; the generator should mostly draw what the
	// page takes.
	if refused > worlds/2 {
		t.Errorf("the settings page refused %d worlds for %d taken", refused, worlds)
	}
	t.Logf("%d worlds, %d refused by the settings page on the way", worlds, refused)
}

// TestFilterDrawsOnlyItsModelAndFirmware: a filter's worlds are all of
// its model and firmware; one naming what is not there is an error that
// says what is.
func TestFilterDrawsOnlyItsModelAndFirmware(t *testing.T) {
	for i := range 40 {
		spec, _, _, _, err := explore.Draw(3, i, explore.Filter{Model: "ptz-4g", Firmware: "4.1.8"})
		if err != nil {
			t.Fatal(err)
		}
		if spec.Device.Model != "ptz-4g" || spec.Device.Firmware != "4.1.8" {
			t.Fatalf("case %d is a %s %s", i, spec.Device.Model, spec.Device.Firmware)
		}
	}
	for _, f := range []explore.Filter{{Model: "toaster"}, {Model: "ptz-4g", Firmware: "9.9.9"}} {
		if _, _, _, _, err := explore.Draw(3, 0, f); err == nil {
			t.Errorf("filter %+v: no error", f)
		}
	}
}

// TestShardsAndWorkersPlayEveryCaseOnce: for any number of CI shards and
// of workers on each runner (which may differ from runner to runner),
// every case of the run is played by exactly one worker of one shard.
func TestShardsAndWorkersPlayEveryCaseOnce(t *testing.T) {
	const cases = 1000
	for _, n := range []int{1, 2, 3, 4, 7} {
		for _, jobs := range [][]int{{1}, {2}, {4}, {1, 2, 3, 4, 5, 6, 7}} {
			played := make([]int, cases)
			for k := 1; k <= n; k++ {
				j := jobs[(k-1)%len(jobs)] // runners with different core counts
				for m := 1; m <= j; m++ {
					for i := range cases {
						if explore.InShard(i, k, n) && explore.InShard(i/n, m, j) {
							played[i]++
						}
					}
				}
			}
			for i, p := range played {
				if p != 1 {
					t.Fatalf("%d shards, workers %v: case %d played %d times", n, jobs, i, p)
				}
			}
		}
	}
}

// TestEveryModelIsKnown: explore judges every registered model by what it
// knows of it; a new model needs its entry in models.go.
func TestEveryModelIsKnown(t *testing.T) {
	for _, m := range device.Models() {
		if !slices.Contains(explore.KnownModels(), m.Name) {
			t.Errorf("explore knows nothing of %s: add it to explore/models.go", m.Name)
		}
	}
}

// the scenarios package registers the models.
var _ = scenarios.Parse

// TestFaultsCountsEveryTrouble: each trouble a world can hold counts as a
// fault of its own, so that "at most three faults" of a shrunk case cannot
// hide a loss burst, a black hole or a NAT timeout.
func TestFaultsCountsEveryTrouble(t *testing.T) {
	s := &explore.Spec{
		Network: explore.NetworkSpec{
			Loss: &explore.LossSpec{Rate: 0.01}, PathMTU: 1400, Blackhole: true, NATIdle: time.Minute,
			BlockedPorts: []int{25}, MSSClamp: 1200, Faults: []explore.FaultSpec{{Kind: "down"}},
		},
		DNS: &explore.DNSSpec{Servers: []explore.DNSServerSpec{{Faults: []explore.DNSFaultSpec{{}}}}},
		Servers: []explore.ServerSpec{{
			Greylist: time.Minute, RateLimit: &explore.RateLimitSpec{Messages: 1, Per: time.Hour}, Tarpit: time.Second, Disconnect: 100,
			Certificate: "expired", MinTLS: "1.3", Faults: []explore.ServerFaultSpec{{}},
		}},
	}
	if got, want := s.Faults(), 14; got != want {
		t.Errorf("Faults() = %d for a world of %d troubles", got, want)
	}
}
