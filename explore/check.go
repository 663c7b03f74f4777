package explore

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"alertsim/fakesmtp"
	"alertsim/netem"
	"alertsim/scenarios"
	"alertsim/sim/alert"
)

// The invariants every model and firmware must keep, in every world. Each
// has a stable name, which a shrunk case carries and the shrinker holds
// to: a smaller world that breaks another invariant is not the same bug.
const (
	// InvSilentLoss: every event ends as delivered mail, as a failure-log
	// entry for each of its attempts, as a drop the device logged, or as
	// mail the device still held when it was switched off; never silently.
	InvSilentLoss = "silent-loss"
	// InvEvidence: each SD card holds the evidence of every event.
	InvEvidence = "evidence"
	// InvRetrySchedule: retries follow the firmware's schedule, each
	// mail's attempts count from 1, and each attempt is a try of its own
	// (its own connection).
	InvRetrySchedule = "retry-schedule"
	// InvDuplicate: no message accepted twice, unless the server's 250
	// was lost after the data, and then the record says so.
	InvDuplicate = "duplicate"
	// InvCredentials: credentials never cross in clear where the
	// security setting forbids it, nor go to a server whose certificate
	// failed under a verifying setting.
	InvCredentials = "credentials"
	// InvDeterminism: the same seed gives the same record.
	InvDeterminism = "determinism"
	// InvSwitchOff: switched off at the end of the run, the device stops
	// at once: no attempt of its failure log ends after it.
	InvSwitchOff = "switch-off"
	// InvCrash: no panic, no goroutine left behind when the device, the
	// servers and the network are closed, memory bounded per case.
	InvCrash  = "crash"
	InvLeak   = "leak"
	InvMemory = "memory"
)

// Violation is an invariant a run broke, and what it saw.
type Violation struct {
	Invariant string
	Detail    string
}

func (v Violation) String() string { return v.Invariant + ": " + v.Detail }

// Check judges a finished run by the invariants that one run can break
// (determinism takes two: see Play). It reads only the result: the
// scenario (its model and settings), the device's outcomes, failure log,
// log and evidence, the network's trace and the servers' sessions and
// messages, so that it judges a replayed file as it judges a generated
// world.
func Check(res *scenarios.Result) []Violation {
	sc := res.Scenario
	settings := sc.Device.ModelSettings()
	k, known := knowledgeOf(sc.Device.Model.Name)
	if settings == nil || !known {
		return nil // the settings page refused them: no device ran
	}
	c := &checker{res: res, k: k}
	c.accounting()
	c.failureLog()
	c.retries()
	c.duplicates()
	c.credentials()
	c.evidence()
	c.switchOff()
	return c.out
}

// switchOff: nothing the device logs as failed ends after the end of
// the run, when it was switched off (an attempt cut short then is
// abandoned then).
func (c *checker) switchOff() {
	end := c.res.Scenario.Duration.D()
	for _, f := range c.res.FailureLog {
		if at := c.virtual(f.Time); at > end {
			c.fail(InvSwitchOff, "attempt %d to %s failed (%s at %s) at %s, after the device was switched off at %s", f.Attempt, f.Server, f.Class, f.Stage, scenarios.Clock(at), scenarios.Clock(end))
			return
		}
	}
}

type checker struct {
	res *scenarios.Result
	k   knowledge
	out []Violation
}

func (c *checker) fail(inv, format string, args ...any) {
	c.out = append(c.out, Violation{Invariant: inv, Detail: fmt.Sprintf(format, args...)})
}

// virtual turns a time of the device's clock into one since the start.
func (c *checker) virtual(t time.Time) time.Duration {
	return c.res.Clock.Instant(t).Sub(c.res.Start)
}

// firings returns the run's triggers as the knowledge reads them.
func (c *checker) firings() []fired {
	var out []fired
	alerts := 0
	for _, f := range c.res.Fired {
		// The PTZ camera numbers its alerts: every event but the Test
		// Email button. No other model's knowledge reads the number.
		if f.Event != "test-email" {
			alerts++
		}
		out = append(out, fired{at: f.At, event: f.Event, lasting: f.For, alert: alerts, end: c.res.Scenario.Duration.D()})
	}
	return out
}

// logAt returns the device's log lines written at the instant at: what
// the device said of a trigger when it took it.
func (c *checker) logAt(at time.Duration) []string {
	var out []string
	for _, l := range c.res.Log {
		if l.At == at {
			out = append(out, l.Text)
		}
	}
	return out
}

// logMailUnderWay reports whether a router's log mail was on its way at
// an instant (the router mails one at a time): queued or being tried, from
// when it was asked for (its first attempt begins 2 ns after, the mail task
// being free) until its last attempt ended, or held at the end of the run.
// started is the kind of the mail on its way when it was asked for at
// that very instant.
func (c *checker) logMailUnderWay(at time.Duration) (busy bool, started string) {
	isLog := func(kind string) bool { return kind == "email now" || slices.Contains(c.k.spontaneous, kind) }
	later := false
	for _, o := range c.res.Mails {
		if !isLog(o.Kind) || len(o.Tries) == 0 {
			continue
		}
		start, end := c.virtual(o.Tries[0].Start), c.virtual(o.Tries[len(o.Tries)-1].End)
		if start-time.Millisecond <= at && at <= end {
			if start >= at {
				started = o.Kind
			}
			return true, started
		}
		later = later || start > at
	}
	// One held at the end was asked for before any tried after it.
	return !later && slices.ContainsFunc(c.res.Unsent, isLog), ""
}

// accounting: for each kind of mail, the mails the triggers asked for
// are the mails tried, dropped with a log line, or still held at the end.
func (c *checker) accounting() {
	settings := c.res.Scenario.Device.ModelSettings()
	wanted := map[string]int{}
	wants := c.k.mails(c, settings, c.firings())
	for _, w := range wants {
		wanted[w.kind]++
	}
	got := map[string]int{}
	for _, o := range c.res.Mails {
		got[o.Kind]++
	}
	dropped := map[string]int{}
	for _, l := range c.res.Log {
		if m := dropLine.FindStringSubmatch(l.Text); m != nil {
			dropped[m[1]]++
		}
	}
	unsent := map[string]int{}
	for _, k := range c.res.Unsent {
		unsent[k]++
	}
	kinds := map[string]bool{}
	for _, m := range []map[string]int{wanted, got, dropped, unsent} {
		for k := range m {
			kinds[k] = true
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(kinds)) {
		if slices.Contains(c.k.spontaneous, kind) {
			continue
		}
		accounted := got[kind] + dropped[kind] + unsent[kind]
		if accounted == wanted[kind] {
			continue
		}
		if accounted < wanted[kind] {
			c.fail(InvSilentLoss, "%d %s event%s asked for mail; %d were tried, %d dropped with a log line, %d held at the end: %d lost without a word",
				wanted[kind], kind, plural(wanted[kind]), got[kind], dropped[kind], unsent[kind], wanted[kind]-accounted)
		} else {
			c.fail(InvSilentLoss, "%d %s mail%s for %d event%s that asked for one: %d tried, %d dropped, %d held at the end",
				accounted, kind, plural(accounted), wanted[kind], plural(wanted[kind]), got[kind], dropped[kind], unsent[kind])
		}
	}
	c.held(wants, unsent)
}

// held: mail the device still held when it was switched off is no loss
// only if the mail task could not have begun it yet. The task sends one
// mail at a time, in the order asked: either it was busy up to the end
// (an attempt under way, abandoned at the switch-off, or the wait for a
// retry the schedule still had), or the oldest mail held (Unsent[0]) was
// asked for, or taken once the task was free, so shortly before the end
// that it was still waiting to begin (its burst still being taken, its
// PING under way), and every mail held behind it was asked for after
// that. Otherwise the task sat idle with mail in hand: hung for good.
func (c *checker) held(wants []want, unsent map[string]int) {
	if len(c.res.Unsent) == 0 {
		return
	}
	settings := c.res.Scenario.Device.ModelSettings()
	end := c.res.Scenario.Duration.D()
	const shortly = time.Millisecond
	// When the task was done with the mails it tried.
	free, why := time.Duration(0), "it had tried nothing"
	log := c.res.FailureLog
	for _, o := range c.res.Mails {
		mine := log[:min(len(o.Failures), len(log))]
		log = log[len(mine):]
		if len(o.Tries) == 0 {
			continue
		}
		t := c.virtual(o.Tries[len(o.Tries)-1].End)
		w := fmt.Sprintf("mail %d (%s) ended at %s", o.Mail, o.Kind, scenarios.Clock(t))
		if waits, permanent := c.k.schedule(settings, o.Kind); !o.Delivered && o.Attempts <= len(waits) {
			if f := lastOf(mine, o.Attempts); f != nil && f.Class != alert.ClassAbandoned && (permanent || f.Class.Transient()) {
				t += waits[o.Attempts-1]
				w = fmt.Sprintf("mail %d (%s) was due for attempt %d at %s", o.Mail, o.Kind, o.Attempts+1, scenarios.Clock(t))
			}
		}
		if t >= free {
			free, why = t, w
		}
	}
	oldest := c.res.Unsent[0]
	ready := time.Duration(0)
	for _, w := range wants {
		if w.kind == oldest {
			ready = max(ready, w.ready)
		}
	}
	since := end - ready - shortly
	if free >= since {
		return // busy up to the end, or free so late that the mail it took then was still waiting
	}
	for _, kind := range slices.Sorted(maps.Keys(unsent)) {
		late := 0
		for _, w := range wants {
			if w.kind == kind && w.at >= since {
				late++
			}
		}
		if unsent[kind] > late {
			c.fail(InvSilentLoss, "%d %s mail%s held at the switch-off at %s, %d asked for after %s: the mail task was free from %s (%s) and never began %s",
				unsent[kind], kind, plural(unsent[kind]), scenarios.Clock(end), late, scenarios.Clock(max(since, 0)), scenarios.Clock(free), why, pronoun(unsent[kind]-late))
		}
	}
}

// dnsServers is how many DNS servers the device may ask in turn.
func (c *checker) dnsServers() int {
	sc := c.res.Scenario
	n := 0
	if sc.Device.DNSServers != nil {
		n = len(*sc.Device.DNSServers)
	}
	if sc.DNS != nil {
		n = max(n, len(sc.DNS.Servers))
	}
	if d, ok := sc.Device.ModelSettings().(interface{ DNSServers() []netip.Addr }); ok {
		n = max(n, len(d.DNSServers()))
	}
	return n
}

// failureLog: each mail's part of the failure log (the mail task appends
// a mail's failures with its outcome) has the classes its outcome says,
// an entry for every attempt that failed, its attempts counted from 1.
func (c *checker) failureLog() {
	log := c.res.FailureLog
	for _, o := range c.res.Mails {
		if o.Attempts == 0 && !o.Delivered {
			// Taken by the mail task and never tried (a policy with no
			// server): not delivered, not failed, neither dropped nor held.
			c.fail(InvSilentLoss, "mail %d (%s) was never tried: no attempt, no failure-log entry, neither dropped nor held", o.Mail, o.Kind)
		}
		if len(o.Failures) > len(log) {
			c.fail(InvSilentLoss, "mail %d (%s) had %d failed attempts; the failure log has %d entries left", o.Mail, o.Kind, len(o.Failures), len(log))
			return
		}
		mine := log[:len(o.Failures)]
		log = log[len(o.Failures):]
		seen := map[int]bool{}
		for i, f := range mine {
			if f.Class != o.Failures[i] {
				c.fail(InvSilentLoss, "mail %d (%s): failure %d is %s in the log, %s in the outcome", o.Mail, o.Kind, i+1, f.Class, o.Failures[i])
			}
			if f.Attempt < 1 || f.Attempt > o.Attempts {
				c.fail(InvRetrySchedule, "mail %d (%s): a failure of attempt %d, of %d attempts: each mail's attempts count from 1", o.Mail, o.Kind, f.Attempt, o.Attempts)
			}
			seen[f.Attempt] = true
		}
		last := o.Attempts
		if o.Delivered {
			last-- // the last attempt delivered it (maybe after a server of it failed)
		}
		for a := 1; a <= last; a++ {
			if !seen[a] {
				c.fail(InvSilentLoss, "mail %d (%s): attempt %d of %d failed with no entry in the failure log", o.Mail, o.Kind, a, o.Attempts)
			}
		}
	}
	if len(log) > 0 {
		c.fail(InvSilentLoss, "%d failure-log entries belong to no mail", len(log))
	}
}

// retries: the waits between attempts are the firmware's, nothing is
// tried again that must not be, nothing gives up early, and every attempt
// opens its own connections.
func (c *checker) retries() {
	settings := c.res.Scenario.Device.ModelSettings()
	end := c.res.Scenario.Duration.D()
	log := c.res.FailureLog
	taken := c.takenMessages()
	for _, o := range c.res.Mails {
		mine := log[:min(len(o.Failures), len(log))]
		log = log[len(mine):]
		waits, permanent := c.k.schedule(settings, o.Kind)
		if o.Attempts > 1+len(waits) {
			c.fail(InvRetrySchedule, "mail %d (%s) took %d attempts; the firmware's schedule has %d", o.Mail, o.Kind, o.Attempts, 1+len(waits))
			continue
		}
		if len(o.Tries) != o.Attempts {
			c.fail(InvRetrySchedule, "mail %d (%s): %d attempts, %d with their times", o.Mail, o.Kind, o.Attempts, len(o.Tries))
			continue
		}
		for i := 1; i < len(o.Tries); i++ {
			got := o.Tries[i].Start.Sub(o.Tries[i-1].End)
			if d := got - waits[i-1]; d < -time.Millisecond || d > time.Millisecond {
				c.fail(InvRetrySchedule, "mail %d (%s): attempt %d began %v after attempt %d ended; the schedule says %v", o.Mail, o.Kind, i+1, got, i, waits[i-1])
			}
			// What the attempt before failed with must be worth a retry.
			if prev := lastOf(mine, i); prev != nil && !permanent && !prev.Class.Transient() {
				c.fail(InvRetrySchedule, "mail %d (%s): attempt %d after a final failure (%s at %s)", o.Mail, o.Kind, i+1, prev.Class, prev.Stage)
			}
		}
		if !o.Delivered && o.Attempts > 0 && o.Attempts < 1+len(waits) {
			f := lastOf(mine, o.Attempts)
			due := c.virtual(o.Tries[o.Attempts-1].End) + waits[o.Attempts-1]
			if f != nil && f.Class != alert.ClassAbandoned && (permanent || f.Class.Transient()) && due < end {
				c.fail(InvRetrySchedule, "mail %d (%s) gave up after %d attempt%s (last %s at %s); the schedule has %d, the next due at %v, before the end at %v",
					o.Mail, o.Kind, o.Attempts, plural(o.Attempts), f.Class, f.Stage, 1+len(waits), scenarios.Clock(due), scenarios.Clock(end))
			}
		}
		c.freshConnections(o, mine, taken)
	}
}

// lastOf returns the last failure of attempt a among a mail's failures.
func lastOf(fs []alert.Failure, a int) *alert.Failure {
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].Attempt == a {
			return &fs[i]
		}
	}
	return nil
}

// freshConnections: every connection an attempt used was opened (its
// first SYN sent) during that attempt, not before: a retry that writes to
// the last attempt's connection is no retry. A failed attempt names its
// connections in the failure log; the attempt that delivered used the
// connection of the server's session that took the mail while it was
// under way.
func (c *checker) freshConnections(o alert.Outcome, fs []alert.Failure, taken []taken) {
	type used struct {
		attempt int
		conn    netip.AddrPort
		at      time.Duration // when it was used, at the latest
	}
	var uses []used
	for _, f := range fs {
		for _, conn := range f.Conns {
			uses = append(uses, used{f.Attempt, conn, c.virtual(f.Time)})
		}
	}
	if o.Delivered && len(o.Tries) > 0 {
		last := o.Tries[len(o.Tries)-1]
		from, to := c.virtual(last.Start), c.virtual(last.End)
		for _, t := range taken {
			at := t.m.Received.Sub(c.res.Start)
			if slices.Contains(t.mails, o.Mail) && t.conn.IsValid() && from <= at && at <= to {
				uses = append(uses, used{len(o.Tries), t.conn, at})
			}
		}
	}
	for _, u := range uses {
		if u.attempt < 1 || u.attempt > len(o.Tries) {
			continue
		}
		begun := c.virtual(o.Tries[u.attempt-1].Start)
		opened := c.opened(u.conn, u.at)
		if opened < 0 {
			continue // refused before it reached the network
		}
		if opened < begun {
			c.fail(InvRetrySchedule, "mail %d (%s): attempt %d, begun at %s, used connection %s opened at %s: no new connection of its own",
				o.Mail, o.Kind, u.attempt, scenarios.Clock(begun), u.conn, scenarios.Clock(opened))
		}
	}
}

// messageID is the Message-ID header of a captured message; mailNumber
// reads the number of the device's mail from it (alert.MessageID ends its
// identifiers with ".n@host").
var (
	messageID  = regexp.MustCompile(`(?im)^Message-Id:[ \t]*<([^>]+)>`)
	mailNumber = regexp.MustCompile(`^[0-9a-f]+\.([0-9]+)@`)
)

// taken is a message a server took, with what says which of the device's
// mails it carries and how it came.
type taken struct {
	m      *fakesmtp.Message
	server string
	// id is its Message-ID ("" without one); mails are the device's mails
	// it belongs to: the number its Message-ID carries, and the mail whose
	// attempt opened the connection that carried it (the mail task sends
	// one mail at a time). A firmware that gives each attempt a new
	// identifier still sends the mail over its own attempts' connections.
	id    string
	mails []int
	// sess is the server's session that took it, conn the device's end of
	// its connection.
	sess *fakesmtp.Session
	conn netip.AddrPort
}

// takenMessages returns the messages the servers took, in order of
// reception, each with its mail.
func (c *checker) takenMessages() []taken {
	var out []taken
	for i, m := range c.res.Captured {
		t := taken{m: m}
		if i < len(c.res.Received) {
			t.server = c.res.Received[i].Server
		}
		if len(m.Parts) > 0 {
			if g := messageID.FindStringSubmatch(m.Parts[0].Header); g != nil {
				t.id = g[1]
				if n := mailNumber.FindStringSubmatch(t.id); n != nil {
					k, _ := strconv.Atoi(n[1])
					t.mails = append(t.mails, k)
				}
			}
		}
		if j := slices.IndexFunc(c.res.Sessions, func(ss scenarios.ServerSession) bool {
			return strings.EqualFold(ss.Server, t.server) && ss.Session.ID == m.Session
		}); j >= 0 {
			t.sess = &c.res.Sessions[j].Session
		}
		remote := m.Remote
		if t.sess != nil {
			remote = t.sess.Remote
		}
		if conn, err := netip.ParseAddrPort(remote); err == nil {
			t.conn = conn
			if n, _ := c.attemptOf(conn, m.Received.Sub(c.res.Start)); n > 0 && !slices.Contains(t.mails, n) {
				t.mails = append(t.mails, n)
			}
		}
		out = append(out, t)
	}
	return out
}

// opened returns when the device opened the connection conn (sent its
// first SYN), the last time before at, or -1.
func (c *checker) opened(conn netip.AddrPort, at time.Duration) time.Duration {
	host := string(c.res.Scenario.Device.Hostname)
	when := time.Duration(-1)
	for _, ev := range c.res.Trace {
		if ev.Kind == netem.EventConnect && ev.Host == host && ev.Flow.Src == conn {
			if d := ev.At.Sub(c.res.Start); d <= at {
				when = d
			}
		}
	}
	return when
}

// attemptOf returns the mail and the attempt under way when the device
// opened the connection conn (before at), or zeros.
func (c *checker) attemptOf(conn netip.AddrPort, at time.Duration) (mail, attempt int) {
	open := c.opened(conn, at)
	if open < 0 {
		return 0, 0
	}
	for _, o := range c.res.Mails {
		for i, tr := range o.Tries {
			if c.virtual(tr.Start) <= open && open <= c.virtual(tr.End) {
				return o.Mail, i + 1
			}
		}
	}
	return 0, 0
}

// duplicates: a mail accepted twice must be one the device sent again
// because the 250 of the first copy never reached it, which the server's
// session and the network's trace must show (replyLost), and the record
// must say which message is a copy. Copies are grouped by the device's
// mail, not by Message-ID alone: a firmware that makes a new identifier
// per attempt sends one mail twice all the same.
func (c *checker) duplicates() {
	all := c.takenMessages()
	// Union the messages that share a mail or an identifier.
	parent := make([]int, len(all))
	for i := range parent {
		parent[i] = i
	}
	root := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	first := map[string]int{}
	for i, t := range all {
		keys := []string{}
		if t.id != "" {
			keys = append(keys, "id "+t.id)
		}
		for _, n := range t.mails {
			keys = append(keys, fmt.Sprint("mail ", n))
		}
		for _, k := range keys {
			if j, ok := first[k]; ok {
				parent[root(i)] = root(j)
			} else {
				first[k] = i
			}
		}
	}
	for _, o := range c.res.Mails {
		if o.Delivered && !slices.ContainsFunc(all, func(t taken) bool { return slices.Contains(t.mails, o.Mail) }) {
			c.fail(InvSilentLoss, "mail %d is delivered by the device's account, and no server has it", o.Mail)
		}
	}
	groups := map[int][]taken{}
	var roots []int
	for i, t := range all {
		r := root(i)
		if groups[r] == nil {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], t)
	}
	for _, r := range roots {
		copies := groups[r]
		if len(copies) < 2 {
			continue
		}
		name := "message " + copies[0].id
		if len(copies[0].mails) > 0 {
			name = fmt.Sprintf("mail %d", copies[0].mails[0])
		}
		for _, t := range copies[:len(copies)-1] {
			if why := c.replyLost(t); why != "" {
				c.fail(InvDuplicate, "%s accepted %d times; the copy received at %s (message %d, session %d of %s) is no lost 250: %s",
					name, len(copies), scenarios.Clock(t.m.Received.Sub(c.res.Start)), t.m.ID, t.m.Session, t.server, why)
			}
		}
		for i, t := range copies[1:] {
			earlier := copies[:i+1]
			j := slices.IndexFunc(earlier, func(e taken) bool { return e.id != "" && e.id == t.id })
			if j < 0 {
				c.fail(InvDuplicate, "message %d carries %s again under another Message-ID (<%s>, the first copy's <%s>): neither the record nor the recipient can tell it is a copy",
					t.m.ID, name, t.id, copies[0].id)
				continue
			}
			if !strings.Contains(string(c.res.Record), fmt.Sprintf("message %d is a copy of message %d ", t.m.ID, earlier[j].m.ID)) {
				c.fail(InvDuplicate, "message %d is a second copy of <%s> (the 250 of the first was lost), and the record does not say so", t.m.ID, t.id)
			}
		}
	}
}

// replyLost says why a message the device sent again was not SMTP's known
// duplicate, or "" if it was: the server took the message and sent its 250
// (the 250 in its session's transcript), or tried to on a connection the
// network had already broken at its end (no reply after the message, a
// reset in the trace), and the device's attempt over that connection failed
// waiting for the reply (at the data stage, after the server's 354) because
// the connection broke (a reset, a cut or a timeout of it in the trace) or
// the device's wait for the reply ran out. A device that logged a failure
// at data for any other reason heard the 250, or could have.
//
// The record's line marking a copy is written for every repeated
// Message-ID, whatever happened: it is no evidence.
func (c *checker) replyLost(t taken) string {
	if t.sess == nil || !t.conn.IsValid() {
		return "no session of the server took it from a connection of the device"
	}
	tr := t.sess.Transcript
	at := t.m.Received
	// The server's 354, after which the device sends the message.
	go354 := time.Duration(0)
	for _, l := range tr {
		if l.Kind == fakesmtp.Reply && !l.At.After(at) && strings.HasPrefix(l.Text, "354") {
			go354 = l.At.Sub(c.res.Start)
		}
	}
	i := slices.IndexFunc(tr, func(l fakesmtp.Line) bool { return l.Kind == fakesmtp.Reply && !l.At.Before(at) })
	switch {
	case i >= 0 && !strings.HasPrefix(tr[i].Text, "250"):
		return fmt.Sprintf("the server answered the message %q", tr[i].Text)
	case i < 0 && !c.broke(t.sess.Local, t.conn, go354, at.Sub(c.res.Start)+time.Millisecond, true):
		return "the server's session has no 250 for it, and its connection was not broken at the server's end"
	}
	f := c.failureOver(t.conn)
	if f == nil {
		return "no failed attempt of the device used its connection: the device heard the 250"
	}
	failed := c.virtual(f.Time)
	switch {
	case f.Stage != "data":
		return fmt.Sprintf("the attempt that carried it failed at %s (%s), not waiting for the reply to the message", f.Stage, f.Class)
	case failed < go354:
		return fmt.Sprintf("the attempt that carried it failed at %s, before the server's 354 at %s", scenarios.Clock(failed), scenarios.Clock(go354))
	case f.Class == alert.ClassTimeout:
		return "" // the device's wait for the reply ran out
	case c.broke("", t.conn, go354, failed+time.Millisecond, false):
		return ""
	}
	return fmt.Sprintf("the attempt that carried it failed at data (%s: %s) at %s, and the trace shows its connection neither reset, cut nor timed out",
		f.Class, f.Detail, scenarios.Clock(failed))
}

// failureOver returns the device's failure of the attempt that used the
// connection conn, if one failed.
func (c *checker) failureOver(conn netip.AddrPort) *alert.Failure {
	for i := range c.res.FailureLog {
		if slices.Contains(c.res.FailureLog[i].Conns, conn) {
			return &c.res.FailureLog[i]
		}
	}
	return nil
}

// broke reports whether the trace shows the connection whose device end
// is conn reset, cut or timed out between from and to: at the device's
// end, or with atServer at the server's (the server's address local).
func (c *checker) broke(local string, conn netip.AddrPort, from, to time.Duration, atServer bool) bool {
	host := string(c.res.Scenario.Device.Hostname)
	for _, ev := range c.res.Trace {
		switch ev.Kind {
		case netem.EventReset, netem.EventResetByPeer, netem.EventConnTimeout:
		default:
			continue
		}
		if d := ev.At.Sub(c.res.Start); d < from || d > to {
			continue
		}
		if atServer && ev.Flow.Dst == conn && ev.Flow.Src.String() == local || !atServer && ev.Host == host && ev.Flow.Src == conn {
			return true
		}
	}
	return false
}

// credentials: no credential line of an AUTH exchange crosses before TLS
// where the settings require TLS, and none at all to a server whose
// certificate does not verify where the settings verify it. The rule is
// the server's, whatever port the session is on: a firmware that falls
// back from 587 or 465 to plain port 25 and logs in there sends the same
// credentials to the same server in clear.
func (c *checker) credentials() {
	sc := c.res.Scenario
	rules := c.k.servers(sc.Device.ModelSettings())
	for _, ss := range c.res.Sessions {
		rule, ok := ruleFor(rules, ss.Server, ss.Session.Local)
		if !ok {
			continue
		}
		inTLS, sent := false, false
		for _, l := range ss.Session.Transcript {
			switch {
			case l.Kind == fakesmtp.Note && strings.HasPrefix(l.Text, "TLS negotiated"):
				inTLS = true
			case l.Kind == fakesmtp.Command && strings.Contains(l.Text, fakesmtp.Redacted):
				sent = true
				if rule.tls && !inTLS {
					c.fail(InvCredentials, "%s session %d: credentials sent at %s before TLS (%q), where the settings require TLS",
						ss.Server, ss.Session.ID, scenarios.Clock(l.At.Sub(c.res.Start)), l.Text)
					rule.tls = false // once a session
				}
			}
		}
		if sent && rule.verify {
			if why := c.unverifiable(ss.Server, ss.Session.Started); why != "" {
				c.fail(InvCredentials, "%s session %d: credentials sent to a server whose certificate %s, where the settings verify it", ss.Server, ss.Session.ID, why)
			}
		}
	}
}

// ruleFor returns the rule for a session to host on the server's address
// local: the rule of the settings' server of that host, on that port if
// the settings name it on several, otherwise the strictest of them.
// A settings' server given as an address (a BB camera's "[2001:db8::25]")
// is the server at that address.
func ruleFor(rules []security, host, local string) (security, bool) {
	addr, err := netip.ParseAddrPort(local)
	var mine []security
	for _, r := range rules {
		name := strings.TrimSuffix(strings.Trim(r.host, "[]"), ".")
		ip, ipErr := netip.ParseAddr(name)
		if strings.EqualFold(name, strings.TrimSuffix(host, ".")) || ipErr == nil && err == nil && ip.Unmap() == addr.Addr().Unmap() {
			mine = append(mine, r)
		}
	}
	if len(mine) == 0 {
		return security{}, false
	}
	if err == nil {
		if i := slices.IndexFunc(mine, func(r security) bool { return r.port == int(addr.Port()) }); i >= 0 {
			return mine[i], true
		}
	}
	rule := mine[0]
	for _, r := range mine[1:] {
		rule.tls = rule.tls || r.tls
		rule.verify = rule.verify || r.verify
	}
	return rule, true
}

// unverifiable says why a server's certificate fails verification by the
// device's clock at a time, or "" if it verifies. Certificates are issued
// an hour before the start for a year, unless the scenario says
// otherwise (scenarios.Server.certificate).
func (c *checker) unverifiable(host string, at time.Time) string {
	sc := c.res.Scenario
	i := slices.IndexFunc(sc.Servers, func(s scenarios.Server) bool { return strings.EqualFold(string(s.Host), host) })
	if i < 0 {
		return ""
	}
	switch sc.Servers[i].Certificate {
	case "self-signed":
		return "is self-signed"
	case "expired":
		return "has expired"
	case "wrong-name":
		return "names another host"
	}
	shows := at.Add(c.res.Clock.Offset)
	start := sc.StartTime()
	switch {
	case shows.Before(start.Add(-time.Hour)):
		return "is not yet valid by the device's clock"
	case shows.After(start.AddDate(1, 0, 0)):
		return "has expired by the device's clock"
	}
	return ""
}

// evidence: a model that keeps evidence holds, for every alert event, the
// frames the event took, under the event's number.
func (c *checker) evidence() {
	ev := c.res.Evidence
	if ev == nil || c.k.evidence == nil {
		return
	}
	settings := c.res.Scenario.Device.ModelSettings()
	have := map[int]int{}
	for _, f := range ev.Files {
		have[f.Alert]++
	}
	for _, tr := range c.firings() {
		want := c.k.evidence(settings, tr.event)
		if want == 0 {
			continue
		}
		if have[tr.alert] != want {
			c.fail(InvEvidence, "alert %d (%s at %s) has %d frame%s on the %s, want %d", tr.alert, tr.event, scenarios.Clock(tr.at), have[tr.alert], plural(have[tr.alert]), ev.Store, want)
		}
	}
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
