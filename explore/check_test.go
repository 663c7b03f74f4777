package explore_test

import (
	"maps"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"alertsim/explore"
	"alertsim/fakesmtp"
	"alertsim/netem"
	"alertsim/scenarios"
	"alertsim/sim/agent"
	"alertsim/sim/alert"
	"alertsim/sim/dcs"
	"alertsim/sim/ptz"
)

// played plays a library scenario, for a checker test to break.
func played(t *testing.T, path string) *scenarios.Result {
	t.Helper()
	sc, err := scenarios.Load("../scenarios/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return scenarios.Run(t, sc, scenarios.Options{})
}

// broken reports the invariants Check finds in res.
func broken(res *scenarios.Result) []string {
	var out []string
	for _, v := range explore.Check(res) {
		out = append(out, v.Invariant)
	}
	return slices.Compact(slices.Sorted(slices.Values(out)))
}

// TestCheckSeesEachBrokenInvariant: a library run keeps every invariant;
// the same run with one fact changed, as a defective firmware would
// change it, breaks the invariant about that fact and no other.
func TestCheckSeesEachBrokenInvariant(t *testing.T) {
	// Greylisted twice, delivered on the third attempt, 10 s and 30 s
	// after the first two ended; one frame on the SD card.
	res := played(t, "ptz/ptz-greylisted-retry-delivered.yaml")
	if got := broken(res); len(got) != 0 {
		t.Fatalf("the library run breaks %v: %v", got, explore.Check(res))
	}
	for _, tc := range []struct {
		name   string
		change func(r *scenarios.Result)
		want   string
	}{
		{"a failed attempt left out of the failure log", func(r *scenarios.Result) {
			r.FailureLog = r.FailureLog[:1]
			r.Mails[0].Failures = r.Mails[0].Failures[:1]
		}, explore.InvSilentLoss},
		{"a mail that never was", func(r *scenarios.Result) { r.Mails = nil; r.FailureLog = nil }, explore.InvSilentLoss},
		{"a retry 1 s late", func(r *scenarios.Result) { r.Mails[0].Tries[1].Start = r.Mails[0].Tries[1].Start.Add(time.Second) }, explore.InvRetrySchedule},
		{"a retry after a refusal", func(r *scenarios.Result) { r.FailureLog[0].Class = "rejected"; r.Mails[0].Failures[0] = "rejected" }, explore.InvRetrySchedule},
		{"a retry on the connection of the attempt before", func(r *scenarios.Result) { r.FailureLog[1].Conns = r.FailureLog[0].Conns }, explore.InvRetrySchedule},
		{"a frame missing from the SD card", func(r *scenarios.Result) {
			ev := *r.Evidence
			ev.Files = nil
			r.Evidence = &ev
		}, explore.InvEvidence},
		{"the message taken twice, the 250 heard", func(r *scenarios.Result) {
			m := *r.Captured[0]
			m.ID = 2
			r.Captured = append(r.Captured, &m)
		}, explore.InvDuplicate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := clone(res)
			tc.change(r)
			if got := broken(r); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("breaks %v, want [%s]: %v", got, tc.want, explore.Check(r))
			}
		})
	}
}

// TestCheckSeesCredentialsInClear: STARTTLS to Outlook keeps the rule;
// the same session with its AUTH before the TLS note breaks it.
func TestCheckSeesCredentialsInClear(t *testing.T) {
	res := played(t, "ptz/ptz-outlook-587-starttls.yaml")
	if got := broken(res); len(got) != 0 {
		t.Fatalf("the library run breaks %v", got)
	}
	r := clone(res)
	ss := &r.Sessions[0].Session
	tr := slices.Clone(ss.Transcript)
	tls := slices.IndexFunc(tr, func(l fakesmtp.Line) bool { return strings.HasPrefix(l.Text, "TLS negotiated") })
	auth := slices.IndexFunc(tr, func(l fakesmtp.Line) bool { return strings.HasPrefix(l.Text, "AUTH ") })
	if tls < 0 || auth < tls {
		t.Fatalf("no TLS before AUTH in the transcript: %v", tr)
	}
	note := tr[tls]
	tr = slices.Delete(tr, tls, tls+1)
	tr = slices.Insert(tr, auth, note) // now just after the AUTH line
	ss.Transcript = tr
	if got := broken(r); !slices.Equal(got, []string{explore.InvCredentials}) {
		t.Errorf("breaks %v, want [credentials]", got)
	}
}

// TestCheckAllowsTheKnownDuplicate: a server that took the message and
// whose 250 never came back has it twice, and the record says which is the
// copy: allowed. Without that line in the record, it is not.
func TestCheckAllowsTheKnownDuplicate(t *testing.T) {
	res := played(t, "network/ptz-250-lost-after-data-sent-again.yaml")
	if res.Accepted != 2 {
		t.Fatalf("%d messages accepted, want the message and its copy", res.Accepted)
	}
	if got := broken(res); len(got) != 0 {
		t.Fatalf("the known duplicate breaks %v: %v", got, explore.Check(res))
	}
	r := clone(res)
	r.Record = []byte(strings.ReplaceAll(string(r.Record), "is a copy of message", "is like message"))
	if got := broken(r); !slices.Equal(got, []string{explore.InvDuplicate}) {
		t.Errorf("a record that does not say so breaks %v, want [duplicate]", got)
	}
}

// clone copies what a test changes of a result.
func clone(res *scenarios.Result) *scenarios.Result {
	r := *res
	r.Mails = slices.Clone(res.Mails)
	for i := range r.Mails {
		r.Mails[i].Tries = slices.Clone(r.Mails[i].Tries)
		r.Mails[i].Failures = slices.Clone(r.Mails[i].Failures)
	}
	r.FailureLog = slices.Clone(res.FailureLog)
	r.Captured = slices.Clone(res.Captured)
	r.Sessions = slices.Clone(res.Sessions)
	return &r
}

// TestCheckSeesAMailNeverTried: a mail the device counts as neither
// delivered nor failed, with no attempt at all (what alert.Deliver gives
// for a policy with no servers), is lost without a word: the checker says
// so rather than failing on the attempt it looks for.
func TestCheckSeesAMailNeverTried(t *testing.T) {
	res := played(t, "ptz/ptz-greylisted-retry-delivered.yaml")
	r := clone(res)
	r.Mails = []alert.Outcome{{Mail: 1, Kind: r.Mails[0].Kind}}
	r.FailureLog = nil
	r.Captured = nil
	if got := broken(r); !slices.Equal(got, []string{explore.InvSilentLoss}) {
		t.Errorf("breaks %v, want [silent-loss]: %v", got, explore.Check(r))
	}
}

// TestCheckSeesCredentialsOnAnotherPort: a firmware set up for STARTTLS
// on 587 that falls back to plain port 25 and logs in there sends its
// credentials in clear to the same server: the rule is the server's, not
// its port's.
func TestCheckSeesCredentialsOnAnotherPort(t *testing.T) {
	res := played(t, "ptz/ptz-outlook-587-starttls.yaml")
	r := clone(res)
	ss := &r.Sessions[0].Session
	local, err := netip.ParseAddrPort(ss.Local)
	if err != nil || local.Port() != 587 {
		t.Fatalf("session on %q, want port 587", ss.Local)
	}
	ss.Local = netip.AddrPortFrom(local.Addr(), 25).String()
	ss.Transcript = slices.DeleteFunc(slices.Clone(ss.Transcript), func(l fakesmtp.Line) bool {
		return l.Kind == fakesmtp.Note && strings.HasPrefix(l.Text, "TLS negotiated")
	})
	if got := broken(r); !slices.Equal(got, []string{explore.InvCredentials}) {
		t.Errorf("breaks %v, want [credentials]: %v", got, explore.Check(r))
	}
}

// TestCheckWantsEvidenceOfTheLostReply: the known duplicate is allowed
// on what the server and the network show, not on the device's word: a
// copy is excused only if the server's session has the 250 for it (or the
// connection broke at the server before it could go out) and the
// device's attempt over that connection failed waiting for it because the
// connection broke or the wait ran out. And a mail sent again under a new
// Message-ID is a copy all the same.
func TestCheckWantsEvidenceOfTheLostReply(t *testing.T) {
	res := played(t, "network/ptz-250-lost-after-data-sent-again.yaml")
	if got := broken(res); len(got) != 0 {
		t.Fatalf("the known duplicate breaks %v: %v", got, explore.Check(res))
	}
	first := res.Captured[0]
	for _, tc := range []struct {
		name   string
		change func(r *scenarios.Result)
	}{
		{"the server never sent its 250", func(r *scenarios.Result) {
			ss := &r.Sessions[0].Session
			ss.Transcript = slices.DeleteFunc(slices.Clone(ss.Transcript), func(l fakesmtp.Line) bool {
				return l.Kind == fakesmtp.Reply && strings.HasPrefix(l.Text, "250 2.0.0") && !l.At.Before(first.Received)
			})
		}},
		{"the device failed at data on a connection nothing broke", func(r *scenarios.Result) {
			r.Trace = slices.DeleteFunc(slices.Clone(r.Trace), func(ev netem.TraceEvent) bool {
				return ev.Kind == netem.EventReset || ev.Kind == netem.EventNetworkReset
			})
			r.FailureLog[0].Detail = "unexpected reply: 250 2.0.0 Ok: queued as 47A14B6201"
		}},
		{"a new Message-ID for the second attempt", func(r *scenarios.Result) {
			m := *r.Captured[1]
			m.Parts = slices.Clone(m.Parts)
			m.Parts[0].Header = strings.Replace(m.Parts[0].Header, ".1@", ".7@", 1)
			if m.Parts[0].Header == r.Captured[1].Parts[0].Header {
				t.Fatalf("no Message-ID to change in %q", m.Parts[0].Header)
			}
			r.Captured[1] = &m
			r.Received = slices.Clone(r.Received)
			r.Received[1].Message = &m
			// The record marks a copy by its Message-ID: this one it would not.
			r.Record = []byte(strings.ReplaceAll(string(r.Record), "message 2 is a copy of message 1", "message 2"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := clone(res)
			tc.change(r)
			if got := broken(r); !slices.Equal(got, []string{explore.InvDuplicate}) {
				t.Errorf("breaks %v, want [duplicate]: %v", got, explore.Check(r))
			}
		})
	}
}

// TestCheckKeepsOffMailOnlyWhatTheSettingsSay: a device's log line saying
// it kept an event off mail (a PTZ camera's alert interval, a DCS
// camera's recording schedule, a router's log mail already on its way)
// excuses the missing mail only where the settings and the trigger times
// say the event is kept off mail.
func TestCheckKeepsOffMailOnlyWhatTheSettingsSay(t *testing.T) {
	t.Run("ptz alert interval", func(t *testing.T) {
		// Motion every 15 s with a 60 s interval: two of five mailed.
		res := played(t, "ptz/ptz-alert-interval-throttles-events.yaml")
		if got := broken(res); len(got) != 0 {
			t.Fatalf("the library run breaks %v: %v", got, explore.Check(res))
		}
		s := res.Scenario.Device.ModelSettings().(*ptz.Settings)
		for _, interval := range []int{0, 30} {
			s.AlertInterval = interval
			if got := broken(res); !slices.Equal(got, []string{explore.InvSilentLoss}) {
				t.Errorf("with an alert interval of %d s, breaks %v, want [silent-loss]: %v", interval, got, explore.Check(res))
			}
		}
	})
	t.Run("dcs recording schedule", func(t *testing.T) {
		// Motion at 00:00:30, outside 00:01-08:00: nothing mailed.
		res := played(t, "dcs/dcs-outside-recording-schedule.yaml")
		if got := broken(res); len(got) != 0 {
			t.Fatalf("the library run breaks %v: %v", got, explore.Check(res))
		}
		res.Scenario.Device.ModelSettings().(*dcs.Settings).RecordingSchedule = "00:00-08:00"
		if got := broken(res); !slices.Equal(got, []string{explore.InvSilentLoss}) {
			t.Errorf("with motion inside the schedule, breaks %v, want [silent-loss]: %v", got, explore.Check(res))
		}
	})
	t.Run("dir log mail on its way", func(t *testing.T) {
		// Email Now at 01:00:00 mails the log.
		res := played(t, "dir/dir-schedule-and-email-now-same-instant.yaml")
		if got := broken(res); len(got) != 0 {
			t.Fatalf("the library run breaks %v: %v", got, explore.Check(res))
		}
		press := func(at time.Duration, line string) *scenarios.Result {
			r := clone(res)
			r.Fired = append(slices.Clone(r.Fired), scenarios.Fired{At: at, Event: "email-log-now"})
			slices.SortStableFunc(r.Fired, func(a, b scenarios.Fired) int { return int(a.At - b.At) })
			r.Log = append(slices.Clone(r.Log), scenarios.LogLine{At: at, Text: line})
			return r
		}
		// Pressed again while the first mail is under way: rightly not mailed.
		if r := press(time.Hour, "email now: a log mail is already on its way"); len(broken(r)) != 0 {
			t.Errorf("a press while the log mail is on its way breaks %v", explore.Check(r))
		}
		for _, line := range []string{"email now: a log mail is already on its way", "email now: e-mail notification is disabled"} {
			r := press(30*time.Minute, line)
			if got := broken(r); !slices.Equal(got, []string{explore.InvSilentLoss}) {
				t.Errorf("a press at 00:30:00 excused by %q breaks %v, want [silent-loss]: %v", line, got, explore.Check(r))
			}
		}
	})
}

// TestCheckSeesAMailHeldForGood: a mail the device still held when it was
// switched off is no loss only if the mail task could not have begun it
// yet: busy up to the end (an attempt, a retry's wait) or asked for just
// before the end. A Test Email pressed at 00:00:06, while the alert was
// being retried, and still held at the switch-off at 00:02:00, more than
// a minute after the alert was delivered, is a mail task hung for good.
func TestCheckSeesAMailHeldForGood(t *testing.T) {
	res := played(t, "ptz/ptz-greylisted-retry-delivered.yaml")
	end := res.Scenario.Duration.D()
	for _, tc := range []struct {
		at   time.Duration
		want []string
	}{
		{6 * time.Second, []string{explore.InvSilentLoss}},
		{end - time.Microsecond, nil}, // pressed as the camera went off
	} {
		r := clone(res)
		r.Fired = append(slices.Clone(r.Fired), scenarios.Fired{At: tc.at, Event: "test-email"})
		r.Unsent = []string{"test email"}
		if got := broken(r); !slices.Equal(got, tc.want) {
			t.Errorf("a Test Email pressed at %s and held: breaks %v, want %v: %v", scenarios.Clock(tc.at), got, tc.want, explore.Check(r))
		}
	}
}

// TestCheckSeesADeliveryOverAReusedConnection: every attempt has a
// connection of its own, the one that delivers too: the greylisted alert
// delivered on its third attempt over the second attempt's connection is
// no retry.
func TestCheckSeesADeliveryOverAReusedConnection(t *testing.T) {
	res := played(t, "ptz/ptz-greylisted-retry-delivered.yaml")
	r := clone(res)
	m := *r.Captured[0]
	reused := r.FailureLog[1].Conns[0].String()
	m.Remote = reused
	r.Captured[0] = &m
	i := slices.IndexFunc(r.Sessions, func(ss scenarios.ServerSession) bool { return ss.ID == m.Session })
	r.Sessions[i].Remote = reused
	if got := broken(r); !slices.Equal(got, []string{explore.InvRetrySchedule}) {
		t.Errorf("breaks %v, want [retry-schedule]: %v", got, explore.Check(r))
	}
}

// TestCheckHoldsTheFirmwareToItsDocumentation: what the checker expects
// of a model is its documentation's, not the firmware's own tables, so a
// firmware whose table is wrong is caught: a human alert's default burst
// of 2 where the installer guide says 3, a firmware that caps bursts at 2
// where it allows 5, an agent that tries an alert again after 30 s where
// its document says a minute.
func TestCheckHoldsTheFirmwareToItsDocumentation(t *testing.T) {
	human := slices.IndexFunc(ptz.EventTypes, func(e ptz.EventType) bool { return e.Event == "human" })
	for _, tc := range []struct {
		name  string
		wrong func() (undo func())
		play  func(t *testing.T) *scenarios.Result
		want  string
	}{
		{"ptz human burst of 2", func() func() {
			was := ptz.EventTypes[human].Burst
			ptz.EventTypes[human].Burst = 2
			return func() { ptz.EventTypes[human].Burst = was }
		}, func(t *testing.T) *scenarios.Result { return played(t, "ptz/ptz-human-burst-main-stream.yaml") }, explore.InvEvidence},
		{"ptz bursts of at most 2", func() func() {
			was := ptz.Firmwares[0].MaxBurst
			ptz.Firmwares[0].MaxBurst = 2
			return func() { ptz.Firmwares[0].MaxBurst = was }
		}, func(t *testing.T) *scenarios.Result { return played(t, "ptz/ptz-human-burst-main-stream.yaml") }, explore.InvEvidence},
		{"agent alert retried after 30 s", func() func() {
			was := agent.Retries
			agent.Retries = []time.Duration{30 * time.Second}
			return func() { agent.Retries = was }
		}, func(t *testing.T) *scenarios.Result {
			sc, err := scenarios.Parse("agent-alert-greylisted.yaml", []byte(agentGreylisted))
			if err != nil {
				t.Fatal(err)
			}
			return scenarios.Run(t, sc, scenarios.Options{})
		}, explore.InvRetrySchedule},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := tc.play(t); len(broken(res)) != 0 {
				t.Fatalf("the firmware as shipped breaks %v", explore.Check(res))
			}
			t.Cleanup(tc.wrong())
			res := tc.play(t)
			if got := broken(res); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("breaks %v, want [%s]: %v", got, tc.want, explore.Check(res))
			}
		})
	}
}

// An agent's alert greylisted once: deferred, then delivered a minute
// later.
const agentGreylisted = `description: An agent's alert greylisted, delivered on its retry.
seed: 7
duration: 3m
device:
  model: smtp-agent
  hostname: monitor-01
  settings:
    smtp_server: relay.corp.example
    sender_address: monitor-01@corp.example
    test_address: oncall@corp.example
network:
  profile: lan
servers:
  - host: relay.corp.example
    preset: isp-relay
    greylist: 20s
triggers:
  - {at: 5s, event: alert}
`

// TestDocumentedValuesAreTheFirmwares: the values the checker holds each
// firmware to, written from the documentation, are those of the shipped
// firmware's own tables: a table changed on one side only fails here
// (and in every explored world it touches).
func TestDocumentedValuesAreTheFirmwares(t *testing.T) {
	got := map[string]int{}
	for _, e := range ptz.EventTypes {
		got[string(e.Event)] = e.Burst
	}
	if !maps.Equal(got, explore.PTZBursts) {
		t.Errorf("ptz-4g's events and their default bursts are %v; the documentation says %v", got, explore.PTZBursts)
	}
	got = map[string]int{}
	for _, fw := range ptz.Firmwares {
		got[fw.Version] = fw.MaxBurst
	}
	if !maps.Equal(got, explore.PTZMaxBurst) {
		t.Errorf("ptz-4g's firmwares take bursts of at most %v; the documentation says %v", got, explore.PTZMaxBurst)
	}
	if !slices.Equal(agent.Retries, explore.AgentRetries) {
		t.Errorf("smtp-agent retries an alert after %v; the documentation says %v", agent.Retries, explore.AgentRetries)
	}
}

// TestCheckAllowsAReplyLostBeforeItWasSent: the link resets while the
// slow relay holds its 250 back; the relay stores the message when its
// delay is over and the 250 cannot go out at all (no reply in the
// transcript): still SMTP's known duplicate, on the trace's word that the
// connection was reset at the relay's end. Without that reset in the
// trace, a missing 250 is no evidence.
func TestCheckAllowsAReplyLostBeforeItWasSent(t *testing.T) {
	b, err := os.ReadFile("../scenarios/network/ptz-250-lost-after-data-sent-again.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(b), "{kind: reset, at: 26.72s}", "{kind: reset, at: 26.68s}", 1)
	sc, err := scenarios.Parse("ptz-reset-before-the-250.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res := scenarios.Run(t, sc, scenarios.Options{})
	first := res.Captured[0]
	if res.Accepted != 2 || slices.ContainsFunc(res.Sessions[0].Transcript, func(l fakesmtp.Line) bool {
		return l.Kind == fakesmtp.Reply && !l.At.Before(first.Received)
	}) {
		t.Fatalf("want the message twice, the first with no reply after it: %d accepted, %v", res.Accepted, res.Sessions[0].Transcript)
	}
	if got := broken(res); len(got) != 0 {
		t.Fatalf("the reply lost before it went out breaks %v: %v", got, explore.Check(res))
	}
	r := clone(res)
	r.Trace = slices.DeleteFunc(slices.Clone(r.Trace), func(ev netem.TraceEvent) bool {
		return ev.Kind == netem.EventReset && ev.Host == "mail.example-isp.net"
	})
	if got := broken(r); !slices.Equal(got, []string{explore.InvDuplicate}) {
		t.Errorf("with the relay's end of the connection whole, breaks %v, want [duplicate]: %v", got, explore.Check(r))
	}
}
