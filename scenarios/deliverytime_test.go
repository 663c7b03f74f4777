package scenarios

import (
	"strings"
	"testing"
	"time"

	"alertsim/fakesmtp"
)

// TestDeliveryTimeIsTwoSided: delivery_time fails a delivery that comes
// too soon as surely as one that comes too late, and a trigger whose mail
// never comes.
func TestDeliveryTimeIsTwoSided(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(valid+"expect:\n  delivery_time: {min: 15s, max: 20s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	judge := func(after ...time.Duration) Check {
		res := &Result{Scenario: sc, Start: start}
		for _, a := range after {
			// The trigger is at 5 s.
			res.Captured = append(res.Captured, &fakesmtp.Message{Received: start.Add(5*time.Second + a)})
		}
		var c Check
		for _, j := range sc.Expect.judges {
			c = j(res)
		}
		return c
	}
	for _, tc := range []struct {
		after []time.Duration
		ok    bool
	}{
		{[]time.Duration{15 * time.Second}, true},
		{[]time.Duration{20 * time.Second}, true},
		{[]time.Duration{17 * time.Second, 40 * time.Second}, true}, // the first after the trigger counts
		{[]time.Duration{9 * time.Second}, false},                   // too fast
		{[]time.Duration{21 * time.Second}, false},                  // too slow
		{nil, false},
	} {
		if c := judge(tc.after...); c.OK != tc.ok {
			t.Errorf("accepted %v after the trigger: ok %v, want %v (%s)", tc.after, c.OK, tc.ok, c.Text)
		}
	}
	if c := judge(9 * time.Second); !strings.Contains(c.Text, "accepted after 9s") {
		t.Errorf("the check does not say when: %s", c.Text)
	}
}
