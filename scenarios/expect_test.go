package scenarios

import (
	"strings"
	"testing"
)

// expectBase is a camera whose account password Gmail refuses once, then
// the app password goes through: a run with a refusal and a delivery to
// judge expectations against.
const expectBase = `seed: 1
duration: 2m
device:
  model: ptz-4g
  settings:
    camera_name: Gate
    smtp_server: smtp.gmail.com
    username: cam@gmail.com
    password: abcdefghijklmnop
    sender_address: cam@gmail.com
    recipient_address: owner@example.com
network:
  profile: lan
servers:
  - host: smtp.gmail.com
    preset: gmail-like
    accounts:
      - {username: cam@gmail.com, password: Acc0unt-Pass, two_factor: true, app_passwords: [abcdefghijklmnop]}
    faults:
      - {stage: auth, code: 454, enhanced: 4.7.0, text: "Temporary authentication failure", times: 1}
triggers:
  - {at: 5s, event: motion}
expect:
`

// judgeOne loads expectBase with the expectation given and plays it; it
// returns the checks of that expectation.
func judgeOne(t *testing.T, expect string) []Check {
	t.Helper()
	return judgeScenarioSource(t, expectBase+expect)
}

func judgeScenarioSource(t *testing.T, src string) []Check {
	t.Helper()
	sc, err := Parse("expect.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return Run(t, sc, Options{}).Checks
}

// TestEachExpectationFailsWhenViolated: each key of expect passes on a run
// that shows it and fails on one that does not, and says what it saw.
func TestEachExpectationFailsWhenViolated(t *testing.T) {
	for _, tc := range []struct {
		key, holds, violated string
		says                 string // in the violated check's text
	}{
		{"delivered", "  delivered: 1\n", "  delivered: 2\n", "the servers accepted 1"},
		{"attempts", "  attempts: 2\n", "  attempts: 1\n", "the device made 2"},
		{"failures", "  failures: [deferred]\n", "  failures: [auth]\n", "the device logged [deferred]"},
		{"delivered_by", "  delivered_by: 20s\n", "  delivered_by: 10s\n", "the last message arrived at 00:00:15"},
		{"replies", "  replies:\n    - {stage: auth, code: 454, enhanced: 4.7.0}\n", "  replies:\n    - {stage: auth, code: 534, enhanced: 5.7.9}\n", "refusals seen: 454 4.7.0 at auth"},
		{"replies (text)", "  replies:\n    - {code: 454, text: {pattern: Temporary}}\n", "  replies:\n    - {code: 454, text: \"Permanent failure\"}\n", "not seen"},
		{"replies (server)", "  replies:\n    - {code: 454, server: smtp.gmail.com}\n", "  replies:\n    - {code: 454, server: smtp.example.com}\n", "not seen"},
		{"messages (subject)", "  messages:\n    - {subject: Gate - Motion Detected}\n", "  messages:\n    - {subject: {pattern: Heartbeat}}\n", `message 1's Subject is "Gate - Motion Detected", want /Heartbeat/`},
		{"messages (from)", "  messages:\n    - {from: {pattern: \"<cam@gmail.com>$\"}}\n", "  messages:\n    - {from: owner@example.com}\n", `message 1's From is "\"Gate\" <cam@gmail.com>"`},
		{"messages (to)", "  messages:\n    - {to: <owner@example.com>}\n", "  messages:\n    - {to: <boss@example.com>}\n", "message 1's To is"},
		{"messages (headers)", "  messages:\n    - {headers: {MIME-Version: \"1.0\"}}\n", "  messages:\n    - {headers: {X-Mailer: PTZ}}\n", `message 1's X-Mailer is ""`},
		{"messages (server)", "  messages:\n    - {server: smtp.gmail.com}\n", "  messages:\n    - {server: smtp.example.com}\n", "accepted by smtp.gmail.com, not smtp.example.com"},
		{"messages (tls)", "  messages:\n    - {tls: true}\n", "  messages:\n    - {tls: false}\n", "message 1 came over TLS 1.3"},
		{"messages (count)", "  messages:\n    - {}\n", "  messages: []\n", "want 0, the servers accepted 1"},
		{"mails (attempts)", "  mails:\n    - {kind: motion, attempts: 2}\n", "  mails:\n    - {attempts: 3}\n", "mail 1 took 2 attempts, want 3"},
		{"mails (failures)", "  mails:\n    - {failures: [deferred]}\n", "  mails:\n    - {failures: [timeout, timeout]}\n", "mail 1 failed [deferred], want [timeout timeout]"},
		{"mails (outcome)", "  mails:\n    - {outcome: delivered}\n", "  mails:\n    - {outcome: failed}\n", "mail 1 delivered, want failed"},
		{"mails (kind)", "  mails:\n    - {kind: motion}\n", "  mails:\n    - {kind: heartbeat}\n", "mail 1 is a motion, not a heartbeat"},
		{"mails (count)", "  mails:\n    - {}\n", "  mails: []\n", "want 0, the device mailed 1"},
		{"settings_refused", "", "  settings_refused: {message: \"Port must be between 1 and 65535.\"}\n", "it took them"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			if tc.holds != "" {
				for _, c := range judgeOne(t, tc.holds) {
					if !c.OK {
						t.Errorf("holds, but failed: %s", c.Text)
					}
				}
			}
			checks := judgeOne(t, tc.violated)
			failed := false
			for _, c := range checks {
				if !c.OK {
					failed = true
					if !strings.Contains(c.Text, tc.says) {
						t.Errorf("the failure says %q, want it to say %q", c.Text, tc.says)
					}
				}
			}
			if !failed {
				t.Errorf("violated, but every check passed: %+v", checks)
			}
		})
	}
}

// TestSettingsRefusedIsTheOutcome: a scenario whose settings the page
// refuses, as expected, plays no device and passes when the words match;
// it fails when they do not, or when another field is refused.
func TestSettingsRefusedIsTheOutcome(t *testing.T) {
	src := strings.Replace(expectBase, "    camera_name: Gate\n", "    camera_name: Gate\n    port: 0\n", 1)
	for _, tc := range []struct {
		expect string
		ok     bool
		says   string
	}{
		{"  settings_refused: {field: port, message: \"Port must be between 1 and 65535.\"}\n  delivered: 0\n", true, ""},
		{"  settings_refused: {message: {pattern: \"^Port must\"}}\n", true, ""},
		{"  settings_refused: {message: \"Please enter the SMTP server.\"}\n", false, `it said "Port must be between 1 and 65535."`},
		{"  settings_refused: {field: smtp_server, message: {pattern: .}}\n", false, "it refused port instead"},
	} {
		for _, c := range judgeScenarioSource(t, src+tc.expect) {
			if c.OK != tc.ok || !c.OK && !strings.Contains(c.Text, tc.says) {
				t.Errorf("%s: %v %q; want ok %v saying %q", strings.TrimSpace(tc.expect), c.OK, c.Text, tc.ok, tc.says)
			}
		}
	}
	// Without the expectation, the same file is an error at its line.
	if _, err := Parse("bad.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "bad.yaml:7:11: ptz-4g setting port: Port must be between 1 and 65535.") {
		t.Errorf("refused settings without settings_refused: %v", err)
	}
}
