package scenarios

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"alertsim/golden"
)

// TestRenderOrdersTimelineByStableKey: entries of one instant are ordered
// by rank (the network before the device that reads its effect), then by
// source, then by their sequence within the source; never by the order
// they were added. Each tie below is decided by one of those keys alone:
// "net" has a lower rank than "camera" though it sorts after it, the two
// servers share a rank, and camera's two entries differ only in Seq.
func TestRenderOrdersTimelineByStableKey(t *testing.T) {
	at := 5 * time.Second
	entries := []entry{
		{At: at, Rank: rankDevice, Source: "camera", Seq: 2, Text: "connected"},
		{At: at, Rank: rankDevice, Source: "camera", Seq: 1, Text: "connect 203.0.113.25:465"},
		{At: at, Rank: rankNetwork, Source: "net", Seq: 7, Text: "established"},
		{At: at, Rank: rankServer, Source: "smtp.b.example #1", Seq: 1, Text: "S: 220 b"},
		{At: at, Rank: rankServer, Source: "smtp.a.example #1", Seq: 1, Text: "S: 220 a"},
		{At: at, Rank: rankScenario, Source: "scenario", Seq: 1, Text: "trigger: motion"},
		{At: at - time.Millisecond, Rank: rankServer, Source: "smtp.b.example #1", Seq: 0, Text: "* connection"},
	}
	want := strings.Join([]string{
		"00:00:04.999  smtp.b.example #1  * connection",
		"00:00:05.000  scenario           trigger: motion",
		"00:00:05.000  net                established",
		"00:00:05.000  camera             connect 203.0.113.25:465",
		"00:00:05.000  camera             connected",
		"00:00:05.000  smtp.a.example #1  S: 220 a",
		"00:00:05.000  smtp.b.example #1  S: 220 b",
	}, "\n") + "\n"
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		r := &runRecord{Timeline: entries}
		got := string(r.Render())
		got = got[strings.Index(got, "## timeline\n")+len("## timeline\n"):]
		got = got[:strings.Index(got, "\n## messages")]
		if got != want {
			t.Fatalf("timeline rendered in the wrong order (-want +got):\n%s", golden.Diff(want, got))
		}
		rng.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                    "00:00:00.000",
		1500 * time.Microsecond:              "00:00:00.001",
		61*time.Second + 20*time.Millisecond: "00:01:01.020",
		49 * time.Hour:                       "49:00:00.000",
	} {
		if got := Clock(d); got != want {
			t.Errorf("Clock(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestRenderIndentsMultiLineEntries(t *testing.T) {
	r := &runRecord{Timeline: []entry{{At: time.Second, Source: "cam", Text: "failed: 534 first line\n second line"}}}
	want := "00:00:01.000  cam  failed: 534 first line\n                    second line\n"
	if got := string(r.Render()); !strings.Contains(got, want) {
		t.Errorf("multi-line entry rendered as:\n%s\nwant:\n%s", got, want)
	}
}
