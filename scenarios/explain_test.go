package scenarios

import (
	"strings"
	"testing"
)

// TestExplainNamesTheCause: the replay's "why" section ties each failed
// attempt to what the network did meanwhile: for the MTU black hole, the
// oversize segments dropped without ICMP, for every attempt.
func TestExplainNamesTheCause(t *testing.T) {
	sc, err := Load("network/ptz-4g-mtu1500-handshake-blackhole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := Run(t, sc, Options{})
	why := strings.Join(Explain(res), "\n")
	attempts := strings.Count(why, "timeout at tls")
	causes := strings.Count(why, "x dropped: 1500 bytes exceed the path MTU 1428; ICMP is blocked")
	if attempts != len(res.FailureLog) || attempts == 0 || causes != attempts {
		t.Errorf("%d failures, %d explained as timeouts, %d with the black hole as cause:\n%s", len(res.FailureLog), attempts, causes, why)
	}

	sc, err = Load("ptz/ptz-gmail-465-motion.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if why := Explain(Run(t, sc, Options{})); len(why) != 0 {
		t.Errorf("a clean run explained:\n%s", strings.Join(why, "\n"))
	}
}
