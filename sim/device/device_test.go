package device

import (
	"strings"
	"testing"
	"time"

	"alertsim/sim/alert"
)

// TestComposeNamesTheMailByDeviceAndCount: a device's mail carries the
// time it was sent and a Message-ID from the device's seed, host name and
// the mail's number, so two devices, or two mails of one, never share one.
func TestComposeNamesTheMailByDeviceAndCount(t *testing.T) {
	now := time.Date(2000, 1, 1, 0, 1, 2, 0, time.UTC)
	a := alert.Alert{FromAddress: "cam@example.com", To: []string{"owner@example.com"}, Subject: "motion", Text: "Gate\n"}
	seen := map[string]bool{}
	for _, tc := range []struct {
		host string
		n    int
	}{{"cam-a", 1}, {"cam-a", 2}, {"cam-b", 1}} {
		b := Base{Env: Env{Hostname: tc.host, Seed: 7}}
		raw, err := b.Compose(tc.n, now, a)
		if err != nil {
			t.Fatal(err)
		}
		id := alert.MessageID(7, tc.host, tc.n)
		for _, want := range []string{"Message-Id: <" + id + ">\r\n", "Date: Sat, 01 Jan 2000 00:01:02 +0000\r\n"} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("%s mail %d lacks %q:\n%s", tc.host, tc.n, want, raw)
			}
		}
		if seen[id] {
			t.Errorf("%s mail %d: Message-ID %s again", tc.host, tc.n, id)
		}
		seen[id] = true
	}
}
