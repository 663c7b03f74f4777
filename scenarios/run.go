package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"alertsim/fakesmtp"
	"alertsim/internal/seed"
	"alertsim/netem"
	"alertsim/sim/alert"
	"alertsim/sim/device"
)

// Options change how a scenario runs.
type Options struct {
	// Seed, when set, replaces the scenario's own seed.
	Seed *uint64
	// Capture keeps every packet and the TLS secrets, for
	// Result.WriteCapture. It changes nothing in the run or its record.
	Capture bool
	// Full renders every line of the network's trace in the record; a
	// golden record folds runs of copies dropped the same way into one.
	Full bool
}

// Result is a finished run.
type Result struct {
	Scenario *Scenario
	Seed     uint64
	// Record is the rendered run record, the text of the golden file.
	Record []byte
	// Mails is what became of each mail the device tried to send (alerts,
	// heartbeats, logs), in order.
	Mails []alert.Outcome
	// Attempts is how many delivery attempts the device made, over all
	// its mails.
	Attempts int
	// Accepted is how many messages the servers accepted; Captured has
	// them, in order of reception, and Received the same with the server
	// that took each.
	Accepted int
	Captured []*fakesmtp.Message
	Received []Received
	// Replies are every reply the servers gave, session by session.
	Replies []ServerReply
	// FailureLog is the device's failure log: every failed attempt.
	FailureLog []alert.Failure
	// Trace is what the network did; Start is the virtual time the run
	// began (testing/synctest's epoch, whatever the scenario's start).
	Trace []netem.TraceEvent
	Start time.Time
	// Clock is the device's clock: the failure log's times are its
	// readings (Clock.Instant turns one back into virtual time).
	Clock alert.Clock
	// Evidence is what the device stored besides mail (an SD card), for
	// models that keep any.
	Evidence *device.Evidence
	// Checks are the scenario's expectations, judged (the golden record is
	// compared separately).
	Checks []Check
	// Sessions are the servers' sessions, server by server in the order
	// of the file, each server's in the order they connected.
	Sessions []ServerSession
	// Log is every line the device wrote to its log, in order.
	Log []LogLine
	// Fired are the triggers as the run fired them, in order.
	Fired []Fired
	// Unsent are the kinds of the mails the device had taken but never
	// tried when it was switched off at the end of the run (see
	// alert.MailTask.Unsent).
	Unsent []string

	recording *recording // with Options.Capture

	// What views other than the record read (view.go): the record as
	// values.
	record *runRecord
}

// Failed returns the checks the run did not meet.
func (r *Result) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// Delivered returns how many of the device's mails a server took.
func (r *Result) Delivered() int {
	n := 0
	for _, m := range r.Mails {
		if m.Delivered {
			n++
		}
	}
	return n
}

// Outcome summarizes the run in a few words, for tables: mails delivered
// out of mails tried, and the classes of those that failed.
func (r *Result) Outcome() string {
	s := fmt.Sprintf("%d/%d delivered", r.Delivered(), len(r.Mails))
	var classes []string
	for _, m := range r.Mails {
		if !m.Delivered {
			classes = append(classes, string(m.Class))
		}
	}
	if len(classes) > 0 {
		s += " (" + strings.Join(slices.Compact(classes), ", ") + ")"
	}
	return s
}

// Received is a message a server accepted.
type Received struct {
	// Server is the host name of the server that took it.
	Server string
	// Message is what the server captured; its Raw is nil past the first
	// 64 MB of messages of the run (see keepRawBytes).
	Message *fakesmtp.Message
	// Size is the message's size as received.
	Size int
}

// LogLine is a line of the device's log, at a time since the start.
type LogLine struct {
	At   time.Duration
	Text string
}

// Fired is a trigger as the run fired it: when, since the start, the
// event, and how long it lasted.
type Fired struct {
	At    time.Duration
	Event string
	For   time.Duration
}

// GoldenPath returns where the golden record of the scenario at path is
// kept: beside it, with the extension .golden.
func GoldenPath(path string) string {
	return strings.TrimSuffix(path, ".yaml") + ".golden"
}

// Run plays the scenario inside a synctest bubble, in virtual time (which
// starts at 2000-01-01 00:00:00 UTC; the scenario's start and the device's
// clock are offsets from it), with crypto/rand made deterministic from the
// seed. It calls t.Fatal if the run cannot be set up.
func Run(t *testing.T, sc *Scenario, opts Options) *Result {
	t.Helper()
	root := sc.Seed
	if opts.Seed != nil {
		root = *opts.Seed
	}
	var res *Result
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, seed.Derive(root, "crypto"))
		res = play(t, sc, root, opts)
	})
	return res
}

// play runs inside the bubble.
func play(t *testing.T, sc *Scenario, root uint64, opts Options) *Result {
	start := time.Now()
	// The world's calendar (certificates, the servers) and the device's
	// own clock, as offsets from the bubble's.
	world := alert.Clock{Offset: sc.start.Sub(start), Location: sc.start.Location()}
	shows := sc.Device.Clock.reading(sc.start)
	clock := alert.Clock{Offset: shows.Sub(start), Location: shows.Location()}
	tl := &timeline{start: start, seq: map[string]int{}}
	hostname := string(sc.Device.Hostname)

	netcfg := netem.Config{Seed: seed.Derive(root, "network")}
	var rec *recording
	var keyLog io.Writer
	if opts.Capture {
		rec = &recording{interfaces: sc.hostNames(), offset: world.Offset}
		netcfg.Tap = func(c netem.Crossing) { rec.packets = append(rec.packets, c) }
		keyLog = &rec.keyLog
	}
	network := netem.New(netcfg)
	var servers []*runningServer
	// fatal ends a run that cannot be set up (the loader refuses what it
	// knows the network would; this is the rest). It stops what was
	// started first, or the bubble would report its goroutines as a
	// deadlock instead of the error.
	fatal := func(format string, args ...any) {
		t.Helper()
		for _, s := range servers {
			s.srv.Close()
		}
		network.Close()
		t.Fatalf(format, args...)
	}
	link := sc.Network.Link()
	devHost, err := network.AddHost(netem.HostConfig{Name: hostname, Addrs: sc.Device.addrs(), Link: link, MTU: sc.Device.MTU, Kernel: sc.Device.netemKernel()})
	if err != nil {
		fatal("%s: %v", sc.Path, err)
	}

	ca, err := fakesmtp.NewCAAt("alertsim scenario root", world.Now())
	if err != nil {
		fatal("%s: %v", sc.Path, err)
	}
	hosts := alert.Hosts{}
	budget := &rawBudget{left: keepRawBytes}
	for i := range sc.Servers {
		spec := &sc.Servers[i]
		s, err := startServer(network, ca, spec, world.Now(), budget, keyLog)
		if err != nil {
			fatal("%s: server %s: %v", sc.Path, spec.Host, err)
		}
		servers = append(servers, s)
		hosts[strings.ToLower(string(spec.Host))] = []netip.Addr{spec.Address.Addr}
	}

	deviceLog := func(e alert.Event) { tl.add(e.Time, rankDevice, hostname, e.Text) }
	var resolver alert.Resolver = hosts
	if dnsServers, ok := sc.deviceDNS(); ok {
		for i := range sc.DNS.Servers {
			s := &sc.DNS.Servers[i]
			h, err := network.AddHost(netem.HostConfig{Name: string(s.Name), Addrs: []netip.Addr{s.Address.Addr}})
			if err == nil {
				err = h.ServeDNS(sc.dnsService(s))
			}
			if err != nil {
				fatal("%s: DNS server %s: %v", sc.Path, s.Name, err)
			}
		}
		resolver = &alert.StubResolver{Servers: dnsServers, Dial: devHost.Dial, Log: deviceLog}
	}

	var dev device.Device = unset{sc.Device.Model.Name}
	if fe := sc.Device.refused; fe != nil {
		tl.add(time.Now(), rankDevice, hostname, fmt.Sprintf("settings page: %s: %s (the settings are not saved)", fe.Field, fe.Message))
	} else {
		dev, err = sc.Device.start(device.Env{
			Hostname: hostname,
			Seed:     seed.Derive(root, "device"),
			Scene:    sc.Device.Scene,
			Dial:     devHost.Dial,
			Resolver: resolver,
			RootCAs:  ca.Pool,
			Clock:    clock,
			Log:      deviceLog,
		})
		if err != nil {
			fatal("%s: starting the %s: %v", sc.Path, sc.Device.Model.Name, err)
		}
	}

	// Whatever the device's own timers wake it for at an instant (a
	// retry due, a DNS try timing out, a burst's last frame taken) runs
	// before a trigger or the end of the run at that same instant:
	// synctest.Wait returns once every other goroutine of the bubble is
	// blocked, without moving the clock. Without it the runtime would
	// pick the order, and the same seed could give two records (a mail
	// taken or dropped, its log lines before or after the trigger's).
	var fired []Fired
	for _, tr := range firings(sc) {
		time.Sleep(tr.at.D() - time.Since(start))
		synctest.Wait()
		tl.add(time.Now(), rankScenario, "scenario", "trigger: "+tr.Event)
		fired = append(fired, Fired{At: time.Since(start), Event: tr.Event, For: tr.For.D()})
		dev.Trigger(tr.Event, tr.For.D())
	}
	time.Sleep(sc.Duration.D() - time.Since(start))
	synctest.Wait()

	dev.Close()
	for _, s := range servers {
		s.close(t)
	}
	network.Close()

	res := &Result{Scenario: sc, Seed: root, Trace: network.Trace(), Start: start, Clock: clock, Fired: fired, recording: rec}
	if u, ok := dev.(interface{ Unsent() []string }); ok {
		res.Unsent = u.Unsent()
	}
	res.Record = buildRecord(sc, res, link, tl, dev, servers, opts.Full).Render()
	for _, j := range sc.Expect.judges {
		res.Checks = append(res.Checks, j(res))
	}
	return res
}

// firing is one time a trigger fires.
type firing struct {
	*Trigger
	at Duration
}

// firings returns every time a trigger of the scenario fires, in order
// of time, then of the file.
func firings(sc *Scenario) []firing {
	var out []firing
	for i := range sc.Triggers {
		tr := &sc.Triggers[i]
		for _, at := range tr.times(sc.Duration) {
			out = append(out, firing{tr, at})
		}
	}
	slices.SortStableFunc(out, func(a, b firing) int { return cmp.Compare(a.at, b.at) })
	return out
}

// unset is a device whose settings page refused its settings: it was
// never set up, so it mails nothing.
type unset struct{ model string }

func (u unset) Trigger(string, time.Duration) {}
func (u unset) Outcomes() []alert.Outcome     { return nil }
func (u unset) FailureLog() []alert.Failure   { return nil }
func (u unset) Close() error                  { return nil }
func (u unset) String() string                { return u.model + " (settings refused, not set up)" }

func (s *runningServer) close(t *testing.T) {
	s.srv.Close()
	for range s.n {
		if err := <-s.errc; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("server %s: %v", s.spec.Host, err)
		}
	}
}

// Ranks of the timeline's sources; see entry.
const (
	rankScenario = iota
	rankNetwork  // what the network did explains what the ends saw
	rankDevice
	rankServer
)

// timeline collects entries from the device as they happen.
type timeline struct {
	start   time.Time
	mu      sync.Mutex
	entries []entry
	seq     map[string]int
}

func (tl *timeline) add(at time.Time, rank int, source, text string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.seq[source]++
	tl.entries = append(tl.entries, entry{At: at.Sub(tl.start), Rank: rank, Source: source, Seq: tl.seq[source], Text: text})
}

// buildRecord fills in the result from the finished run and returns its
// record.
func buildRecord(sc *Scenario, res *Result, link netem.Link, tl *timeline, dev device.Device, servers []*runningServer, full bool) *runRecord {
	rec := &runRecord{}
	rec.Header = []field{
		{Name: "scenario", Value: string(sc.Name)},
		{Name: "seed", Value: fmt.Sprint(res.Seed)},
		{Name: "device", Value: fmt.Sprintf("%s, host %s at %s, MTU %d%s", dev, sc.Device.Hostname, sc.Device.describeAddrs(), sc.Device.MTU, sc.Device.describeKernel())},
		{Name: "network", Value: describeLink(sc.Network.Profile.Name, link)},
	}
	if sc.Start != nil {
		rec.Header = append(rec.Header, field{Name: "start", Value: sc.start.Format("2006-01-02 15:04:05.000 -0700")})
	}
	if c := sc.Device.Clock; c != nil {
		shows := c.reading(sc.start)
		v := "shows " + shows.Format("2006-01-02 15:04:05.000 -0700") + " at the start"
		switch d := shows.Sub(sc.start); {
		case d > 0:
			v += fmt.Sprintf(" (%v ahead)", d)
		case d < 0:
			v += fmt.Sprintf(" (%v behind)", -d)
		}
		rec.Header = append(rec.Header, field{Name: "device clock", Value: v})
	}
	for _, f := range link.Faults {
		rec.Header = append(rec.Header, field{Name: "fault", Value: f.String()})
	}
	if dnsServers, ok := sc.deviceDNS(); ok {
		for _, s := range sc.DNS.Servers {
			v := fmt.Sprintf("%s at %s", s.Name, s.Address)
			for _, f := range s.Faults {
				v += fmt.Sprintf(", %s", dnsFaultKinds.nameOf(netem.DNSFaultKind(f.Kind)))
				if f.Name != "" {
					v += " for " + string(f.Name)
				}
			}
			rec.Header = append(rec.Header, field{Name: "dns server", Value: v})
		}
		dns := "none configured"
		if len(dnsServers) > 0 {
			dns = joinAddrs(dnsServers)
		}
		rec.Header = append(rec.Header, field{Name: "device dns", Value: dns})
	}
	for _, s := range servers {
		rec.Header = append(rec.Header, field{Name: "server", Value: s.spec.describe()})
	}
	rec.Header = append(rec.Header, field{Name: "duration", Value: sc.Duration.String()})

	res.Mails = dev.Outcomes()
	if len(res.Mails) == 0 {
		rec.Outcome = append(rec.Outcome, "no alerts")
	}
	for _, o := range res.Mails {
		res.Attempts += o.Attempts
		line := fmt.Sprintf("mail %d (%s): ", o.Mail, o.Kind)
		if o.Delivered {
			line += fmt.Sprintf("delivered after %d attempt%s", o.Attempts, device.Plural(o.Attempts))
		} else {
			line += fmt.Sprintf("failed after %d attempt%s (%s)", o.Attempts, device.Plural(o.Attempts), o.Class)
		}
		rec.Outcome = append(rec.Outcome, line)
	}
	res.FailureLog = dev.FailureLog()
	if len(res.FailureLog) == 0 {
		rec.Outcome = append(rec.Outcome, "failure log: empty")
	} else {
		rec.Outcome = append(rec.Outcome, "failure log:")
		for _, f := range res.FailureLog {
			rec.Outcome = append(rec.Outcome, "  "+f.String())
		}
	}
	if k, ok := dev.(device.EvidenceKeeper); ok {
		ev := k.Evidence()
		res.Evidence = &ev
		rec.Outcome = append(rec.Outcome, describeEvidence(ev))
	}
	if n := len(res.Unsent); n > 0 {
		// Held when the device was switched off: neither delivered nor
		// failed, and a record that left them out would lose them
		// without a word.
		rec.Outcome = append(rec.Outcome, fmt.Sprintf("switched off holding %d mail%s never tried: %s", n, device.Plural(n), strings.Join(res.Unsent, ", ")))
	}

	rec.Timeline = tl.entries
	for _, e := range tl.entries {
		if e.Rank == rankDevice {
			res.Log = append(res.Log, LogLine{At: e.At, Text: e.Text})
		}
	}
	for _, l := range netLines(res.Trace, res.Start, full) {
		rec.Timeline = append(rec.Timeline, entry{At: l.at.Sub(res.Start), Rank: rankNetwork, Source: "net", Seq: l.seq, Text: l.host + ": " + l.text})
	}
	for _, s := range servers {
		for _, sess := range s.srv.Sessions() {
			source := fmt.Sprintf("%s #%d", s.spec.Host, sess.ID)
			res.Sessions = append(res.Sessions, ServerSession{Server: string(s.spec.Host), Source: source, Session: sess})
			for i, l := range sess.Transcript {
				rec.Timeline = append(rec.Timeline, entry{At: l.At.Sub(res.Start), Rank: rankServer, Source: source, Seq: i, Text: l.String()})
			}
			res.Replies = append(res.Replies, sessionReplies(string(s.spec.Host), sess, res.Start)...)
		}
		for _, k := range s.messages() {
			rec.Messages = append(rec.Messages, captured{Server: string(s.spec.Host), Message: k.msg, Size: k.size, Start: res.Start})
		}
	}
	slices.SortStableFunc(rec.Messages, func(a, b captured) int {
		return a.Message.Received.Compare(b.Message.Received)
	})
	res.record = rec
	markCopies(rec.Messages)
	res.Accepted = len(rec.Messages)
	for _, c := range rec.Messages {
		res.Captured = append(res.Captured, c.Message)
		res.Received = append(res.Received, Received{Server: c.Server, Message: c.Message, Size: c.Size})
	}
	return rec
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// describeEvidence summarizes a device's evidence: how many frames of
// which alert.
func describeEvidence(ev device.Evidence) string {
	files := ev.Files
	if len(files) == 0 {
		return ev.Store + ": empty"
	}
	var parts []string
	for i := 0; i < len(files); {
		j := i
		for j < len(files) && files[j].Alert == files[i].Alert {
			j++
		}
		parts = append(parts, fmt.Sprintf("alert %d: %d", files[i].Alert, j-i))
		i = j
	}
	return fmt.Sprintf("%s: %d frame%s (%s)", ev.Store, len(files), device.Plural(len(files)), strings.Join(parts, ", "))
}
