package scenarios

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// valid is a minimal good scenario; the bad cases below each break one
// thing in it.
const valid = `seed: 1
duration: 60s
device:
  model: ptz-4g
  settings:
    smtp_server: smtp.gmail.com
    username: cam@gmail.com
    password: app-password
    sender_address: cam@gmail.com
    recipient_address: owner@example.com
network:
  profile: 4g-good
servers:
  - host: smtp.gmail.com
    listen:
      - port: 465
        mode: implicit-tls
triggers:
  - at: 5s
    event: motion
`

func TestParseValid(t *testing.T) {
	sc, err := Parse("ok.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "ok" || sc.Duration.D().Seconds() != 60 || sc.Servers[0].Address != "203.0.113.10" || sc.Device.Hostname != "ptz-camera" {
		t.Errorf("defaults not applied: %+v", sc)
	}
}

// TestParseRejectsBadInput: every malformed file gives an error naming the
// file, line and column of the problem, and what is wrong; never a panic.
func TestParseRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       string // the start of the error
	}{
		{"unknown top-level key", strings.Replace(valid, "seed: 1\n", "seed: 1\nsed: 2\n", 1),
			`bad.yaml:2:1: unknown field "sed"`},
		{"unknown setting", strings.Replace(valid, "    username:", "    user_name: x\n    username:", 1),
			`bad.yaml:7:5: unknown field "user_name"`},
		{"bad duration", strings.Replace(valid, "duration: 60s", "duration: 60 seconds", 1),
			`bad.yaml:2:11: "60 seconds" is not a duration (write a number with a unit`},
		{"duration without unit", strings.Replace(valid, "duration: 60s", "duration: 60", 1),
			`bad.yaml:2:11: 60 is not a duration`},
		{"bad trigger time", strings.Replace(valid, "at: 5s", "at: soon", 1),
			`bad.yaml:19:9: "soon" is not a duration`},
		{"missing duration", strings.Replace(valid, "duration: 60s\n", "", 1),
			`bad.yaml: the scenario needs a duration`},
		{"unknown model", strings.Replace(valid, "model: ptz-4g", "model: ptz-5g", 1),
			`bad.yaml:4:10: unknown device model "ptz-5g" (models: ptz-4g, dir-router, dcs-camera, bb-camera)`},
		{"unknown profile", strings.Replace(valid, "profile: 4g-good", "profile: 5g", 1),
			`bad.yaml:12:12: unknown network profile "5g" (profiles: lan, fiber`},
		{"unknown mode", strings.Replace(valid, "mode: implicit-tls", "mode: ssl", 1),
			`bad.yaml:17:15: unknown listener mode "ssl" (modes: plain, starttls, implicit-tls)`},
		{"bad port", strings.Replace(valid, "port: 465", "port: 70000", 1),
			`bad.yaml:16:15: port 70000 is outside 1-65535`},
		{"unknown event", strings.Replace(valid, "event: motion", "event: earthquake", 1),
			`bad.yaml:20:12: the ptz-4g does not know the event "earthquake" (events: motion, human, vehicle, line-crossing, region-intrusion, test-email)`},
		{"trigger after the end", strings.Replace(valid, "at: 5s", "at: 90s", 1),
			`bad.yaml:19:9: trigger at 1m30s is after the end of the run (1m0s)`},
		{"bad sender address in the UI's words", strings.Replace(valid, "sender_address: cam@gmail.com", "sender_address: cam at gmail", 1),
			`bad.yaml:9:21: ptz-4g setting sender_address: You MUST enter a valid e-mail address format`},
		{"wrong type", strings.Replace(valid, "seed: 1", "seed: one", 1),
			`bad.yaml:1:7: cannot unmarshal string into Go struct field Scenario.Seed of type uint64`},
		{"negative seed", strings.Replace(valid, "seed: 1", "seed: -1", 1),
			`bad.yaml:1:7: cannot unmarshal -1 into Go value of type uint64`},
		{"syntax error", strings.Replace(valid, "profile: 4g-good", "profile: [4g-good", 1),
			`bad.yaml:13:1: ',' or ']' must be specified`},
		{"tab indentation", strings.Replace(valid, "  model: ptz-4g", "\tmodel: ptz-4g", 1),
			`bad.yaml:4:1: a tab character (YAML indents with spaces, not tabs)`},
		{"duplicate key", strings.Replace(valid, "seed: 1\n", "seed: 1\nseed: 2\n", 1),
			`bad.yaml:2:1: mapping key "seed" already defined at [1:1]`},
		{"not a mapping", "- seed: 1\n", `bad.yaml:1:1: a scenario is a mapping of keys`},
		{"empty file", "", `bad.yaml: the file is empty`},
		{"two documents", valid + "---\nseed: 2\n", `bad.yaml:22:1: a file holds one scenario`},
		{"server without listener", strings.Replace(valid, "    listen:\n      - port: 465\n        mode: implicit-tls\n", "", 1),
			`bad.yaml:14:5: server smtp.gmail.com listens on no port`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v (%T), want *scenarios.Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error:\n  %s\nwant it to start with:\n  %s", err, tc.want)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), "testdata/does-not-exist.yaml: cannot read the scenario") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// FuzzParse feeds the loader arbitrary bytes: it must return a scenario or
// an *Error, and never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("seed: [1\n"))
	f.Add([]byte("duration: 60x\n"))
	f.Add([]byte(":\n- &a [*a]\n"))
	for _, path := range library(f) {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if sc.model == nil || sc.Duration <= 0 {
			t.Fatalf("accepted an incomplete scenario: %+v", sc)
		}
	})
}
