package explore

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"alertsim/sim/agent"
	"alertsim/sim/bb"
	"alertsim/sim/dcs"
	"alertsim/sim/device"
	"alertsim/sim/dir"
	"alertsim/sim/mailer"
	"alertsim/sim/ptz"
)

// What explore knows of each model is written here from the model's
// documentation (docs/SCENARIOS.md, the timings table), not read from its
// code: it is the oracle the firmware is judged against, so a firmware
// that gets its own retry schedule or security level wrong is caught
// rather than believed. Adding a model means adding its entry
// (TestEveryModelIsKnown fails until then).

// knowledge is what explore knows of one model.
type knowledge struct {
	// vary changes the installer's settings to others the settings page
	// may take (the loader refuses what it does not; such a world is
	// drawn again).
	vary func(r *rand.Rand, w *world)
	// mails says what the device must make of the run's triggers: how
	// many mails of which kind. What the settings keep off mail (a
	// window that does not trigger, notification off) is worked out from
	// the settings and the trigger times; where they say an event is kept
	// off mail by what the device itself saw (a camera's alert interval,
	// a recording schedule, a log mail already on its way), the device's
	// log line saying so is required too, and never excuses more.
	mails func(c *checker, s device.Settings, trs []fired) []want
	// spontaneous are the kinds of mail the device sends of its own
	// accord (a heartbeat, a full log), which no trigger accounts for.
	spontaneous []string
	// schedule is a kind of mail's retry schedule: the waits between
	// attempts, and whether permanent failures are retried too.
	schedule func(s device.Settings, kind string) (waits []time.Duration, permanent bool)
	// servers says what the settings page's security fields mean for
	// each server the device mails: the rule the credentials invariant
	// holds it to.
	servers func(s device.Settings) []security
	// evidence, for a model that keeps some, is how many frames an alert
	// trigger stores (0 when it stores none).
	evidence func(s device.Settings, event string) int
	// presets are the providers the model can mail through, set up as
	// its installer sets it up (a router on port 25 cannot reach Gmail):
	// most worlds draw one of them, so that most worlds deliver until a
	// fault says otherwise.
	presets []string
	// frames: the model takes camera frames (device.scene applies).
	frames bool
}

// want is a mail of a kind that a trigger must account for.
type want struct {
	kind string
	// at is when the device is asked for it; ready is how long it may
	// wait once the mail task takes it before its first attempt can
	// begin (a burst still being taken, a PING of the server first).
	at, ready time.Duration
}

// fired is a trigger as the run fired it, with the number of its kind of
// event so far (the PTZ camera numbers its alerts).
type fired struct {
	at      time.Duration
	event   string
	lasting time.Duration
	// alert counts the model's numbered events up to this one, from 1.
	alert int
	// end is the end of the run.
	end time.Duration
}

// security is what a server's settings require of the session's TLS.
type security struct {
	host string
	port int
	// tls: credentials must never cross before TLS is up.
	tls bool
	// verify: credentials must never go to a server whose certificate
	// does not verify.
	verify bool
}

var models = map[string]knowledge{
	"ptz-4g":     ptzKnowledge,
	"dir-router": dirKnowledge,
	"dcs-camera": dcsKnowledge,
	"bb-camera":  bbKnowledge,
	"smtp-agent": agentKnowledge,
	"mailer":     mailerKnowledge,
}

func pick[T any](r *rand.Rand, vs ...T) T { return vs[r.IntN(len(vs))] }

// chance is true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

var ptzKnowledge = knowledge{
	presets: []string{"gmail-like", "outlook-like", "isp-relay", "legacy-plain"},
	frames:  true,
	vary: func(r *rand.Rand, w *world) {
		if chance(r, 0.1) {
			port, enc := pick(r, 465, 587, 25), pick(r, "SSL", "TLS", "None")
			w.set("port", port)
			w.set("encryption", enc)
		}
		if chance(r, 0.3) {
			w.set("snapshot_stream", pick(r, "sub", "sub", "main"))
		}
		if chance(r, 0.3) {
			w.set("snapshot_count", r.IntN(6))
		}
		if chance(r, 0.2) {
			w.set("pre_trigger_frame", true)
		}
		if chance(r, 0.2) {
			w.set("heartbeat", pick(r, "1h", "6h"))
		}
		if chance(r, 0.2) {
			w.set("alert_interval", pick(r, 5, 30, 60))
		}
		if chance(r, 0.15) {
			w.set("sd_card_recording", false)
		}
		if chance(r, 0.3) {
			w.set("mtu", pick(r, 1500, 1380, 1280))
		}
		if chance(r, 0.1) {
			w.set("password", "wrong-passw0rd")
		}
	},
	mails: func(c *checker, ds device.Settings, trs []fired) []want {
		s := ds.(*ptz.Settings)
		// "alert_interval: the least time in seconds between two alert
		// mails; events within it are kept on the SD card only": an
		// event less than the interval after the last one mailed is not
		// mailed, and does not start a new interval.
		interval := time.Duration(s.AlertInterval) * time.Second
		var out []want
		last := time.Duration(-1)
		for _, tr := range trs {
			if tr.event == "test-email" {
				out = append(out, want{kind: "test email", at: tr.at})
				continue
			}
			if interval > 0 && last >= 0 && tr.at-last < interval {
				if logged(c.logAt(tr.at), fmt.Sprintf("alert %d not mailed: within the ", tr.alert)) {
					continue
				}
				// Kept off mail by the settings, but the camera did not
				// say so: a mail for it is no surprise, and none is a
				// loss without a word.
			} else {
				last = tr.at
			}
			// The mail is built once the burst's last frame is taken,
			// one second apart from the trigger (or from the second
			// before it, with the pre-trigger frame).
			frames := ptzBurst(s, tr.event)
			if s.PreTriggerFrame {
				frames--
			}
			out = append(out, want{kind: tr.event, at: tr.at, ready: time.Duration(max(frames-1, 0)) * time.Second})
		}
		return out
	},
	spontaneous: []string{"heartbeat"},
	schedule: func(s device.Settings, kind string) ([]time.Duration, bool) {
		if kind == "test email" {
			return nil, false
		}
		// "at once, +10 s, +30 s"; 4.1.8 retries a refused login too.
		return []time.Duration{10 * time.Second, 30 * time.Second}, s.(*ptz.Settings).Firmware == "4.1.8"
	},
	servers: func(ds device.Settings) []security {
		s := ds.(*ptz.Settings)
		return []security{{host: s.SMTPServer, port: s.Port, tls: s.Encryption != ptz.EncryptionNone}}
	},
	evidence: func(ds device.Settings, event string) int {
		s := ds.(*ptz.Settings)
		if !s.SDCardRecording {
			return 0
		}
		return ptzBurst(s, event)
	},
}

// The PTZ camera's bursts as docs/SCENARIOS.md gives them (from the
// installer guide, reference 002): "snapshot_count: snapshots per mail, 1
// to 5 (3 on 4.1.8); 0 keeps each event's default: motion 1, human 3,
// vehicle 3, line-crossing 2, region-intrusion 3"; 4.1.8 has "bursts of
// 3"; 5.2.0 is the default firmware. TestDocumentedValuesAreTheFirmwares
// holds the firmware's own tables to these.
var (
	ptzBursts   = map[string]int{"motion": 1, "human": 3, "vehicle": 3, "line-crossing": 2, "region-intrusion": 3}
	ptzMaxBurst = map[string]int{"5.2.0": 5, "4.1.8": 3}
)

// agentRetries are the agent's waits for an alert, as the timings table
// of docs/SCENARIOS.md gives them: "an alert: at once, then +1 min".
var agentRetries = []time.Duration{time.Minute}

// ptzBurst is how many frames a PTZ alert takes (0 for an event that is
// no alert): the setting's count or the event's default, and the frame
// from a second before with the pre-trigger frame, within the firmware's
// most.
func ptzBurst(s *ptz.Settings, event string) int {
	n, ok := ptzBursts[event]
	if !ok {
		return 0
	}
	most, ok := ptzMaxBurst[s.Firmware]
	if !ok {
		most = ptzMaxBurst["5.2.0"]
	}
	if s.SnapshotCount > 0 {
		n = s.SnapshotCount
	}
	n = min(n, most)
	if s.PreTriggerFrame {
		n = min(n+1, most)
	}
	return n
}

var dirKnowledge = knowledge{
	presets: []string{"isp-relay", "legacy-plain"},
	vary: func(r *rand.Rand, w *world) {
		if chance(r, 0.3) {
			w.set("on_log_full", true)
		}
		if chance(r, 0.2) {
			w.set("on_schedule", "every hour")
		}
		if chance(r, 0.05) {
			w.set("enable_email_notification", false)
		}
	},
	mails: func(c *checker, ds device.Settings, trs []fired) []want {
		if !ds.(*dir.Settings).EnableEmailNotification {
			return nil // "nothing is mailed without it"
		}
		// The router mails one log at a time: Email Now while a log mail
		// is on its way (queued or being tried) mails nothing more. The
		// presses of one instant are taken together: the log lines of an
		// instant do not say which press they are for.
		var out []want
		for i := 0; i < len(trs); {
			at, presses := trs[i].at, 0
			for ; i < len(trs) && trs[i].at == at; i++ {
				if trs[i].event == "email-log-now" {
					presses++
				}
			}
			if presses == 0 {
				continue // entries of the log, mailed with it
			}
			excused := 0
			if busy, started := c.logMailUnderWay(at); busy {
				excused = min(presses, count(c.logAt(at), "email now: a log mail is already on its way"))
				if started == "email now" {
					// The mail on its way was asked for at this very
					// instant, by one of these presses.
					excused = min(excused, presses-1)
				}
			}
			for range presses - excused {
				out = append(out, want{kind: "email now", at: at})
			}
		}
		return out
	},
	spontaneous: []string{"log full", "schedule"},
	schedule:    func(device.Settings, string) ([]time.Duration, bool) { return nil, false },
	servers:     func(device.Settings) []security { return nil }, // port 25, no TLS: nothing to require
}

var dcsKnowledge = knowledge{
	presets: []string{"isp-relay", "legacy-plain"},
	frames:  true,
	vary: func(r *rand.Rand, w *world) {
		if chance(r, 0.3) {
			w.set("motion_windows", pick(r, []int{1}, []int{1, 2}, []int{2, 3}))
		}
		if chance(r, 0.4) {
			w.set("snapshot_interval", pick(r, 1, 2, 5, 10))
		}
		if chance(r, 0.1) {
			w.set("recording_schedule", "00:00-00:02")
		}
		if chance(r, 0.25) {
			w.secondServer = true
		}
	},
	mails: func(c *checker, ds device.Settings, trs []fired) []want {
		s := ds.(*dcs.Settings)
		var out []want
		for _, tr := range trs {
			w, err := strconv.Atoi(strings.TrimPrefix(tr.event, "motion-window-"))
			if err != nil || !slices.Contains(s.MotionWindows, w) || !s.SendSnapshotsByEmail {
				continue
			}
			if !inSchedule(s.RecordingSchedule, c.res.Clock.Reading(c.res.Start.Add(tr.at))) &&
				logged(c.logAt(tr.at), fmt.Sprintf("motion in window %d: outside the recording schedule", w)) {
				continue
			}
			// A snapshot every interval while the motion lasts, the first at
			// once; one due after the end of the run is never taken.
			every := time.Duration(s.SnapshotInterval) * time.Second
			count := max(1, int((tr.lasting+every-1)/every))
			for i := range count {
				if at := tr.at + time.Duration(i)*every; at < tr.end {
					out = append(out, want{kind: fmt.Sprintf("motion window %d", w), at: at})
				}
			}
		}
		return out
	},
	schedule: func(device.Settings, string) ([]time.Duration, bool) { return nil, false },
	servers:  func(device.Settings) []security { return nil }, // port 25 only, no SSL
}

var bbKnowledge = knowledge{
	presets: []string{"gmail-like", "isp-relay", "legacy-plain"},
	frames:  true,
	vary: func(r *rand.Rand, w *world) {
		if chance(r, 0.1) {
			w.set("ssl", pick(r, true, false))
			w.set("port", pick(r, 25, 465, 587))
		}
		if chance(r, 0.2) {
			w.set("send_on", pick(r, []string{"sensor"}, []string{"alarm-input", "detection"}))
		}
		if chance(r, 0.2) {
			w.set("destination_addresses", []string{"owner@example.com", "guard@example.com", "site@example.com"}[:1+r.IntN(3)])
		}
	},
	mails: func(c *checker, ds device.Settings, trs []fired) []want {
		var out []want
		for _, tr := range trs {
			if slices.Contains(ds.(*bb.Settings).SendOn, tr.event) {
				out = append(out, want{kind: tr.event, at: tr.at})
			}
		}
		return out
	},
	schedule: func(device.Settings, string) ([]time.Duration, bool) { return nil, false },
	servers: func(ds device.Settings) []security {
		s := ds.(*bb.Settings)
		return []security{{host: s.SMTPServer, port: s.Port, tls: s.SSL}}
	},
}

var agentKnowledge = knowledge{
	presets: []string{"isp-relay", "legacy-plain"},
	vary: func(r *rand.Rand, w *world) {
		if chance(r, 0.3) {
			w.set("ping_server", true)
		}
		if chance(r, 0.2) {
			w.set("from_header", "monitor@example.net")
		}
	},
	mails: func(c *checker, ds device.Settings, trs []fired) []want {
		s := ds.(*agent.Settings)
		var out []want
		for _, tr := range trs {
			switch tr.event {
			case "send-test-message":
				w := want{kind: "test message", at: tr.at}
				if s.PingServer {
					// "with ping_server, the PING first, up to the 30 s
					// connect timeout", once the server's name resolves:
					// 5 s a DNS try, each server in turn, two rounds.
					w.ready = 30*time.Second + 2*5*time.Second*time.Duration(max(c.dnsServers(), 1))
				}
				out = append(out, w)
			case "alert":
				out = append(out, want{kind: "alert", at: tr.at})
			}
		}
		return out
	},
	schedule: func(ds device.Settings, kind string) ([]time.Duration, bool) {
		if kind == "alert" {
			return agentRetries, false
		}
		return nil, false
	},
	servers: func(device.Settings) []security { return nil }, // no login, no TLS
}

var mailerKnowledge = knowledge{
	presets: []string{"gmail-like", "outlook-like", "isp-relay", "legacy-plain"},
	vary: func(r *rand.Rand, w *world) {
		if chance(r, 0.15) {
			enc := pick(r, "None", "Optional", "Required", "Certified")
			w.set("ssl_tls_encryption", enc)
			w.set("smtp_server_port", pick(r, 25, 587, 465))
		}
		if chance(r, 0.2) {
			w.set("recipients", []string{"reader@example.com", "editor@example.com", "sub@example.com"}[:1+r.IntN(3)])
		}
		if chance(r, 0.15) {
			w.direct = true
		}
	},
	mails: func(c *checker, ds device.Settings, trs []fired) []want {
		var out []want
		for _, tr := range trs {
			for _, to := range ds.(*mailer.Settings).Recipients {
				out = append(out, want{kind: "to " + to, at: tr.at})
			}
		}
		return out
	},
	schedule: func(device.Settings, string) ([]time.Duration, bool) { return nil, false },
	servers: func(ds device.Settings) []security {
		s := ds.(*mailer.Settings)
		if s.Delivery == mailer.Direct {
			return nil // to the exchangers, without a login
		}
		level := s.SSLTLSEncryption
		return []security{{
			host: s.SMTPServerAddress, port: s.SMTPServerPort,
			// 465 is "reserved for SMTP over SSL": TLS from the first byte.
			tls:    level == mailer.EncryptionRequired || level == mailer.EncryptionCertified || s.SMTPServerPort == 465,
			verify: level == mailer.EncryptionCertified,
		}}
	},
}

// logged reports whether the device wrote a line of its log that begins
// with prefix.
func logged(log []string, prefix string) bool {
	return slices.ContainsFunc(log, func(l string) bool { return strings.HasPrefix(l, prefix) })
}

// count returns how many of the device's log lines begin with prefix.
func count(log []string, prefix string) int {
	n := 0
	for _, l := range log {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// inSchedule reports whether the device's clock reading t lies in a DCS
// recording schedule: "always", or "HH:MM-HH:MM" from the first minute up
// to the second; a schedule that ends before it starts spans midnight.
func inSchedule(schedule string, t time.Time) bool {
	v := strings.ToLower(strings.TrimSpace(schedule))
	from, to, ok := strings.Cut(v, "-")
	if v == "" || v == "always" || !ok {
		return true
	}
	minute := func(hm string) (time.Duration, bool) {
		h, m, ok := strings.Cut(strings.TrimSpace(hm), ":")
		hh, e1 := strconv.Atoi(h)
		mm, e2 := strconv.Atoi(m)
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, ok && e1 == nil && e2 == nil
	}
	a, ok1 := minute(from)
	b, ok2 := minute(to)
	if !ok1 || !ok2 {
		return true
	}
	at := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	if a <= b {
		return at >= a && at < b
	}
	return at >= a || at < b
}

// dropLine is the line a mail task writes when it drops a mail for want
// of room (alert.MailTask.Submit): the device saying so is what makes a
// drop not silent.
var dropLine = regexp.MustCompile(`^mail dropped \((.*)\): the mail queue is full`)

// Variants of a model have their base's knowledge.
func knowledgeOf(model string) (knowledge, bool) {
	k, ok := models[model]
	return k, ok
}

// KnownModels lists the models explore knows, sorted.
func KnownModels() []string {
	var out []string
	for m := range models {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// the models' settings types, for the knowledge above; referenced here so
// that a renamed one is a compile error in this file.
var _ = []device.Settings{&ptz.Settings{}, &dir.Settings{}, &dcs.Settings{}, &bb.Settings{}, &agent.Settings{}, &mailer.Settings{}}
