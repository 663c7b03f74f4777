package scenarios

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

var longRunFlag = flag.String("longrun", "", "play a long run, `model/hours` (ptz-4g/24: motion every 10 s for a day), and print its figures (BenchmarkLongRun)")

// longRuns are the devices a long run plays: motion every 10 s, each
// event's snapshot mailed to a server on the LAN.
var longRuns = map[string]string{
	// The 4G PTZ camera: SSL on 465 to a Gmail-like server, a login each mail.
	"ptz-4g": `device:
  model: ptz-4g
  settings:
    smtp_server: smtp.gmail.com
    username: cam@gmail.com
    password: abcdefghijklmnop
    sender_address: cam@gmail.com
    recipient_address: owner@example.com
servers:
  - host: smtp.gmail.com
    preset: gmail-like
    accounts: [{username: cam@gmail.com, password: Acc0unt-Pass, two_factor: true, app_passwords: [abcdefghijklmnop]}]
event: motion
`,
	// The DCS camera: plain SMTP on port 25 to the company's relay.
	"dcs-camera": `device:
  model: dcs-camera
  settings:
    smtp_server_1: mail.example.com
    sender_email_address: cam@example.com
    recipient_email_address: owner@example.com
    return_email_address: cam@example.com
servers:
  - host: mail.example.com
    preset: legacy-plain
event: motion-window-1
`,
}

// longRunSource is the scenario of a long run of model over hours.
func longRunSource(model string, hours int) []byte {
	src := longRuns[model]
	event := regexp.MustCompile(`(?m)^event: (.*)\n`).FindStringSubmatch(src)[1]
	src = regexp.MustCompile(`(?m)^event: .*\n`).ReplaceAllString(src, "")
	return []byte(fmt.Sprintf("seed: 1\nduration: %dh\nnetwork:\n  profile: lan\n%striggers:\n  - {at: 5s, event: %s, every: 10s}\n", hours, src, event))
}

// TestLongRun plays the long run -longrun names and prints its figures;
// BenchmarkLongRun runs it in a process of its own, to measure it.
func TestLongRun(t *testing.T) {
	if *longRunFlag == "" {
		t.Skip("run by BenchmarkLongRun")
	}
	var model string
	var hours int
	if _, err := fmt.Sscanf(regexp.MustCompile(`/`).ReplaceAllString(*longRunFlag, " "), "%s %d", &model, &hours); err != nil || longRuns[model] == "" {
		t.Fatalf("-longrun %q: want model/hours, a model of %v", *longRunFlag, longRuns)
	}
	sc, err := Parse("longrun.yaml", longRunSource(model, hours))
	if err != nil {
		t.Fatal(err)
	}
	events := len(firings(sc))
	res := Run(t, sc, Options{})
	if res.Accepted != events {
		t.Errorf("%d events, %d messages accepted: %s", events, res.Accepted, res.Outcome())
	}
	fmt.Printf("longrun: %d events, %d messages, record %d bytes\n", events, res.Accepted, len(res.Record))
}

// BenchmarkLongRun plays a long run in a fresh process (virtual time needs
// testing/synctest, which a benchmark cannot enter; a fresh process also
// measures the peak memory of the run alone): motion every 10 s on one
// device, for 1, 6 and 24 hours, so that its cost per event shows whether
// it is linear. It reports the wall time, the process's peak resident
// memory, and the wall time per event.
func BenchmarkLongRun(b *testing.B) {
	figures := regexp.MustCompile(`longrun: ([0-9]+) events`)
	for _, model := range []string{"ptz-4g", "dcs-camera"} {
		for _, hours := range []int{1, 6, 24} {
			b.Run(fmt.Sprintf("%s/%dh", model, hours), func(b *testing.B) {
				for b.Loop() {
					cmd := exec.Command(os.Args[0], "-test.run=^TestLongRun$", "-longrun", fmt.Sprintf("%s/%d", model, hours))
					start := time.Now()
					out, err := cmd.CombinedOutput()
					wall := time.Since(start)
					m := figures.FindSubmatch(out)
					if err != nil || m == nil {
						b.Fatalf("the long run failed: %v\n%s", err, out)
					}
					events, _ := strconv.Atoi(string(m[1]))
					rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KB on Linux
					b.ReportMetric(wall.Seconds(), "s/run")
					b.ReportMetric(float64(rss)/1024, "MB-peak")
					b.ReportMetric(float64(wall.Microseconds())/1000/float64(events), "ms/event")
					b.ReportMetric(float64(events), "events")
				}
			})
		}
	}
}
